// Voting on an end-to-end verifiable ballot: the choice is encrypted and proved here, in the
// voter's browser; the server receives only the encrypted paper (docs/ballots.md, step 3).
// Before casting, the voter may challenge a paper (Benaloh): it is opened here and discarded.
import { auditChallenge, credentialKey, encryptPaper, readBallot, revealJson } from "./verifiable.js";

const root = document.getElementById("verifiable-vote");
const api = root.dataset.api;
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
const form = document.getElementById("marks");
const sealed = document.getElementById("sealed");
const outcome = document.getElementById("vote-outcome");
const question = JSON.parse(document.getElementById("verifiable-question").textContent);
let ballot = null;
let credential = null;
let pending = null; // { paper, marks, randomness } until cast or challenged

async function fetchJson(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${response.status} ${response.statusText}`);
  return body;
}

async function ready() {
  if (ballot === null) {
    const state = await fetchJson(api);
    ballot = readBallot(state.record); // rechecks the trustees' proofs and the fingerprint
    const mine = await fetchJson(`${api}/credential`);
    credential = credentialKey(mine.ballot, mine.secret).secret;
  }
}

function marks() {
  const count = question.options.length;
  if (form.querySelector("input[name=choice]")) {
    const chosen = form.querySelector("input[name=choice]:checked");
    return Array.from({ length: count }, (_, i) => (chosen && Number(chosen.value) === i ? 1 : 0));
  }
  if (form.querySelector("input[name=option]")) {
    return Array.from(form.querySelectorAll("input[name=option]"), (box) => (box.checked ? 1 : 0));
  }
  return Array.from(form.querySelectorAll("input[name=score]"), (input) => Number(input.value));
}

function show(message, failed = false) {
  outcome.textContent = message;
  outcome.className = failed ? "errors" : "";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    show("Encrypting…");
    await ready();
    const chosen = marks();
    const { paper, randomness } = encryptPaper(ballot, chosen, credential);
    pending = { paper, marks: chosen, randomness };
    document.getElementById("tracker").textContent = paper.tracker;
    document.getElementById("audit").hidden = true;
    sealed.hidden = false;
    show("");
  } catch (error) {
    show(error.message, true);
  }
});

document.getElementById("challenge").addEventListener("click", () => {
  const { paper, marks: chosen, randomness } = pending;
  pending = null;
  sealed.hidden = true;
  const reveal = revealJson(paper, chosen, randomness);
  try {
    const opened = auditChallenge(ballot, paper, reveal);
    const said = question.options.map((option, i) => `${option}: ${opened[i]}`).join(", ");
    document.getElementById("audit-outcome").textContent =
      `The encryption checks out: it holds ${said}. This paper is discarded; encrypt your choice again to cast it.`;
  } catch (error) {
    document.getElementById("audit-outcome").textContent = `The encryption does NOT hold your choice: ${error.message}`;
  }
  document.getElementById("audit-data").textContent = JSON.stringify({ paper, reveal }, null, 1);
  document.getElementById("audit").hidden = false;
});

document.getElementById("cast").addEventListener("click", async () => {
  const { paper } = pending;
  try {
    const answer = await fetchJson(`${api}/papers`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(paper),
    });
    pending = null;
    sealed.hidden = true;
    form.hidden = true;
    show(`Your paper is cast. Keep its tracker: ${answer.tracker}. It is listed among the papers cast on this page and on the public ledger; it shows that your paper counts, not what it says.`);
  } catch (error) {
    show(`Not cast: ${error.message}`, true);
  }
});
