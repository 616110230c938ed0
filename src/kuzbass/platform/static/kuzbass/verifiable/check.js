// The "anyone checks" page: a ledger export in, every verifiable ballot in it rechecked here.
import { bytesToHex, sha256, utf8ToBytes } from "./noble.js";
import { canonicalJson, verifyEvents } from "./verifiable.js";

const GENESIS = "0".repeat(64);

// The ledger's hash chain, as kuzbass.ledger.chain_hash defines it.
function chainFailure(events) {
  let previous = GENESIS;
  for (const [i, event] of events.entries()) {
    if (event.sequence !== i + 1) return `gap in sequence: expected event ${i + 1}, found event ${event.sequence}`;
    if (event.previous_hash !== previous) return `event ${event.sequence}: previous_hash is not event ${i}'s hash`;
    const body = canonicalJson({
      sequence: event.sequence,
      kind: event.kind,
      recorded_at: event.recorded_at,
      payload: event.payload,
    });
    const hash = bytesToHex(sha256(utf8ToBytes(previous + body)));
    if (hash !== event.hash) return `event ${event.sequence}: content does not match its hash`;
    previous = hash;
  }
  return null;
}

function parse(text) {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`line ${i + 1} is not JSON`);
      }
    });
}

export function checkExport(text) {
  const events = parse(text);
  const broken = chainFailure(events);
  if (broken) return { ok: false, failure: `the ledger's chain is broken: ${broken}`, ballots: [] };
  return verifyEvents(events);
}

function show(report) {
  const list = document.getElementById("ballots");
  list.replaceChildren(
    ...report.ballots.map((b) => {
      const item = document.createElement("li");
      const result = b.result === null ? "not decrypted yet" : `result ${JSON.stringify(b.result)}`;
      item.textContent = `ballot ${b.ballot}: ${b.papers} papers verified, ${result}`;
      return item;
    }),
  );
  const outcome = document.getElementById("outcome");
  outcome.textContent = report.ok
    ? `${report.ballots.length} ballots verified`
    : `Verification failed: ${report.failure}`;
  outcome.className = report.ok ? "verified" : "failed";
}

document.getElementById("export").addEventListener("change", async (event) => {
  const outcome = document.getElementById("outcome");
  outcome.textContent = "checking…";
  outcome.className = "";
  const text = await event.target.files[0].text();
  setTimeout(() => {
    try {
      show(checkExport(text));
    } catch (error) {
      show({ ok: false, failure: error.message, ballots: [] });
    }
  }, 0);
});
