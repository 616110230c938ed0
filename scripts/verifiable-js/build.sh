#!/usr/bin/env bash
# Rebuilds the vendored noble bundle that the verifiable-ballot pages load (run by hand after a
# version bump in package.json; tests and pages use the committed output, never npm).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../src/kuzbass/platform/static/kuzbass/verifiable"
cd "$here"
npm install --no-audit --no-fund --silent
npx esbuild noble-entry.js --bundle --format=esm --target=es2020 --legal-comments=inline \
    --banner:js="// @noble/curves $(node -p 'require("./node_modules/@noble/curves/package.json").version') and @noble/hashes $(node -p 'require("./node_modules/@noble/hashes/package.json").version') (MIT, Paul Miller), bundled by scripts/verifiable-js/build.sh; licence in LICENSE-noble.txt" \
    --outfile="$out/noble.js"
cp node_modules/@noble/curves/LICENSE "$out/LICENSE-noble.txt"
