// Verifiable secret ballots in the browser: encrypt and prove a paper, answer a Benaloh
// challenge, and recheck a whole ballot from its ledger events. The same protocol, encodings and
// messages as the Python package kuzbass.democracy.verifiable (docs/ballots.md); the tests check
// that both agree byte for byte. Group arithmetic and hashes come from the vendored noble
// libraries (noble.js); nothing here does curve arithmetic of its own.
import { bytesToHex, hexToBytes, randomBytes, ristretto255, sha256, sha512, utf8ToBytes } from "./noble.js";

const Point = ristretto255.Point;
export const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
export const SCHEME = "kuzbass-verifiable-1";
const TAG = "kuzbass/verifiable/v1/";
export const TAGS = {
  choice: TAG + "choice",
  total: TAG + "total",
  signature: TAG + "paper-signature",
  credential: TAG + "credential",
  coefficient: TAG + "coefficient",
  verificationKey: TAG + "verification-key",
  decryption: TAG + "partial-decryption",
};
const HEX64 = /^[0-9a-f]{64}$/;
// Names in messages are quoted as the Python verifier quotes them, so both say the same words.
const quote = (text) => (String(text).includes("'") ? JSON.stringify(text) : `'${text}'`);

// ---- group and encodings -------------------------------------------------------------------

const mod = (n) => ((n % ORDER) + ORDER) % ORDER;

function numberFromLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function scalarToBytes(n) {
  const out = new Uint8Array(32);
  let v = mod(n);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return out;
}

export const scalarHex = (n) => bytesToHex(scalarToBytes(n));

export function randomScalar() {
  for (;;) {
    const n = numberFromLE(randomBytes(64)) % ORDER;
    if (n !== 0n) return n;
  }
}

export function decodeElement(text, what, allowIdentity = false) {
  if (typeof text !== "string" || !HEX64.test(text)) {
    throw new Error(`${what}: expected 64 lowercase hex characters, got ${JSON.stringify(text)}`);
  }
  let point;
  try {
    point = Point.fromHex(text);
  } catch {
    point = null;
  }
  if (point === null || (point.is0() && !allowIdentity)) {
    throw new Error(`${what}: ${text} is not a ristretto255 group element`);
  }
  return point;
}

export function decodeScalar(text, what) {
  if (typeof text !== "string" || !HEX64.test(text)) {
    throw new Error(`${what}: expected 64 lowercase hex characters, got ${JSON.stringify(text)}`);
  }
  const n = numberFromLE(hexToBytes(text));
  if (n >= ORDER) throw new Error(`${what}: ${text} is not reduced modulo the group order`);
  return n;
}

const G = Point.BASE;
const basePower = (n) => (mod(n) === 0n ? Point.ZERO : G.multiply(mod(n)));
// Variable-time multiplication: only ever on public values (verification, public data).
const power = (point, n) => point.multiplyUnsafe(mod(n));
const secretPower = (point, n) => (mod(n) === 0n ? Point.ZERO : point.multiply(mod(n)));

// TextEncoder would silently write a lone surrogate as U+FFFD; Python refuses to encode it.
const NOT_UNICODE = "cannot be hashed: a string is not valid Unicode (a lone surrogate)";
const wellFormed = (text) => {
  if (!text.isWellFormed()) throw new Error(NOT_UNICODE);
  return text;
};

function frame(part) {
  let data;
  if (typeof part === "string") data = utf8ToBytes(wellFormed(part));
  else if (typeof part === "number") {
    data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, BigInt(part));
  } else if (part instanceof Point) data = part.toBytes();
  else data = part;
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, data.length);
  return [head, data];
}

// The Fiat–Shamir challenge: SHA-512 of the length-framed tag and parts, reduced modulo ORDER.
export function challenge(tag, parts) {
  const hash = sha512.create();
  for (const chunk of [tag, ...parts].flatMap(frame)) hash.update(chunk);
  return numberFromLE(hash.digest()) % ORDER;
}

// Canonical JSON, as kuzbass.ledger.canonical_json: sorted keys, no whitespace, UTF-8.
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(wellFormed(value));
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`${value} is not an integer`);
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  const keys = Object.keys(value).map(wellFormed).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
}

// JSON with sorted keys for messages (the same words as the Python verifier's).
const spelled = (value) => {
  try {
    return canonicalJson(value === undefined ? null : value);
  } catch {
    return JSON.stringify(value);
  }
};
const sha256Hex = (value) => bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));
const without = (object, ...names) =>
  Object.fromEntries(Object.entries(object).filter(([k]) => !names.includes(k)));

// ---- proofs --------------------------------------------------------------------------------

const proofJson = (c, r) => ({ challenge: scalarHex(c), response: scalarHex(r) });

function readProof(value, what) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${what}: a proof is an object with challenge and response`);
  }
  const keys = Object.keys(value).sort().join(",");
  if (keys !== "challenge,response") {
    throw new Error(`${what}: a proof is an object with challenge and response`);
  }
  return {
    c: decodeScalar(value.challenge, `${what}.challenge`),
    r: decodeScalar(value.response, `${what}.response`),
  };
}

function readProofs(value, what) {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list of proofs`);
  return value.map((item, i) => readProof(item, `${what}[${i}]`));
}

export function proveKnowledge(tag, context, secret, pub) {
  const nonce = randomScalar();
  const c = challenge(tag, [...context, pub, basePower(nonce)]);
  return proofJson(c, nonce - secret * c);
}

function verifyKnowledge(tag, context, pub, proof) {
  const commitment = basePower(proof.r).add(power(pub, proof.c));
  return challenge(tag, [...context, pub, commitment]) === proof.c;
}

function verifyEqualLogs(tag, context, pub, base, result, proof) {
  const first = basePower(proof.r).add(power(pub, proof.c));
  const second = power(base, proof.r).add(power(result, proof.c));
  return challenge(tag, [...context, pub, base, result, first, second]) === proof.c;
}

const shifted = (beta, values) => values.map((v) => (v ? beta.subtract(basePower(BigInt(v))) : beta));

// Disjunctive Chaum–Pedersen proof that (alpha, beta) encrypts `value`, one of `allowed`.
function proveValueIn(tag, context, key, [alpha, beta], randomness, value, allowed) {
  const real = allowed.indexOf(value);
  const targets = shifted(beta, allowed);
  const nonce = randomScalar();
  const proofs = [];
  const commitments = [];
  targets.forEach((target, i) => {
    if (i === real) {
      proofs.push(null);
      commitments.push(basePower(nonce), secretPower(key, nonce));
      return;
    }
    const fake = { c: randomScalar(), r: randomScalar() };
    proofs.push(fake);
    commitments.push(basePower(fake.r).add(power(alpha, fake.c)), power(key, fake.r).add(power(target, fake.c)));
  });
  const total = challenge(tag, [...context, key, alpha, beta, ...commitments]);
  const rest = mod(total - proofs.reduce((s, p) => s + (p ? p.c : 0n), 0n));
  proofs[real] = { c: rest, r: mod(nonce - randomness * rest) };
  return proofs.map((p) => proofJson(p.c, p.r));
}

function verifyValueIn(tag, context, key, [alpha, beta], allowed, proofs) {
  if (proofs.length !== allowed.length) return false;
  const commitments = [];
  shifted(beta, allowed).forEach((target, i) => {
    const p = proofs[i];
    commitments.push(basePower(p.r).add(power(alpha, p.c)), power(key, p.r).add(power(target, p.c)));
  });
  const total = challenge(tag, [...context, key, alpha, beta, ...commitments]);
  return total === mod(proofs.reduce((s, p) => s + p.c, 0n));
}

// ---- the opened ballot's record -----------------------------------------------------------

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function keyContext(ballotId, names, threshold) {
  return [ballotId, threshold, names.length, ...names];
}

function lagrange(index, indices) {
  let value = 1n;
  for (const k of indices) {
    if (k !== index) value = mod(value * BigInt(k) * modInverse(BigInt(k - index)));
  }
  return value;
}

function modInverse(a) {
  let [r0, r1, s0, s1] = [mod(a), ORDER, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

function verificationKeyFromCommitments(rows, at) {
  let total = Point.ZERO;
  for (const row of rows) {
    row.forEach((commitment, k) => {
      total = total.add(power(commitment, BigInt(at) ** BigInt(k) % ORDER));
    });
  }
  return total;
}

function readKeyRecord(ballotId, record) {
  if (!record || typeof record !== "object" || !Array.isArray(record.trustees)) {
    throw new Error("the trustees' record must be an object with a list of trustees");
  }
  const { threshold, trustees } = record;
  const names = trustees.map((t) => t && t.name);
  if (!Number.isInteger(threshold) || names.some((n) => typeof n !== "string")) {
    throw new Error("the trustees' record needs an integer threshold and named trustees");
  }
  if (new Set(names).size !== names.length || names.some((n) => !n.trim())) {
    throw new Error(`trustees must have distinct non-empty names, got [${names.map(quote).join(", ")}]`);
  }
  if (threshold < 1 || threshold > names.length) {
    throw new Error(`threshold ${threshold} must be between 1 and the number of trustees ${names.length}`);
  }
  const context = keyContext(ballotId, names, threshold);
  const rows = trustees.map((item, i) => {
    const index = i + 1;
    const who = `trustee ${index} (${names[i]})`;
    if (item.trustee !== index) throw new Error(`${who}: announcement missing or out of order`);
    const channel = typeof item.channel_key === "string" && HEX64.test(item.channel_key) ? hexToBytes(item.channel_key) : new Uint8Array(0);
    const commitments = item.commitments.map((c, k) => decodeElement(c, `${who} commitment ${k}`));
    const proofs = item.commitment_proofs.map((p, k) => readProof(p, `${who} commitment proof ${k}`));
    if (channel.length !== 32 || commitments.length !== threshold || proofs.length !== threshold) {
      throw new Error(`${who}: needs a 32-byte channel key and ${threshold} commitments`);
    }
    commitments.forEach((commitment, k) => {
      if (!verifyKnowledge(TAGS.coefficient, [...context, index, k, channel], commitment, proofs[k])) {
        throw new Error(`${who}: the proof of knowledge of coefficient ${k} fails`);
      }
    });
    return commitments;
  });
  const verificationKeys = trustees.map((item, i) => {
    const who = `trustee ${i + 1} (${names[i]})`;
    const key = decodeElement(item.verification_key, `${who} verification key`);
    if (!key.equals(verificationKeyFromCommitments(rows, i + 1))) {
      throw new Error(`${who}: verification key does not match the published commitments`);
    }
    const proof = readProof(item.proof, `${who} verification key proof`);
    if (!verifyKnowledge(TAGS.verificationKey, [...context, i + 1], key, proof)) {
      throw new Error(`${who}: the proof of knowledge of the decryption key fails`);
    }
    return key;
  });
  const publicKey = rows.reduce((sum, row) => sum.add(row[0]), Point.ZERO);
  if ("public_key" in record && record.public_key !== publicKey.toHex()) {
    throw new Error(
      `the published joint key ${record.public_key} is not the product of the trustees' commitments ${publicKey.toHex()}`,
    );
  }
  return { names, threshold, publicKey, verificationKeys };
}

const MAX_OPTIONS = 64;
const MAX_SCORE = 100;

function readQuestion(q) {
  const fields = "max_score,max_total,min_total,options";
  if (!q || typeof q !== "object" || Object.keys(q).sort().join(",") !== fields) {
    throw new Error(`question: expected an object with fields ${fields}`);
  }
  const { options } = q;
  if (!Array.isArray(options) || options.length < 1 || options.length > MAX_OPTIONS || new Set(options).size !== options.length) {
    throw new Error(`question: a question needs 1 to ${MAX_OPTIONS} distinct options`);
  }
  if (options.some((o) => typeof o !== "string" || !o.trim())) throw new Error("question: options must be non-empty strings");
  for (const name of ["max_score", "min_total", "max_total"]) {
    if (!Number.isInteger(q[name])) throw new Error(`question: ${name} must be an integer, got ${JSON.stringify(q[name])}`);
  }
  const top = options.length * q.max_score;
  if (q.max_score < 1 || q.max_score > MAX_SCORE) throw new Error(`question: max_score must be between 1 and ${MAX_SCORE}`);
  if (!(0 <= q.min_total && q.min_total <= q.max_total && q.max_total <= top)) {
    throw new Error(`question: limits ${q.min_total}..${q.max_total} must lie within 0..${top}`);
  }
  return q;
}

// Check an opened ballot's record (trustees' proofs, joint key, credentials, fingerprint).
export function readBallot(record) {
  if (!record || record.scheme !== SCHEME) throw new Error(`not a ${SCHEME} ballot record`);
  if (typeof record.ballot !== "string" || !record.ballot) {
    throw new Error(`ballot id must be a non-empty string, got ${JSON.stringify(record.ballot)}`);
  }
  const q = readQuestion(record.question);
  const question = {
    options: q.options,
    maxScore: q.max_score,
    marks: range(0, q.max_score),
    totals: range(q.min_total, q.max_total),
  };
  const keys = readKeyRecord(record.ballot, record.trustees);
  if (!Array.isArray(record.voters) || record.voters.some((v) => typeof v !== "string")) {
    throw new Error("voters must be a sorted list of distinct credentials");
  }
  const voters = new Set(record.voters);
  const sorted = [...voters].sort();
  if (sorted.length !== record.voters.length || sorted.some((v, i) => v !== record.voters[i])) {
    throw new Error("voters must be a sorted list of distinct credentials");
  }
  record.voters.forEach((v, i) => decodeElement(v, `voter credential ${i}`));
  const fingerprint = sha256Hex(without(record, "fingerprint"));
  if (record.fingerprint !== fingerprint) {
    throw new Error(
      `ballot ${record.ballot}: fingerprint ${JSON.stringify(record.fingerprint)} is not the hash of its record ${fingerprint}`,
    );
  }
  return { id: record.ballot, question, keys, voters, fingerprint, record };
}

// ---- papers --------------------------------------------------------------------------------

export function credentialKey(ballotId, secret) {
  const x = challenge(TAGS.credential, [ballotId, secret]);
  return { secret: x, credential: basePower(x).toHex() };
}

export const tracker = (paper) => sha256Hex(without(paper, "tracker"));
const signedDigest = (paper) => sha256(utf8ToBytes(canonicalJson(without(paper, "tracker", "signature"))));
const sumCiphertexts = (cs) => cs.reduce(([a, b], [x, y]) => [a.add(x), b.add(y)]);
const flat = (cs) => cs.flat();

// Encrypt and prove one paper; returns the paper and the randomness, which is kept only to
// answer a Benaloh challenge and then forgotten.
export function encryptPaper(ballot, marks, credentialSecret) {
  const { question } = ballot;
  if (marks.length !== question.options.length) throw new Error(`expected ${question.options.length} marks`);
  marks.forEach((m, i) => {
    if (!Number.isInteger(m) || m < 0 || m > question.maxScore) {
      throw new Error(`mark ${m} for ${quote(question.options[i])} is not in 0..${question.maxScore}`);
    }
  });
  const sum = marks.reduce((s, m) => s + m, 0);
  if (!question.totals.includes(sum)) throw new Error(`marks add up to ${sum}, outside the limits`);
  const key = ballot.keys.publicKey;
  const credential = basePower(credentialSecret);
  const randomness = marks.map(() => randomScalar());
  const ciphertexts = marks.map((m, i) => {
    const masked = secretPower(key, randomness[i]);
    return [basePower(randomness[i]), m ? masked.add(basePower(BigInt(m))) : masked];
  });
  const context = [ballot.fingerprint, credential];
  const paper = {
    ballot: ballot.id,
    fingerprint: ballot.fingerprint,
    credential: credential.toHex(),
    choices: ciphertexts.map(([a, b]) => ({ alpha: a.toHex(), beta: b.toHex() })),
    choice_proofs: ciphertexts.map((c, i) =>
      proveValueIn(TAGS.choice, [...context, i], key, c, randomness[i], marks[i], question.marks),
    ),
    total_proof: proveValueIn(
      TAGS.total,
      [...context, ...flat(ciphertexts)],
      key,
      sumCiphertexts(ciphertexts),
      randomness.reduce((s, r) => s + r, 0n),
      sum,
      question.totals,
    ),
  };
  paper.signature = proveKnowledge(TAGS.signature, [ballot.fingerprint, signedDigest(paper)], credentialSecret, credential);
  paper.tracker = tracker(paper);
  return { paper, randomness };
}

// What the voter's device publishes when the voter challenges a paper (Benaloh).
export const revealJson = (paper, marks, randomness) => ({
  tracker: paper.tracker,
  marks: [...marks],
  randomness: randomness.map(scalarHex),
});

function readCiphertexts(value, count, name) {
  if (!Array.isArray(value) || value.length !== count) {
    throw new Error(`${name}: expected ${count} ciphertexts, one per option`);
  }
  return value.map((item, i) => {
    if (!item || Object.keys(item).sort().join(",") !== "alpha,beta") {
      throw new Error(`${name}[${i}]: a ciphertext is an object with alpha and beta`);
    }
    return [decodeElement(item.alpha, `${name}[${i}].alpha`), decodeElement(item.beta, `${name}[${i}].beta`)];
  });
}

// Check a Benaloh challenge; returns the marks the challenged paper encrypted.
export function auditChallenge(ballot, paper, reveal) {
  const name = `challenged paper ${String(paper.tracker).slice(0, 16)}`;
  if (paper.tracker !== tracker(paper)) throw new Error(`${name}: tracker is not the hash of the paper`);
  if (!reveal || reveal.tracker !== paper.tracker) throw new Error(`${name}: the reveal is for another paper`);
  const count = ballot.question.options.length;
  const ciphertexts = readCiphertexts(paper.choices, count, `${name}: choices`);
  if (reveal.marks.length !== count || reveal.randomness.length !== count) {
    throw new Error(`${name}: the reveal needs ${count} marks and ${count} random values`);
  }
  const key = ballot.keys.publicKey;
  reveal.marks.forEach((mark, i) => {
    const option = quote(ballot.question.options[i]);
    if (!Number.isInteger(mark) || mark < 0 || mark > ballot.question.maxScore) {
      throw new Error(`${name}: revealed mark ${mark} for ${option} is not allowed`);
    }
    const r = decodeScalar(reveal.randomness[i], `${name}: randomness[${i}]`);
    const masked = power(key, r);
    const beta = mark ? masked.add(basePower(BigInt(mark))) : masked;
    if (!ciphertexts[i][0].equals(basePower(r)) || !ciphertexts[i][1].equals(beta)) {
      throw new Error(`${name}: the ciphertext for ${option} does not encrypt the revealed mark ${mark}`);
    }
  });
  return [...reveal.marks];
}

const PAPER_FIELDS = "ballot,choice_proofs,choices,credential,fingerprint,signature,total_proof,tracker";

// Every check a paper must pass before it is counted, in the same order as the Python package.
export function checkPaper(ballot, paper, seenTrackers = new Set(), usedCredentials = new Set()) {
  const name = `paper ${String(paper.tracker).slice(0, 16)}`;
  if (Object.keys(paper).sort().join(",") !== PAPER_FIELDS) {
    throw new Error(`${name}: fields must be exactly ${PAPER_FIELDS}`);
  }
  if (paper.ballot !== ballot.id || paper.fingerprint !== ballot.fingerprint) {
    throw new Error(
      `${name}: made for ballot ${quote(paper.ballot)} with fingerprint ${String(paper.fingerprint).slice(0, 16)}…, ` +
        `not for ballot ${quote(ballot.id)} (${ballot.fingerprint.slice(0, 16)}…): a paper for another ballot or another key`,
    );
  }
  let expected;
  try {
    expected = tracker(paper);
  } catch (error) {
    throw new Error(`${name}: ${error.message}`);
  }
  if (paper.tracker !== expected) throw new Error(`${name}: tracker is not the hash of the paper ${expected}`);
  const credential = decodeElement(paper.credential, `${name}: credential`);
  const question = ballot.question;
  const ciphertexts = readCiphertexts(paper.choices, question.options.length, `${name}: choices`);
  if (!Array.isArray(paper.choice_proofs) || paper.choice_proofs.length !== ciphertexts.length) {
    throw new Error(`${name}: choice_proofs: expected one list per option`);
  }
  const choiceProofs = paper.choice_proofs.map((p, i) => readProofs(p, `${name}: choice_proofs[${i}]`));
  const totalProof = readProofs(paper.total_proof, `${name}: total_proof`);
  const signature = readProof(paper.signature, `${name}: signature`);
  const short = paper.credential.slice(0, 16);
  if (!ballot.voters.has(paper.credential)) throw new Error(`${name}: credential ${short}… is not on the roll`);
  if (!verifyKnowledge(TAGS.signature, [ballot.fingerprint, signedDigest(paper)], credential, signature)) {
    throw new Error(`${name}: the credential's signature fails`);
  }
  const key = ballot.keys.publicKey;
  const context = [ballot.fingerprint, credential];
  ciphertexts.forEach((c, i) => {
    if (!verifyValueIn(TAGS.choice, [...context, i], key, c, question.marks, choiceProofs[i])) {
      throw new Error(
        `${name}: the proof that the mark for ${quote(question.options[i])} is in 0..${question.maxScore} fails`,
      );
    }
  });
  if (!verifyValueIn(TAGS.total, [...context, ...flat(ciphertexts)], key, sumCiphertexts(ciphertexts), question.totals, totalProof)) {
    throw new Error(
      `${name}: the proof that the marks add up to ${question.totals[0]}..${question.totals.at(-1)} fails`,
    );
  }
  if (seenTrackers.has(paper.tracker)) throw new Error(`${name}: this tracker was already cast (a replayed paper)`);
  if (usedCredentials.has(paper.credential)) throw new Error(`${name}: credential ${short}… has already voted`);
  return { tracker: paper.tracker, credential: paper.credential, ciphertexts };
}

// ---- the count -----------------------------------------------------------------------------

function encryptedTally(ballot, papers) {
  return ballot.question.options.map((_, i) =>
    papers.reduce(([a, b], p) => [a.add(p.ciphertexts[i][0]), b.add(p.ciphertexts[i][1])], [Point.ZERO, Point.ZERO]),
  );
}

// Ristretto's canonical encoding of the identity is 32 zero bytes, as libsodium writes it.
const tallyJson = (tally) => tally.map(([a, b]) => ({ alpha: a.toHex(), beta: b.toHex() }));

function checkPartialDecryption(ballot, tally, decryption) {
  if (!decryption || Object.keys(decryption).sort().join(",") !== "factors,proofs,trustee") {
    throw new Error("a partial decryption is an object with trustee, factors and proofs");
  }
  const me = decryption.trustee;
  const names = ballot.keys.names;
  if (!Number.isInteger(me) || me < 1 || me > names.length) throw new Error(`partial decryption by unknown trustee ${me}`);
  const who = `trustee ${me} (${names[me - 1]})`;
  const options = ballot.question.options;
  if (!Array.isArray(decryption.factors) || decryption.factors.length !== options.length) {
    throw new Error(`${who}: expected ${options.length} decryption factors`);
  }
  const factors = decryption.factors.map((f, i) => decodeElement(f, `${who}: factor ${i}`, true));
  const proofs = readProofs(decryption.proofs, `${who}: proofs`);
  if (proofs.length !== options.length) throw new Error(`${who}: expected ${options.length} proofs`);
  const key = ballot.keys.verificationKeys[me - 1];
  tally.forEach(([alpha], option) => {
    if (!verifyEqualLogs(TAGS.decryption, [ballot.fingerprint, me, option], key, alpha, factors[option], proofs[option])) {
      throw new Error(
        `${who}: the partial decryption of ${quote(options[option])} fails its proof (a wrong decryption factor)`,
      );
    }
  });
  return { trustee: me, factors };
}

function smallLog(element, bound) {
  const step = Math.floor(Math.sqrt(bound)) + 1;
  const baby = new Map();
  let current = Point.ZERO;
  for (let j = 0; j < step; j++) {
    const hex = current.toHex();
    if (!baby.has(hex)) baby.set(hex, j);
    current = current.add(G);
  }
  const giant = basePower(BigInt(step));
  current = element;
  for (let i = 0; i <= step; i++) {
    const j = baby.get(current.toHex());
    if (j !== undefined && i * step + j <= bound) return i * step + j;
    current = current.subtract(giant);
  }
  throw new Error(`the decrypted total is not between 0 and ${bound}`);
}

function combine(ballot, tally, decryptions, papers) {
  const trustees = [...new Set(decryptions.map((d) => d.trustee))].sort((a, b) => a - b);
  if (trustees.length !== decryptions.length) throw new Error("a trustee gave more than one partial decryption");
  const threshold = ballot.keys.threshold;
  if (trustees.length < threshold) {
    throw new Error(`${trustees.length} partial decryptions, but ${threshold} trustees are needed`);
  }
  const chosen = [...decryptions].sort((a, b) => a.trustee - b.trustee).slice(0, threshold);
  const indices = chosen.map((d) => d.trustee);
  const bound = papers * ballot.question.maxScore;
  return tally.map(([, beta], option) => {
    const shared = chosen.reduce(
      (sum, d) => sum.add(power(d.factors[option], lagrange(d.trustee, indices))),
      Point.ZERO,
    );
    return smallLog(beta.subtract(shared), bound);
  });
}

function checkDecrypted(count, payload) {
  const { ballot, papers } = count;
  if (!payload || payload.fingerprint !== ballot.fingerprint) {
    throw new Error("the decryption is not for this ballot's fingerprint");
  }
  if (payload.papers !== papers.length) {
    throw new Error(`the decryption counts ${spelled(payload.papers)} papers, the ledger has ${papers.length}`);
  }
  const tally = encryptedTally(ballot, papers);
  if (canonicalJson(payload.encrypted_tally) !== canonicalJson(tallyJson(tally))) {
    throw new Error("the published encrypted tally is not the product of the cast papers");
  }
  if (!Array.isArray(payload.partial_decryptions)) throw new Error("partial_decryptions must be a list");
  const checked = payload.partial_decryptions.map((d) => checkPartialDecryption(ballot, tally, d));
  const counts = combine(ballot, tally, checked, papers.length);
  const result = Object.fromEntries(ballot.question.options.map((o, i) => [o, counts[i]]));
  if (canonicalJson(payload.result) !== canonicalJson(result)) {
    throw new Error(`the published result ${spelled(payload.result)} is not the decrypted ${spelled(result)}`);
  }
  return result;
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

export const KINDS = { opened: "ballot.opened", cast: "ballot.encrypted_paper", decrypted: "ballot.decrypted" };

// Recheck every verifiable ballot in a list of ledger events ({kind, payload, sequence}), or only
// `ballotId`. Returns {ok, failure, ballots: [{ballot, papers, result}]}; failure names the event.
export function verifyEvents(events, ballotId = null) {
  const counts = new Map();
  const report = (failure) => ({
    ok: failure === null,
    failure,
    ballots: [...counts.values()].map((c) => ({ ballot: c.ballot.id, papers: c.papers.length, result: c.result })),
  });
  for (const [position, event] of events.entries()) {
    const { kind, payload } = event;
    const where = `event ${event.sequence ?? position + 1} (${kind})`;
    // The same events as Python's: objects only, and an opened ballot is a verifiable one when
    // its payload has the field at all (a null record is then named, not skipped).
    if (!Object.values(KINDS).includes(kind) || !isObject(payload)) continue;
    if (kind === KINDS.opened && !("verifiable" in payload)) continue;
    const id = kind === KINDS.opened ? (isObject(payload.verifiable) ? payload.verifiable.ballot : undefined) : payload.ballot;
    if (ballotId !== null && id !== ballotId) continue;
    try {
      if (kind === KINDS.opened) {
        const ballot = readBallot(payload.verifiable);
        // Every proof of every paper raises the joint key to some power: a table pays off here.
        ballot.keys.publicKey.precompute(8, false);
        if (counts.has(ballot.id)) throw new Error(`ballot ${quote(ballot.id)} is opened twice`);
        counts.set(ballot.id, { ballot, papers: [], trackers: new Set(), credentials: new Set(), result: null });
        continue;
      }
      if (typeof id !== "string") throw new Error("the event names no ballot (its ballot is not a string)");
      const count = counts.get(id);
      if (!count) throw new Error(`ballot ${quote(id)} was never opened`);
      if (count.result !== null) throw new Error(`ballot ${quote(id)} was already decrypted`);
      if (kind === KINDS.cast) {
        const paper = checkPaper(count.ballot, payload, count.trackers, count.credentials);
        count.papers.push(paper);
        count.trackers.add(paper.tracker);
        count.credentials.add(paper.credential);
      } else {
        count.result = checkDecrypted(count, payload);
      }
    } catch (error) {
      return report(`${where}: ${error.message}`);
    }
  }
  if (ballotId !== null && !counts.has(ballotId)) {
    return { ok: false, failure: `no verifiable ballot ${quote(ballotId)} in the events`, ballots: [] };
  }
  return report(null);
}
