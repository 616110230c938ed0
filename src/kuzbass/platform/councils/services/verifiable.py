"""End-to-end verifiable secret ballots on the platform (docs/ballots.md): the council's choice
and trustees, the key set-up the trustees run through the server, intake of encrypted papers.

The server only relays and records: the cryptography is ``kuzbass.democracy.verifiable``, run by
the trustees on their own machines and by the voters' browsers. A ballot of a council that chose
verifiable ballots (yes/no, approval or score, secret) opens in the stage ``keys``; the last
trustee's verification key completes the joint key, and only then is ``ballot.opened`` written
with the record every paper is bound to. The close and the decryption are in
``services.verifiable_tally``.
"""

import hashlib
import threading
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from kuzbass import ledger
from kuzbass.democracy import VotingMethod
from kuzbass.democracy import verifiable as crypto
from kuzbass.platform import statements
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    RefusedError,
)
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    EncryptedPaper,
    Membership,
    Stage,
    TrusteeStep,
    TrusteeUpload,
    VerifiableBallot,
    VerifiableRule,
    VoterRoll,
)
from kuzbass.platform.councils.services import ballots as ordinary
from kuzbass.platform.councils.services import verifiable_tally
from kuzbass.platform.ledger.services import append_event, lock_ledger

METHODS = (VotingMethod.MAJORITY, VotingMethod.APPROVAL, VotingMethod.SCORE)
"""The methods a verifiable ballot can run; ranked ones need a verifiable shuffle (not built)."""
MIN_TRUSTEES = 3


# --- the council's choice -----------------------------------------------------------------


@transaction.atomic
def set_rule(actor: Visitor, council: Council, trustees: list[str], threshold: int) -> None:
    """An officer records the council's choice of verifiable ballots and their trustees
    (current members, at least three, any ``threshold`` of whom can decrypt); no trustees
    means ordinary secret ballots again. Applies to ballots opened from now on."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, council)
    names = [name.strip() for name in trustees if name.strip()]
    if names:
        if len(set(names)) != len(names) or len(names) < MIN_TRUSTEES:
            raise InvalidInputError(
                f"name at least {MIN_TRUSTEES} distinct trustees, got {names}", field="trustees"
            )
        for name in names:
            if not Membership.objects.filter(
                council=council, user__username=name, ended_at__isnull=True
            ).exists():
                raise InvalidInputError(
                    f"trustee {name!r} is not a member of {council.name}", field="trustees"
                )
        if isinstance(threshold, bool) or not 2 <= threshold <= len(names):
            raise InvalidInputError(
                f"the threshold must be between 2 and the {len(names)} trustees, got {threshold}",
                field="threshold",
            )
    rule = VerifiableRule.objects.filter(council=council).first()
    if not names:
        if rule is not None:
            rule.delete()
        threshold = 0
    else:
        rule = rule or VerifiableRule(council=council)
        rule.trustees, rule.threshold = names, threshold
        rule.save()
    append_event(
        "council.verifiable_ballots",
        {
            "council": council.slug,
            "trustees": names,
            "threshold": threshold,
            "set_by": actor.get_username(),
        },
        seals=[rule] if names and rule is not None else [],
    )


def rule_for(council: Council, ballot: Ballot) -> VerifiableRule | None:
    """The council's rule if this ballot is to be run verifiably (secret, and a method the
    verifiable scheme supports), else None."""
    if not ballot.secret or VotingMethod(ballot.method) not in METHODS:
        return None
    return VerifiableRule.objects.filter(council=council).first()


def is_verifiable(ballot: Ballot) -> bool:
    return VerifiableBallot.objects.filter(ballot_id=ballot.pk).exists()


def question(ballot: Ballot) -> crypto.Question:
    """What a paper may say: one of yes/no/abstain, any set of candidates, or scores."""
    options = tuple(ballot.options)
    method = VotingMethod(ballot.method)
    if method is VotingMethod.MAJORITY:
        return crypto.Question(options, 1, 1, 1)
    if method is VotingMethod.APPROVAL:
        return crypto.Question(options, 1, 0, len(options))
    return crypto.Question(options, ballot.max_score, 0, None)


def start_key_setup(actor: Actor, ballot: Ballot, rule: VerifiableRule) -> VerifiableBallot:
    """Inside the opening: call the council's trustees to set up this ballot's key."""
    record = VerifiableBallot.objects.create(
        ballot=ballot,
        name=f"{rule.council.slug}-{ballot.pk}",
        trustees=list(rule.trustees),
        threshold=rule.threshold,
    )
    append_event(
        "ballot.key_setup",
        {
            "council": rule.council.slug,
            "motion": ballot.motion_id,
            "ballot": ballot.pk,
            "verifiable": record.name,
            "trustees": record.trustees,
            "threshold": record.threshold,
            "opened_by": actor.get_username(),
        },
        seals=[ballot, ballot.motion, record],
    )
    return record


# --- the trustees' uploads ----------------------------------------------------------------


def get(ballot_id: int) -> VerifiableBallot:
    in_range = 0 < ballot_id < 2**63  # a bigger id is no row's, and no database's integer
    found = (
        VerifiableBallot.objects.select_related("ballot__motion__council")
        .filter(ballot_id=ballot_id)
        .first()
        if in_range
        else None
    )
    if found is None:
        raise NotFoundError(f"ballot {ballot_id} is not an end-to-end verifiable ballot")
    return found


def uploads(record: VerifiableBallot, step: str) -> list[Any]:
    """Every trustee's upload at one step, in trustee order."""
    rows = record.uploads.filter(step=step).order_by("trustee")
    return [row.payload for row in rows]


def _trustee_number(actor: Actor, record: VerifiableBallot) -> int:
    name = actor.get_username()
    if name not in record.trustees:
        raise NotAllowedError(f"you are not a trustee of ballot {record.ballot_id}")
    return record.trustees.index(name) + 1


def _step_ready(record: VerifiableBallot, step: TrusteeStep) -> None:
    """Refuse a step that comes too early or too late, saying what it waits for."""
    wanted = Stage.TALLYING if step == TrusteeStep.DECRYPT else Stage.KEYS
    if record.stage != wanted:
        raise RefusedError(
            f"ballot {record.ballot_id} is {record.get_stage_display()}: no {step} now"
        )
    before = {TrusteeStep.DEAL: TrusteeStep.ANNOUNCE, TrusteeStep.FINISH: TrusteeStep.DEAL}
    earlier = before.get(step)
    if earlier is not None:
        done = record.uploads.filter(step=earlier).count()
        if done < len(record.trustees):
            raise RefusedError(
                f"the {step} step waits for every trustee's {earlier}: "
                f"{done} of {len(record.trustees)} so far"
            )


def _check_shape(step: TrusteeStep, number: int, name: str, payload: Any) -> None:
    if not isinstance(payload, dict) or payload.get("trustee") != number:
        raise InvalidInputError(
            f"this {step} is not trustee {number}'s: its 'trustee' field is "
            f"{payload.get('trustee') if isinstance(payload, dict) else payload!r}",
            field="payload",
        )
    if step == TrusteeStep.ANNOUNCE and payload.get("name") != name:
        raise InvalidInputError(
            f"this announcement names {payload.get('name')!r}, not {name!r}", field="payload"
        )


def upload(actor: Visitor, ballot_id: int, step: str, payload: Any) -> VerifiableBallot:
    """A trustee hands the server one step's output (each step once). The last verification
    key completes the joint key and opens the ballot; enough partial decryptions publish the
    result. A partial decryption that fails its proof is refused naming the trustee."""
    actor = require_user(actor)
    if step not in TrusteeStep.values:
        raise InvalidInputError(
            f"step {step!r} is not one of {', '.join(TrusteeStep.values)}", field="step"
        )
    kind = TrusteeStep(step)
    try:
        with transaction.atomic():
            lock_ledger()
            record = get(ballot_id)
            record = VerifiableBallot.objects.select_for_update().get(pk=record.pk)
            number = _trustee_number(actor, record)
            _step_ready(record, kind)
            _check_shape(kind, number, actor.get_username(), payload)
            if kind == TrusteeStep.DECRYPT:
                verifiable_tally.check_partial(record, payload)
            TrusteeUpload.objects.create(
                verifiable=record, trustee=number, step=kind, payload=payload
            )
            append_event(
                "ballot.trustee_uploaded",
                {
                    "ballot": record.ballot_id,
                    "verifiable": record.name,
                    "trustee": number,
                    "name": actor.get_username(),
                    "step": kind.value,
                    "sha256": hashlib.sha256(ledger.canonical_json(payload)).hexdigest(),
                },
            )
            if kind == TrusteeStep.FINISH and len(uploads(record, kind)) == len(record.trustees):
                _complete_key(record)
            elif kind == TrusteeStep.DECRYPT and len(uploads(record, kind)) >= record.threshold:
                verifiable_tally.publish_result(record)
            return record
    except IntegrityError as error:
        raise RefusedError(f"you have already handed in your {kind} for this ballot") from error


def credential_secret(record: VerifiableBallot, user: Actor) -> str:
    """A member's credential secret for one ballot, derived from the server's key (so not
    stored). The server could therefore sign a paper in a member's name (docs/ballots.md,
    eligibility: the server-issued variant); the roll's size is public and checked."""
    return salted_hmac("kuzbass.verifiable.credential", f"{record.name}:{user.pk}").hexdigest()


def _complete_key(record: VerifiableBallot) -> None:
    """The trustees' record, the roll of eligible members' credentials, then ``ballot.opened``."""
    ballot = Ballot.objects.select_related("motion__council").get(pk=record.ballot_id)
    try:
        keys = crypto.key_record(
            record.name,
            record.trustees,
            record.threshold,
            uploads(record, TrusteeStep.ANNOUNCE),
            uploads(record, TrusteeStep.FINISH),
        )
    except (crypto.TrusteeError, crypto.MalformedValueError) as error:
        raise InvalidInputError(f"the key set-up does not check out: {error}") from error
    members = ordinary.eligible_memberships(ballot).select_related("user")
    users = {membership.user for membership in members}
    roll = [
        crypto.credential_key(record.name, credential_secret(record, user))[1].hex()
        for user in users
    ]
    record.record = crypto.open_ballot(record.name, question(ballot), keys, roll)
    record.stage = Stage.OPEN
    record.save(update_fields=["record", "stage"])
    ballot.electorate = len(users)
    ballot.save(update_fields=["electorate"])
    append_event(
        crypto.OPENED,
        {**ordinary.opened_payload(ballot), "verifiable": record.record},
        seals=[ballot, record],
    )


# --- casting ------------------------------------------------------------------------------

_read: dict[str, crypto.Ballot] = {}
_read_lock = threading.Lock()


def checked_ballot(record: VerifiableBallot) -> crypto.Ballot:
    """The opened record, checked once per process (every trustee proof is rechecked)."""
    assert record.record is not None
    fingerprint = record.record["fingerprint"]
    with _read_lock:
        found = _read.get(fingerprint)
    if found is None:
        found = crypto.read_ballot(record.record)
        with _read_lock:
            if len(_read) > 64:
                _read.clear()
            _read[fingerprint] = found
    return found


def my_credential(actor: Visitor, ballot_id: int) -> tuple[VerifiableBallot, str]:
    """The voter's credential secret, for their browser to sign their paper with."""
    actor = require_user(actor)
    record = get(ballot_id)
    if record.stage != Stage.OPEN:
        raise RefusedError(f"ballot {ballot_id} is {record.get_stage_display()}")
    _require_on_roll(actor, record.ballot)
    return record, credential_secret(record, actor)


def _require_on_roll(actor: Actor, ballot: Ballot) -> None:
    if not ordinary.eligible_memberships(ballot).filter(user_id=actor.pk).exists():
        raise NotAllowedError(
            f"you are not on the roll of ballot {ballot.pk} (members of "
            f"{ballot.motion.council.name} when it opened)"
        )


def cast(actor: Visitor, ballot_id: int, paper: Any) -> str:
    """Check one encrypted paper (every proof, the credential, the ballot's key) and record it
    on the ledger; returns its tracker. The unique constraints on the roll and on the papers
    make one member one paper even when casts race; a refused paper is recorded nowhere."""
    actor = require_user(actor)
    record = get(ballot_id)
    if record.stage != Stage.OPEN:
        raise RefusedError(
            f"ballot {ballot_id} is {record.get_stage_display()}: no papers are taken now"
        )
    ballot = record.ballot
    _require_on_roll(actor, ballot)
    opened = checked_ballot(record)
    try:
        checked = crypto.check_paper(opened, paper)
    except crypto.PaperRejectedError as error:
        raise InvalidInputError(f"paper refused: {error}", field="paper") from error
    mine = crypto.credential_key(record.name, credential_secret(record, actor))[1]
    if checked.credential != mine:
        raise NotAllowedError("paper refused: it is signed with a credential that is not yours")
    try:
        with transaction.atomic():
            statements.insert(VoterRoll(ballot_id=ballot.pk, voter=actor))
            statements.insert(
                EncryptedPaper(
                    verifiable=record,
                    tracker=checked.tracker,
                    credential=checked.credential.hex(),
                    payload=paper,
                )
            )
            append_event(crypto.CAST, paper)
            # Read under the ledger's lock, so after a close that ran meanwhile has committed;
            # a closed ballot undoes the whole cast.
            now = clock.now()
            current = Ballot.objects.only("closed_at", "closes_at", "opens_at").get(pk=ballot.pk)
            if current.closed_at is not None or now >= current.closes_at:
                raise RefusedError(f"this ballot closed at {current.closes_at:%Y-%m-%d %H:%M} UTC")
            if now < current.opens_at:
                raise RefusedError(f"this ballot opens at {current.opens_at:%Y-%m-%d %H:%M} UTC")
    except IntegrityError as error:
        if EncryptedPaper.objects.filter(tracker=checked.tracker).exists():
            raise RefusedError(
                f"paper refused: tracker {checked.tracker[:16]}… was already cast (a replayed "
                "paper)"
            ) from error
        raise RefusedError("you have already voted on this ballot") from error
    return checked.tracker
