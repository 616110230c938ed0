// What the verifiable-ballot pages use from the audited noble libraries, bundled into one file.
export { ristretto255 } from "@noble/curves/ed25519.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
export { bytesToHex, hexToBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
