"""Verifiable secret ballots: known answers, round trips, the count, and tampering caught."""

import copy
import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pysodium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.democracy.verifiable_setup import (
    RFC_9496_INVALID,
    cases_both_verifiers_must_agree_on,
    events_for,
    flip,
    hex_leaves,
    key_set_up,
    set_up,
)

from kuzbass.democracy import verifiable as v
from kuzbass.democracy.verifiable import group, papers, proofs, tally, trustees
from kuzbass.ledger import canonical_json

FIXTURE = Path(__file__).parent / "data" / "verifiable-ballot.json"
YES_NO = v.Question(("yes", "no", "abstain"), 1, 1, 1)


def fixture_events() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text())


def fixture_ballot() -> v.Ballot:
    return v.read_ballot(fixture_events()[0]["payload"]["verifiable"])


# ---- known answers -------------------------------------------------------------------------


def test_generator_multiples_are_rfc_9496_test_vectors() -> None:
    vectors = [
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
        "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
        "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    ]
    assert [group.base_power(n).hex() for n in (1, 2, 3, 4)] == vectors
    assert group.power(group.GENERATOR, 4).hex() == vectors[3]
    assert group.add(group.base_power(1), group.base_power(2)).hex() == vectors[2]


def test_every_invalid_encoding_of_rfc_9496_and_the_identity_are_refused() -> None:
    for text in RFC_9496_INVALID:
        with pytest.raises(v.MalformedValueError, match="is not a ristretto255 group element"):
            group.decode_element(text, "x")
    with pytest.raises(v.MalformedValueError, match="is not a ristretto255 group element"):
        group.decode_element("00" * 32, "x")
    assert group.decode_element("00" * 32, "x", allow_identity=True) == group.IDENTITY


def test_challenge_is_sha512_of_length_framed_parts() -> None:
    framed = b"".join(
        len(part).to_bytes(4, "big") + part
        for part in (b"tag", b"ballot", (7).to_bytes(8, "big"), group.GENERATOR)
    )
    expected = int.from_bytes(hashlib.sha512(framed).digest(), "little") % group.ORDER
    assert group.challenge("tag", ["ballot", 7, group.GENERATOR]) == expected
    # framing keeps the parts apart: "ab" + "c" is not "a" + "bc"
    assert group.challenge("t", ["ab", "c"]) != group.challenge("t", ["a", "bc"])


# ---- strong Fiat–Shamir: the statement is in every hash ----------------------------------
# Bernhard, Pereira and Warinschi (2012) showed that a hash of the commitments alone ("weak"
# Fiat–Shamir, as Helios had it) lets a prover pick the statement after the challenge. Each
# forgery below satisfies the verification equations under such a weak hash; ours must refuse it.


def test_a_weak_fiat_shamir_forgery_of_a_schnorr_proof_is_refused() -> None:
    """Without knowing any secret: a 'key' X made to fit a proof chosen first."""
    context = ["ballot", 1]
    w, s = group.random_scalar(), group.random_scalar()
    commitment = group.base_power(w)
    c = group.challenge(papers.SIGNATURE_TAG, [*context, commitment])  # X left out
    key = group.power(group.sub(commitment, group.base_power(s)), pow(c, -1, group.ORDER))
    assert group.add(group.base_power(s), group.power(key, c)) == commitment  # fits, weakly
    forged = proofs.Proof(c, s)
    assert not proofs.verify_knowledge(papers.SIGNATURE_TAG, context, key, forged)


def test_a_weak_fiat_shamir_forgery_of_a_partial_decryption_is_refused() -> None:
    """A trustee who knows x_j publishes a factor other than α^x_j with a proof that fits it."""
    x, alpha = group.random_scalar(), group.base_power(group.random_scalar())
    key, context = group.base_power(x), ["fingerprint", 1, 0]
    w, u = group.random_scalar(), group.random_scalar()
    first, second = group.base_power(w), group.power(alpha, u)
    c = group.challenge(tally.DECRYPTION_TAG, [*context, key, alpha, first, second])  # F left out
    s = (w - x * c) % group.ORDER
    factor = group.power(alpha, x + (u - w) * pow(c, -1, group.ORDER))
    assert factor != group.power(alpha, x)
    assert group.add(group.base_power(s), group.power(key, c)) == first  # fits, weakly
    assert group.add(group.power(alpha, s), group.power(factor, c)) == second
    forged = proofs.Proof(c, s)
    assert not proofs.verify_equal_logs(tally.DECRYPTION_TAG, context, key, alpha, factor, forged)


def test_the_committed_ballot_still_verifies_with_its_known_result() -> None:
    report = v.verify_events(fixture_events())
    assert report.ok, report.failure
    assert report.papers_verified == 5
    assert report.ballots[0].result == {"yes": 3, "no": 1, "abstain": 1}


def test_tracker_is_the_sha256_of_the_canonical_paper() -> None:
    paper = fixture_events()[1]["payload"]
    body = {k: value for k, value in paper.items() if k != "tracker"}
    assert paper["tracker"] == hashlib.sha256(canonical_json(body)).hexdigest()


# ---- round trips ---------------------------------------------------------------------------

scalars = st.integers(0, group.ORDER - 1)


@given(scalars)
def test_scalar_and_element_encodings_round_trip(x: int) -> None:
    assert group.decode_scalar(group.scalar_bytes(x).hex(), "x") == x
    if x:
        element = group.base_power(x)
        assert group.decode_element(element.hex(), "e") == element


@given(st.integers(group.ORDER, 2**256 - 1))
def test_unreduced_scalars_are_refused(x: int) -> None:
    with pytest.raises(v.MalformedValueError, match="not reduced modulo the group order"):
        group.decode_scalar(x.to_bytes(32, "little").hex(), "response")


@given(scalars, scalars)
def test_proof_json_round_trips(c: int, r: int) -> None:
    proof = proofs.Proof(c, r)
    assert proofs.Proof.from_json(proof.to_json(), "p") == proof


def test_question_and_trustee_secret_round_trip() -> None:
    question = v.Question(("a", "b", "c"), 5, 2, 9)
    assert v.Question.from_json(json.loads(json.dumps(question.to_json()))) == question
    secrets, _ = key_set_up("b")
    assert v.TrusteeSecret.from_json(json.loads(json.dumps(secrets[0].to_json()))) == secrets[0]


# ---- the count -----------------------------------------------------------------------------


@st.composite
def questions_and_marks(draw: st.DrawFn) -> tuple[v.Question, list[list[int]]]:
    options = tuple(f"option {i}" for i in range(draw(st.integers(1, 3))))
    max_score = draw(st.integers(1, 3))
    top = len(options) * max_score
    low = draw(st.integers(0, top))
    high = draw(st.integers(low, top))
    question = v.Question(options, max_score, low, high)
    row = st.lists(st.integers(0, max_score), min_size=len(options), max_size=len(options))
    marks = draw(st.lists(row.filter(lambda m: low <= sum(m) <= high), max_size=4))
    return question, marks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(questions_and_marks(), st.sampled_from([(1, 2), (2, 3), (1, 3), (1, 2, 3)]))
def test_the_decrypted_tally_is_the_plain_count(
    case: tuple[v.Question, list[list[int]]], trustees: tuple[int, ...]
) -> None:
    question, marks = case
    setup = set_up("ballot", question, voters=len(marks))
    report = v.verify_events(events_for(setup, marks, trustees))
    assert report.ok, report.failure
    totals = [sum(column) for column in zip(*marks, strict=True)] or [0] * len(question.options)
    assert report.ballots[0].result == dict(zip(question.options, totals, strict=True))


@given(
    st.lists(scalars, min_size=1, max_size=5),
    st.lists(st.integers(1, 9), min_size=5, max_size=9, unique=True),
)
def test_lagrange_coefficients_recover_the_constant_term_from_any_threshold_subset(
    coefficients: list[int], indices: list[int]
) -> None:
    """Σ_j λ_j f(j) = f(0) for any t distinct trustee numbers, t = the polynomial's size."""
    chosen = indices[: len(coefficients)]
    shares = {j: sum(a * j**k for k, a in enumerate(coefficients)) % group.ORDER for j in chosen}
    total = sum(trustees.lagrange_coefficient(j, chosen) * shares[j] for j in chosen)
    assert total % group.ORDER == coefficients[0]


def test_a_trustee_who_copies_anothers_commitments_and_proofs_is_refused() -> None:
    """Copying trustee 1's commitments would give trustee 2 a share of the key it cannot use
    and let trustee 1 decrypt alone; the proofs are bound to the trustee's number."""
    names = ("anna", "boris", "vera")
    announcements = [v.announce("b", names, 2, i)[1] for i in (1, 2, 3)]
    for field in ("commitments", "commitment_proofs", "channel_key"):
        announcements[1][field] = announcements[0][field]
    with pytest.raises(
        v.TrusteeError, match=r"trustee 2 \(boris\): the proof of knowledge of coefficient 0 fails"
    ):
        v.deal(v.announce("b", names, 2, 3)[0], announcements)


def test_one_trustee_below_the_threshold_cannot_decrypt() -> None:
    setup = set_up("b", YES_NO, voters=1)
    paper, _ = v.encrypt_paper(setup.ballot, [1, 0, 0], setup.credentials[0])
    total = v.encrypted_tally(setup.ballot, [v.check_paper(setup.ballot, paper)])
    only = v.check_partial_decryption(
        setup.ballot, total, v.partial_decryption(setup.ballot, setup.trustees[0], total)
    )
    with pytest.raises(v.TallyError, match="1 partial decryptions, but 2 trustees are needed"):
        v.combine(setup.ballot, total, [only], 1)


# ---- tampering -----------------------------------------------------------------------------


def resign(ballot: v.Ballot, paper: dict[str, Any], voter: int) -> None:
    """What a cheating voter could do: sign and track a changed paper with their own credential."""
    secret, credential = v.credential_key(ballot.id, f"voter {voter} secret")
    assert paper["credential"] == credential.hex()
    signed = papers.signed_digest(paper)
    proof = proofs.prove_knowledge(
        papers.SIGNATURE_TAG, [ballot.fingerprint, signed], secret, credential
    )
    paper["signature"] = proof.to_json()
    paper["tracker"] = v.tracker(paper)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_changed_hex_value_in_a_paper_or_decryption_is_caught(data: st.DataObject) -> None:
    events = fixture_events()
    index = data.draw(st.integers(1, len(events) - 1), label="event")
    payload = events[index]["payload"]
    leaves = [p for p in hex_leaves(payload) if p[0] not in ("ballot", "fingerprint")]
    path = data.draw(st.sampled_from(leaves), label="value")
    flip(payload, path, data.draw(st.integers(0, 63), label="character"))
    voter = index - 1
    in_proofs = path[0] in ("choices", "choice_proofs", "total_proof")
    if events[index]["kind"] == v.CAST and in_proofs and data.draw(st.booleans(), label="re-sign"):
        resign(fixture_ballot(), payload, voter)
    report = v.verify_events(events)
    assert not report.ok
    assert report.failure is not None and report.failure.startswith(f"event {index + 1} ")


def test_two_worker_processes_give_the_same_report() -> None:
    events = fixture_events()
    tampered = fixture_events()
    flip(tampered[4]["payload"], ("total_proof", 0, "response"), 5)
    replayed = [*events[:3], events[2], *events[3:]]
    for case in (events, tampered, replayed):
        one, two = v.verify_events(case), v.verify_events(case, workers=2)
        assert one.failure == two.failure
        assert [(b.ballot.id, len(b.papers), b.result) for b in one.ballots] == [
            (b.ballot.id, len(b.papers), b.result) for b in two.ballots
        ]
    assert v.verify_events(tampered, workers=2).failure.startswith(
        "event 5 (ballot.encrypted_paper)"
    )


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a payload, containers included."""
    inner: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        inner = [p for key in sorted(value) for p in paths(value[key], (*path, key))]
    elif isinstance(value, list):
        inner = [p for i, item in enumerate(value) for p in paths(item, (*path, i))]
    return [path, *inner] if path else inner


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**70) | st.floats() | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_json_in_any_place_gives_a_named_failure_never_a_crash(data: st.DataObject) -> None:
    events = fixture_events()
    index = data.draw(st.integers(0, len(events) - 1), label="event")
    path = data.draw(st.sampled_from(paths(events[index]["payload"])), label="place")
    replacement = data.draw(json_values, label="value")
    *parents, last = path
    holder: Any = events[index]["payload"]
    for key in parents:
        holder = holder[key]
    if holder[last] == replacement:
        return
    holder[last] = replacement
    report = v.verify_events(events)  # must not raise
    if not report.ok:
        assert report.failure is not None and report.failure.startswith("event ")


def test_a_changed_result_is_named() -> None:
    events = fixture_events()
    events[-1]["payload"]["result"]["no"] = 2
    report = v.verify_events(events)
    assert report.failure is not None
    assert "event 7 (ballot.decrypted): the published result" in report.failure


# ---- bad input, each refused with a clear message ------------------------------------------


def cast(ballot: v.Ballot, paper: Any, **seen: Any) -> None:
    v.check_paper(ballot, paper, **seen)


def test_malformed_ciphertexts_are_named() -> None:
    ballot, paper = fixture_ballot(), fixture_events()[1]["payload"]
    bad = copy.deepcopy(paper)
    bad["choices"][0]["alpha"] = "not hex"
    bad["tracker"] = v.tracker(bad)
    with pytest.raises(
        v.PaperRejectedError, match=r"choices\[0\]\.alpha: expected 64 lowercase hex"
    ):
        cast(ballot, bad)
    bad["choices"][0]["alpha"] = "ff" * 32
    bad["tracker"] = v.tracker(bad)
    with pytest.raises(v.PaperRejectedError, match="is not a ristretto255 group element"):
        cast(ballot, bad)
    bad["choices"] = bad["choices"][:2]
    bad["tracker"] = v.tracker(bad)
    with pytest.raises(v.PaperRejectedError, match="expected 3 ciphertexts, one per option"):
        cast(ballot, bad)


def test_a_failing_proof_is_named() -> None:
    ballot, paper = fixture_ballot(), fixture_events()[1]["payload"]
    other = fixture_events()[3]["payload"]  # a "no" paper
    paper["choices"][1] = other["choices"][1]
    resign(ballot, paper, 0)
    with pytest.raises(
        v.PaperRejectedError, match=r"the proof that the mark for 'no' is in 0\.\.1 fails"
    ):
        cast(ballot, paper)


def test_proofs_cannot_be_moved_to_another_option_proof_kind_voter_or_ballot() -> None:
    """Each move keeps the proof's statement (key, ciphertext, allowed values) and is re-signed
    by a voter on the roll, so only the proof's other hash inputs (option index, tag and
    context, credential, fingerprint) can catch it."""
    setup = set_up("b", v.Question(("a", "b"), 1, 0, 2), voters=2)
    ballot = setup.ballot
    mine, _ = v.encrypt_paper(ballot, [1, 0], setup.credentials[0])
    theirs, _ = v.encrypt_paper(ballot, [0, 1], setup.credentials[1])
    swapped = copy.deepcopy(mine)  # option a's ciphertext and proofs given as option b's
    swapped["choices"].reverse()
    swapped["choice_proofs"].reverse()
    copied = {**copy.deepcopy(theirs), "credential": mine["credential"]}  # Cortier–Smyth
    stranger = v.credential_key("b", "a late voter")[1].hex()
    wider = v.read_ballot(  # same key and question, one more voter: another fingerprint
        v.open_ballot(
            "b", ballot.question, setup.opened["trustees"], [*setup.opened["voters"], stranger]
        )
    )
    moved = {**copy.deepcopy(mine), "fingerprint": wider.fingerprint}
    single = set_up("b", v.Question(("a",), 1, 0, 1), voters=1)  # marks and totals both 0..1
    kinds, _ = v.encrypt_paper(single.ballot, [1], single.credentials[0])
    kinds["total_proof"] = kinds["choice_proofs"][0]
    cases = [
        (swapped, ballot, "the proof that the mark for 'a' is in 0..1 fails"),
        (copied, ballot, "the proof that the mark for 'a' is in 0..1 fails"),
        (moved, wider, "the proof that the mark for 'a' is in 0..1 fails"),
        (kinds, single.ballot, "the proof that the marks add up to 0..1 fails"),
    ]
    for paper, where, failure in cases:
        resign(where, paper, 0)
        with pytest.raises(v.PaperRejectedError, match=re.escape(failure)):
            cast(where, paper)


def test_a_cheating_client_that_marks_two_options_fails_the_total_proof() -> None:
    setup = set_up("b", YES_NO, voters=1)
    lax = dataclasses.replace(setup.ballot, question=v.Question(YES_NO.options, 1, 0, 3))
    paper, _ = v.encrypt_paper(lax, [1, 1, 0], setup.credentials[0])
    with pytest.raises(v.PaperRejectedError, match=r"the marks add up to 1\.\.1 fails"):
        cast(setup.ballot, paper)


def test_a_replayed_tracker_and_a_second_paper_by_one_credential_are_refused() -> None:
    events = fixture_events()
    ballot, paper = fixture_ballot(), events[1]["payload"]
    first = v.check_paper(ballot, paper)
    with pytest.raises(v.PaperRejectedError, match="already cast \\(a replayed paper\\)"):
        cast(ballot, paper, seen_trackers={first.tracker})
    with pytest.raises(v.PaperRejectedError, match="has already voted"):
        cast(ballot, paper, used_credentials={first.credential})
    report = v.verify_events([*events[:2], events[1], *events[2:]])
    assert report.failure is not None
    assert report.failure.startswith("event 2 (ballot.encrypted_paper): paper")
    assert "replayed" in report.failure


def test_a_paper_for_another_ballots_key_is_refused() -> None:
    setup = set_up("kuzbass1989-no-confidence", YES_NO, voters=5)  # same id, other trustees
    paper, _ = v.encrypt_paper(setup.ballot, [1, 0, 0], setup.credentials[0])
    with pytest.raises(v.PaperRejectedError, match="a paper for another ballot or another key"):
        cast(fixture_ballot(), paper)


def test_a_voter_not_on_the_roll_is_refused() -> None:
    ballot = fixture_ballot()
    stranger, _ = v.credential_key(ballot.id, "not on the roll")
    paper, _ = v.encrypt_paper(ballot, [1, 0, 0], stranger)
    with pytest.raises(v.PaperRejectedError, match="is not on the roll"):
        cast(ballot, paper)


def test_a_trustees_wrong_partial_decryption_is_named() -> None:
    events = fixture_events()
    decryption = events[-1]["payload"]["partial_decryptions"][0]
    decryption["factors"][0] = group.base_power(12345).hex()
    report = v.verify_events(events)
    assert report.failure == (
        "event 7 (ballot.decrypted): trustee 2 (boris): the partial decryption of 'yes' fails "
        "its proof (a wrong decryption factor)"
    )


def test_a_dealer_whose_share_does_not_match_its_commitments_is_named() -> None:
    names = ("anna", "boris", "vera")
    started = [v.announce("b", names, 2, i) for i in (1, 2, 3)]
    announcements = [a for _, a in started]
    dealings = [v.deal(secret, announcements) for secret, _ in started]
    # boris deals, with his own channel key, from a polynomial he did not announce
    liar = dataclasses.replace(
        started[1][0], coefficients=v.announce("b", names, 2, 2)[0].coefficients
    )
    dealings[1] = v.deal(liar, announcements)
    with pytest.raises(
        v.TrusteeError, match=r"trustee 2 \(boris\) dealt trustee 1 a share that does not match"
    ):
        v.finish(started[0][0], announcements, dealings)


def test_a_relay_cannot_forge_or_reflect_a_share_to_blame_an_honest_dealer() -> None:
    """The server relays the sealed shares. It must not be able to make an honest dealer look
    like a cheat: neither with a share it sealed itself, nor by handing anna back a box she
    exchanged with boris in the other direction."""
    names = ("anna", "boris", "vera")
    started = [v.announce("b", names, 2, i) for i in (1, 2, 3)]
    announcements = [a for _, a in started]
    anna = started[0][0]
    forged = [v.deal(secret, announcements) for secret, _ in started]
    _, relay_secret = pysodium.crypto_box_keypair()
    nonce = pysodium.randombytes(pysodium.crypto_box_NONCEBYTES)
    message = group.scalar_bytes(12345) + (2).to_bytes(8, "big") + (1).to_bytes(8, "big")
    fake = pysodium.crypto_box(message, nonce, anna.channel_public, relay_secret)
    forged[1]["shares"]["1"] = (nonce + fake).hex()
    reflected = [v.deal(secret, announcements) for secret, _ in started]
    reflected[1]["shares"]["1"] = reflected[0]["shares"]["2"]  # anna's own box to boris
    for dealings in (forged, reflected):
        with pytest.raises(
            v.TrusteeError,
            match=r"the share from trustee 2 \(boris\) to trustee 1 was not sealed by trustee 2",
        ):
            v.finish(anna, announcements, dealings)
    honest = [v.deal(secret, announcements) for secret, _ in started]
    assert v.finish(anna, announcements, honest)[0].decryption_key is not None


def test_a_trustee_record_with_a_wrong_verification_key_is_named() -> None:
    opened = fixture_events()[0]["payload"]["verifiable"]
    opened["trustees"]["trustees"][2]["verification_key"] = group.base_power(7).hex()
    with pytest.raises(
        v.TrusteeError, match=r"trustee 3 \(vera\): verification key does not match"
    ):
        v.read_ballot(opened)


def test_a_benaloh_challenge_reveals_the_marks_and_catches_a_lying_device() -> None:
    ballot = fixture_ballot()
    secret, _ = v.credential_key(ballot.id, "voter 0 secret")
    paper, randomness = v.encrypt_paper(ballot, [0, 1, 0], secret)
    assert v.audit_challenge(ballot, paper, v.reveal_json(paper, [0, 1, 0], randomness)) == [
        0,
        1,
        0,
    ]
    with pytest.raises(v.PaperRejectedError, match="does not encrypt the revealed mark 1"):
        v.audit_challenge(ballot, paper, v.reveal_json(paper, [1, 0, 0], randomness))


def test_an_empty_ballot_decrypts_to_zero() -> None:
    setup = set_up("b", YES_NO, voters=2)
    report = v.verify_events(events_for(setup, []))
    assert report.ok and report.ballots[0].result == {"yes": 0, "no": 0, "abstain": 0}


def test_small_log_refuses_a_total_out_of_bounds() -> None:
    with pytest.raises(v.TallyError, match="not between 0 and 3"):
        tally.small_log(group.base_power(9), 3)
    assert tally.small_log(group.base_power(9), 100) == 9


def test_a_trustee_refuses_to_decrypt_a_ballot_opened_with_someone_elses_commitments() -> None:
    setup = set_up("b", YES_NO, voters=1)
    impostor = dataclasses.replace(setup.trustees[0], coefficients=setup.trustees[1].coefficients)
    total = v.encrypted_tally(setup.ballot, [])
    with pytest.raises(v.TrusteeError, match="not opened with this trustee's commitments"):
        v.partial_decryption(setup.ballot, impostor, total)


def test_booleans_bad_names_and_broken_unicode_are_named_never_counted() -> None:
    cases = cases_both_verifiers_must_agree_on()
    found = [(what, v.verify_events(events).failure) for what, events, _ in cases]
    assert found == [(what, failure) for what, _, failure in cases]
