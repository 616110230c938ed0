"""The catalogue of ledger event kinds: what each records and the fields of its payload.

Every event the platform appends has a kind listed here, and its payload has exactly the listed
fields (optional ones may be left out); :func:`check_payload` refuses anything else, so the
public record cannot drift from its documentation. ``docs/architecture.md`` prints this catalogue
(``kuzbass platform events`` writes it). Payloads hold no floats: numbers that are not whole are
written as their exact decimal text.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SEALS = "seals"
"""The payload field ``append_event`` adds itself: per table, the number of rows the event's
transaction wrote and the Merkle root of their digests (see ``kuzbass.ledger.seals``)."""


@dataclass(frozen=True)
class EventKind:
    """One kind of ledger event; ``fields`` maps each payload field to what it holds."""

    name: str
    summary: str
    fields: Mapping[str, str]
    optional: frozenset[str] = field(default_factory=frozenset)


def _kinds(*kinds: EventKind) -> dict[str, EventKind]:
    return {kind.name: kind for kind in kinds}


COUNCIL = "the council's short name"
MOTION = "the motion's id"
BY = "username of who acted"

CATALOGUE: dict[str, EventKind] = _kinds(
    EventKind(
        "demo.created",
        "The first event of a demonstration database: which scenario it retells.",
        {"scenario": "the scenario's title", "notice": "what is illustrative in it"},
    ),
    EventKind(
        "council.founded",
        "A council is founded with its constitution.",
        {
            "council": COUNCIL,
            "name": "its name",
            "kind": "workplace, consumer, federation or congress",
            "constitution": "quorum and thresholds, as fractions",
        },
    ),
    EventKind(
        "council.affiliated",
        "A council joins a federation or the congress.",
        {"body": "the federation or congress", "member_council": COUNCIL, "admitted_by": BY},
    ),
    EventKind(
        "council.constitution_changed",
        "A carried constitution motion changes a council's rules.",
        {"council": COUNCIL, "motion": MOTION, "constitution": "the new constitution"},
    ),
    EventKind(
        "member.joined",
        "Someone takes a seat in a council.",
        {
            "council": COUNCIL,
            "member": "username",
            "role": "member, delegate or officer",
            "represents": "for a delegate, the council whose mandate they carry",
            "how": "invitation, open sign-up, election or the administrator's bootstrap",
        },
    ),
    EventKind(
        "member.role_changed",
        "A member's role changes (an officer appointed).",
        {"council": COUNCIL, "member": "username", "role": "the new role"},
    ),
    EventKind(
        "motion.tabled",
        "A member tables a motion.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "number": "its number in the council",
            "kind": "ordinary, election, recall or constitution",
            "title": "its title",
            "tabled_by": BY,
        },
    ),
    EventKind(
        "motion.decided",
        "A motion is carried or defeated by its ballot.",
        {"council": COUNCIL, "motion": MOTION, "status": "carried or defeated", "ballot": "id"},
    ),
    EventKind(
        "amendment.proposed",
        "A member proposes a new text for a motion.",
        {"council": COUNCIL, "motion": MOTION, "amendment": "its number", "proposed_by": BY},
    ),
    EventKind(
        "amendment.decided",
        "An amendment's ballot carries or defeats it.",
        {"council": COUNCIL, "motion": MOTION, "amendment": "number", "status": "the outcome"},
    ),
    EventKind(
        "petition.signed",
        "A member signs the petition for a ballot on a motion; the signature that reaches the "
        "council's petition share opens the ballot without an officer.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "signer": "username of the member who signed",
            "signatures": "how many have signed, this one included",
            "needed": "how many signatures open the ballot",
            "ballot": "the ballot's id once the petition opened it, else null",
        },
    ),
    EventKind(
        "ballot.opened",
        "A motion (or an amendment) is put to the vote.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "ballot": "the ballot's id",
            "amendment": "the amendment's number, or null",
            "method": "the voting method",
            "options": "the options in order",
            "secret": "whether the ballot is secret",
            "opens_at": "ISO 8601",
            "closes_at": "ISO 8601",
            "opened_by": BY,
            "constitution": "the council's quorum and thresholds when the ballot opened, frozen "
            "for this ballot: later changes apply to later ballots only",
            "electorate": "how many members are on the roll (closed at the opening), or null "
            "for a ballot that opens later",
            "verifiable": "for an end-to-end verifiable ballot, written when its trustees "
            "complete the key: the question, the trustees' commitments, proofs and verification "
            "keys, the joint key, the roll of voters' credentials and the fingerprint "
            "(docs/ballots.md)",
        },
        optional=frozenset({"verifiable"}),
    ),
    EventKind(
        "council.verifiable_ballots",
        "A council chooses end-to-end verifiable secret ballots and names their trustees (an "
        "empty list of trustees goes back to ordinary secret ballots).",
        {
            "council": COUNCIL,
            "trustees": "usernames in order (trustee 1 first)",
            "threshold": "how many trustees are needed to decrypt",
            "set_by": BY,
        },
    ),
    EventKind(
        "ballot.key_setup",
        "A verifiable ballot is put to the vote: its trustees are called to set up its key; "
        "voting opens (ballot.opened) when the key is complete.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "ballot": "the ballot's id",
            "verifiable": "the ballot's name in its cryptographic records",
            "trustees": "usernames in order",
            "threshold": "how many trustees are needed to decrypt",
            "opened_by": BY,
        },
    ),
    EventKind(
        "ballot.trustee_uploaded",
        "A trustee hands the server one step of the key set-up or their partial decryption.",
        {
            "ballot": "the ballot's id",
            "verifiable": "the ballot's name in its cryptographic records",
            "trustee": "the trustee's number",
            "name": "the trustee's username",
            "step": "announce, deal, finish or decrypt",
            "sha256": "SHA-256 of the canonical JSON uploaded",
        },
    ),
    EventKind(
        "ballot.encrypted_paper",
        "An encrypted paper is cast on a verifiable ballot, exactly as the voter's browser made "
        "it (checked before it is recorded).",
        {
            "ballot": "the ballot's name in its cryptographic records",
            "fingerprint": "the opened record's fingerprint",
            "credential": "the voter's public credential (on the roll)",
            "choices": "one ElGamal ciphertext per option",
            "choice_proofs": "per option, the disjunctive proof that the mark is allowed",
            "total_proof": "the proof that the marks add up to an allowed total",
            "signature": "the credential's signature of the paper",
            "tracker": "SHA-256 of the paper; the voter keeps it",
        },
    ),
    EventKind(
        "ballot.tallying",
        "A verifiable ballot closes: the encrypted tally waits for the trustees' partial "
        "decryptions.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "ballot": "the ballot's id",
            "verifiable": "the ballot's name in its cryptographic records",
            "reason": "closing time, every member on the roll has voted, or the key was not "
            "complete",
            "papers": "how many encrypted papers were cast",
            "encrypted_tally": "the product of the papers' ciphertexts, option by option",
            "roll": "usernames of those who voted, sorted",
        },
    ),
    EventKind(
        "ballot.decrypted",
        "Enough trustees decrypted a verifiable ballot's total: every partial decryption with "
        "its proofs, and the result.",
        {
            "ballot": "the ballot's name in its cryptographic records",
            "fingerprint": "the opened record's fingerprint",
            "papers": "how many papers are counted",
            "encrypted_tally": "the product of the papers' ciphertexts, option by option",
            "partial_decryptions": "each trustee's decryption factors with proofs",
            "result": "each option's total",
        },
    ),
    EventKind(
        "ballot.closed",
        "A ballot is tallied: its result, the roll and the digest of its papers.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "ballot": "the ballot's id",
            "reason": "closing time, or every member on the roll has voted",
            "tally": "the result: counts, quorum, threshold, winners",
            "papers": "SHA-256 of the sorted papers",
            "roll": "usernames of those who voted, sorted",
        },
    ),
    EventKind(
        "delegate.elected",
        "A council elects a delegate with a mandate.",
        {
            "council": COUNCIL,
            "delegate": "username",
            "mandate": "the mandate's id",
            "body": "the federation or congress they sit in, or null",
            "instructions": "the mandate the council voted",
            "motion": MOTION,
        },
    ),
    EventKind(
        "delegate.recalled",
        "A council recalls its delegate.",
        {"council": COUNCIL, "delegate": "username", "mandate": "id", "motion": MOTION},
    ),
    EventKind(
        "demand.status_changed",
        "A demand is raised, adopted, rejected, put in the plan or met.",
        {
            "council": COUNCIL,
            "demand": "the demand's id",
            "number": "its number in the council",
            "status": "raised, open, in_plan, fulfilled or rejected",
            "reason": "why, in words",
            "motion": "the deciding motion's id, or null",
            "responsible_body": "the council that must meet it, or null",
        },
    ),
    EventKind(
        "plan.products_registered",
        "The congress adds products to the catalogue.",
        {"congress": COUNCIL, "by": BY, "products": "[name, unit, kind] triples"},
    ),
    EventKind(
        "plan.resources_registered",
        "The congress registers natural resources (or labour) and their stocks.",
        {"congress": COUNCIL, "by": BY, "resources": "[name, unit, available, kind] rows"},
    ),
    EventKind(
        "plan.techniques_declared",
        "A workplace declares or revises its techniques.",
        {
            "workplace": COUNCIL,
            "by": BY,
            "how": "form or upload",
            "techniques": "the first 50 technique names",
            "count": "how many",
            "declarations_sha256": "SHA-256 of the declared rows",
            "round": "the open participatory round, or null",
        },
    ),
    EventKind(
        "plan.technique_withdrawn",
        "A workplace withdraws a technique.",
        {"workplace": COUNCIL, "technique": "its name", "by": BY},
    ),
    EventKind(
        "plan.matter_tabled",
        "A plan question (norms, priorities, rules, adoption) is put before a council.",
        {
            "council": COUNCIL,
            "motion": MOTION,
            "kind": "norms, priorities, rules or adoption",
            "content": "what takes effect if carried",
            "version": "for an adoption, the plan version's number",
        },
    ),
    EventKind(
        "plan.norms_in_force",
        "A workplace's norms take effect.",
        {"council": COUNCIL, "motion": MOTION, "content": "the norms"},
    ),
    EventKind(
        "plan.priorities_in_force",
        "The congress's priority classes take effect.",
        {"council": COUNCIL, "motion": MOTION, "content": "the classes in order"},
    ),
    EventKind(
        "plan.rules_in_force",
        "The congress's planning rules take effect.",
        {"council": COUNCIL, "motion": MOTION, "content": "the rules"},
    ),
    EventKind(
        "plan.need_submitted",
        "A consumer council submits or revises a need.",
        {
            "council": COUNCIL,
            "product": "the product",
            "use": "the priority class it serves",
            "quantity": "exact decimal text",
            "demand": "the demand it carries, or null",
            "revision": "whether it replaces an earlier need",
            "by": BY,
            "round": "the open participatory round, or null",
        },
    ),
    EventKind(
        "plan.need_withdrawn",
        "A consumer council withdraws a need.",
        {"council": COUNCIL, "product": "the product", "use": "its use", "by": BY},
    ),
    EventKind(
        "plan.draft_stored",
        "A planning run stores a draft plan version.",
        {
            "congress": COUNCIL,
            "version": "its number",
            "content_hash": "SHA-256 of its content",
            "summary": "objective, fulfilment, counts",
            "by": BY,
            "round": "the participatory round it closed, or null",
        },
    ),
    EventKind(
        "plan.adopted",
        "The congress adopts a plan version by vote.",
        {"congress": COUNCIL, "version": "number", "content_hash": "SHA-256", "motion": MOTION},
    ),
    EventKind(
        "plan.round_opened",
        "A participatory round opens with its prices.",
        {
            "congress": COUNCIL,
            "series": "the series of rounds",
            "round": "the round's number",
            "deadline": "ISO 8601",
            "prices": "hours per unit, by good",
            "by": BY,
        },
    ),
    EventKind(
        "plan.proposal_submitted",
        "A council answers a round's prices with its proposal (every number, so that anyone can "
        "recompute a round's tally and prices from the ledger alone).",
        {
            "council": COUNCIL,
            "kind": "workplace or consumer",
            "series": "the series of rounds",
            "round": "the round answered",
            "outputs": "product → quantity the workplace will make (exact decimal text)",
            "inputs": "good → quantity the output needs",
            "hours": "labour type → hours the workplace's members offer",
            "needs": "product → quantity the consumer council asks for",
            "budget": "the consumer council's budget in hours, or null",
            "cost": "the proposal's cost at the round's prices, in hours",
            "by": BY,
        },
    ),
    EventKind(
        "plan.series_ended",
        "Adopting a version made by a series of rounds ends the series: its open round closes.",
        {
            "congress": COUNCIL,
            "series": "the series",
            "round": "the round closed unanswered",
            "version": "the adopted version's number",
        },
    ),
    EventKind(
        "plan.round_closed",
        "A participatory round is tallied and the prices move.",
        {
            "congress": COUNCIL,
            "series": "the series",
            "round": "the round's number",
            "balanced": "whether every good is within tolerance",
            "final": "whether the series ends here",
            "max_imbalance_percent": "the worst good's imbalance",
            "version": "the plan version computed, or null",
            "new_prices": "hours per unit, by good",
        },
    ),
    EventKind(
        "deductions.set",
        "The congress's deductions for the public and investment funds.",
        {
            "congress": COUNCIL,
            "public_fund": "share, as a fraction",
            "investment_fund": "share, as a fraction",
            "overdraft_hours": "how far a member may overdraw",
            "motion": "the carried motion, or null",
            "set_by": BY,
        },
    ),
    EventKind(
        "hours.registered",
        "A workplace registers hours worked by a member.",
        {
            "workplace": COUNCIL,
            "worker": "username",
            "period": "the plan period",
            "key": "the workplace's reference",
            "hours": "exact decimal text",
            "registration": "the registration's id",
        },
    ),
    EventKind(
        "hours.sheet_registered",
        "A workplace registers a whole time sheet.",
        {
            "workplace": COUNCIL,
            "period": "the plan period",
            "registrations": "how many lines",
            "hours": "total, exact decimal text",
            "sheet": "SHA-256 of the sorted lines",
            "registered_by": BY,
        },
    ),
    EventKind(
        "hours.confirmed",
        "A member confirms all their waiting registrations.",
        {"worker": "username", "registrations": "how many"},
    ),
    EventKind(
        "hours.credited",
        "A confirmed registration is credited, after the deductions.",
        {
            "workplace": COUNCIL,
            "worker": "username",
            "registration": "id",
            "period": "the plan period",
            "deductions": "the deductions' id",
            "transfers": "hours by transfer kind",
        },
    ),
    EventKind(
        "hours.credited_batch",
        "Confirmed registrations credited together.",
        {
            "batch": "the batch's id",
            "registrations": "how many",
            "transfers": "how many transfers",
            "deductions": "the deductions' id",
            "range": "[first, last] registration id",
        },
    ),
    EventKind(
        "accounts.opened",
        "Labour-time accounts opened in bulk before a crediting.",
        {"accounts": "how many"},
    ),
    EventKind(
        "account.changed",
        "A person changes or resets their password.",
        {"user": "username", "change": "password or reset"},
    ),
    EventKind(
        "member.invited",
        "An officer invites someone to join a council (the link's token is not recorded).",
        {"council": COUNCIL, "role": "member or officer", "invited_by": BY},
    ),
    EventKind(
        "motion.commented",
        "A member adds to the discussion of a motion.",
        {"council": COUNCIL, "motion": MOTION, "author": "username", "text_sha256": "of the text"},
    ),
    EventKind(
        "goods.consumed",
        "A member takes goods from the social product at the plan's labour values.",
        {"member": "username", "goods": "quantity and hours by product", "hours": "total"},
    ),
    EventKind(
        "fulfilment.threshold_set",
        "A workplace sets the deviation from the plan it flags.",
        {"workplace": COUNCIL, "threshold": "a fraction", "set_by": BY},
    ),
    EventKind(
        "fulfilment.reported",
        "A workplace reports what it made against the plan.",
        {
            "workplace": COUNCIL,
            "period": "the plan period",
            "product": "the product",
            "planned_output": "exact decimal text",
            "actual_output": "exact decimal text",
        },
    ),
)


def check_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """Refuse a kind that is not in the catalogue, or a payload whose fields differ from it."""
    entry = CATALOGUE.get(kind)
    if entry is None:
        raise ValueError(f"ledger event kind {kind!r} is not in the catalogue (core/events.py)")
    given = set(payload) - {SEALS}
    unknown = sorted(given - set(entry.fields))
    missing = sorted(set(entry.fields) - entry.optional - given)
    if unknown or missing:
        raise ValueError(
            f"ledger event {kind!r}: "
            + "; ".join(
                part
                for part in (
                    f"fields not in the catalogue: {', '.join(unknown)}" if unknown else "",
                    f"missing fields: {', '.join(missing)}" if missing else "",
                )
                if part
            )
        )


def catalogue_markdown() -> str:
    """The catalogue as the Markdown section of ``docs/architecture.md``."""
    lines = []
    for entry in sorted(CATALOGUE.values(), key=lambda e: e.name):
        lines += [f"### `{entry.name}`", "", entry.summary, ""]
        for name, meaning in entry.fields.items():
            optional = " (optional)" if name in entry.optional else ""
            lines.append(f"- `{name}`{optional}: {meaning}")
        lines.append("")
    return "\n".join(lines)
