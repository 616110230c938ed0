"""The councils' decision procedures, end to end through the services."""

from datetime import timedelta
from typing import Any

import pytest

from kuzbass.platform import statements
from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.core import errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import (
    Ballot,
    BallotPaper,
    Demand,
    Mandate,
    Membership,
    Motion,
    PendingPaper,
    VoterRoll,
)
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database


def kinds() -> list[str]:
    return list(LedgerEvent.objects.order_by("sequence").values_list("kind", flat=True))


def test_invitation_makes_a_member_once(brigade: dict[str, Any], make_user: Any) -> None:
    council, officer = brigade["council"], brigade["officer"]
    issued = services.invite(officer, council)
    newcomer = make_user("dmitri")
    membership = services.accept_invitation(issued.token, newcomer)
    assert membership.role == "member" and membership.council == council
    with pytest.raises(errors.RefusedError, match="already been used"):
        services.accept_invitation(issued.token, make_user("eve"))
    with pytest.raises(errors.InvalidInputError, match="not valid"):
        services.accept_invitation("forged-token", newcomer)
    assert issued.token not in str(list(council.invitations.values()))  # only the hash is kept


def test_enrolment_by_the_administrator_is_on_the_ledger_once(
    brigade: dict[str, Any], make_user: Any
) -> None:
    council = brigade["council"]
    newcomer = make_user("dmitri")
    membership = services.enrol(newcomer, council, "delegate", how="demo scenario")
    assert membership.role == "delegate" and membership.council == council
    joined = LedgerEvent.objects.filter(kind="member.joined").order_by("sequence").last()
    assert joined is not None
    assert joined.payload["member"] == "dmitri" and joined.payload["how"] == "demo scenario"
    before = LedgerEvent.objects.count()
    with pytest.raises(errors.RefusedError, match="already a member"):
        services.enrol(newcomer, council, "member", how="demo scenario")
    assert LedgerEvent.objects.count() == before
    assert verify_database().ok


def test_only_officers_invite_and_no_open_signup(brigade: dict[str, Any]) -> None:
    council, member = brigade["council"], brigade["members"][0]
    with pytest.raises(errors.NotAllowedError, match="only officers"):
        services.invite(member, council)
    with pytest.raises(errors.NotAllowedError, match="invitation only"):
        services.join_open_council(member, council)


def test_majority_motion_carried_with_tally_and_ledger(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    motion, ballot = open_motion(council, members[0], officer)
    receipts = [
        services.cast_vote(m, ballot, v)
        for m, v in zip([*members, officer], ["yes", "yes", "yes", "no", "abstain"], strict=True)
    ]
    assert services.settle(ballot).closed_at is not None  # the whole roll voted: closed
    ballot.refresh_from_db()
    motion.refresh_from_db()
    assert ballot.result["counts"] == {"yes": 3, "no": 1, "abstain": 1}
    assert ballot.result["quorum_met"] is True and ballot.electorate == 5
    assert motion.status == "carried" and ballot.carried is True
    # each receipt proves its paper counted, and only its hash is stored; no voter on a paper
    for receipt in receipts:
        assert services.find_receipt(receipt.code) == ballot
        assert not hasattr(receipt, "content")
    assert not BallotPaper.objects.filter(ballot=ballot, voter__isnull=False).exists()
    assert services.find_receipt("not a receipt") is None
    assert kinds()[-3:] == ["ballot.opened", "ballot.closed", "motion.decided"]
    closed = LedgerEvent.objects.get(kind="ballot.closed")
    assert closed.payload["tally"]["counts"]["yes"] == 3
    assert closed.payload["roll"] == sorted(["anna", "boris", "vera", "gleb", "chair"])
    assert verify_database().ok


def test_quorum_not_met_defeats_the_motion(
    brigade: dict[str, Any], open_motion: Any, clock: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    motion, ballot = open_motion(council, members[0], officer)
    services.cast_vote(members[0], ballot, "yes")  # 1 of 5 < quorum 1/2
    with pytest.raises(errors.RefusedError, match="still to vote"):
        services.close_ballot(ballot)
    clock(timedelta(hours=2))
    ballot = services.close_ballot(ballot)
    motion.refresh_from_db()
    assert ballot.result["quorum_met"] is False
    assert motion.status == "defeated"


def test_open_ballot_names_the_voter(brigade: dict[str, Any], open_motion: Any) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    _, ballot = open_motion(council, members[0], officer, secret=False)
    services.cast_vote(members[1], ballot, "no")
    assert BallotPaper.objects.get(ballot=ballot).voter == members[1]


@pytest.mark.parametrize(
    ("method", "papers", "winner"),
    [
        ("approval", [["coal", "soap"], ["soap"], ["soap", "bread"], ["bread"], ["soap"]], "soap"),
        (
            "score",
            [
                {"coal": 1, "soap": 5, "bread": 0},
                {"coal": 0, "soap": 4, "bread": 0},
                {"coal": 0, "bread": 5, "soap": 3},
                {"coal": 2, "soap": 0, "bread": 1},
                {"coal": 0, "soap": 5, "bread": 0},
            ],
            "soap",
        ),
        (
            "schulze",
            [
                ["soap", "bread", "coal"],
                ["soap", "coal"],
                ["bread", "soap"],
                ["soap"],
                ["coal", "soap", "bread"],
            ],
            "soap",
        ),
        (
            "instant-runoff",
            [["soap", "bread"], ["bread", "soap"], ["coal", "soap"], ["soap"], ["bread", "coal"]],
            "soap",
        ),
    ],
)
def test_other_methods_tally_through_democracy(
    brigade: dict[str, Any], open_motion: Any, method: str, papers: list[Any], winner: str
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    _, ballot = open_motion(
        council,
        members[0],
        officer,
        method=method,
        options=["coal", "soap", "bread"],
        title="What to buy first",
    )
    for voter, paper in zip([*members, officer], papers, strict=True):
        services.cast_vote(voter, ballot, paper)
    services.settle(ballot)
    ballot.refresh_from_db()
    assert ballot.result["winners"] == [winner]
    assert ballot.result["method"] == method


def test_election_mandate_and_recall(
    brigade: dict[str, Any], open_motion: Any, make_council: Any, make_user: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    federation = make_council("coal-federation", kind="federation")
    fed_officer = make_user("fed-chair")
    services.appoint_officer(fed_officer, federation)
    services.affiliate(fed_officer, federation, council)
    _motion, ballot = open_motion(
        council,
        members[0],
        officer,
        kind="election",
        method="instant-runoff",
        options=["anna", "boris"],
        title="Delegate to the federation",
        text="Elect our delegate.",
        delegate_to=federation,
        mandate_instructions="Demand soap in the pithead showers.",
    )
    for voter, ranking in zip(
        [*members, officer],
        [["anna"], ["anna", "boris"], ["boris"], ["anna"], ["boris", "anna"]],
        strict=True,
    ):
        services.cast_vote(voter, ballot, ranking)
    services.settle(ballot)
    mandate = Mandate.objects.get()
    assert mandate.delegate == members[0] and mandate.body == federation
    assert mandate.instructions == "Demand soap in the pithead showers."
    seat = Membership.objects.get(council=federation, user=members[0], ended_at__isnull=True)
    assert seat.role == "delegate" and seat.represents == council

    recall, recall_ballot = open_motion(
        council,
        members[1],
        officer,
        kind="recall",
        mandate=mandate,
        title="Recall anna",
        text="She ignored the mandate.",
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, recall_ballot, "yes" if voter != members[0] else "no")
    services.settle(recall_ballot)
    mandate.refresh_from_db()
    assert mandate.end_reason == "recalled" and mandate.ended_by == recall
    assert not Membership.objects.filter(
        council=federation, user=members[0], ended_at__isnull=True
    ).exists()
    assert "delegate.recalled" in kinds() and verify_database().ok


def test_recall_uses_the_recall_threshold(
    make_council: Any, make_user: Any, join: Any, open_motion: Any
) -> None:
    council = make_council(
        "strict",
        constitution={
            "quorum": "1/2",
            "ordinary_threshold": "1/2",
            "recall_threshold": "3/4",
            "constitution_threshold": "2/3",
        },
    )
    officer = make_user("o")
    services.appoint_officer(officer, council)
    people = [make_user(f"p{i}") for i in range(2)]
    for person in people:
        join(council, person, officer)
    _motion, ballot = open_motion(
        council,
        officer,
        officer,
        kind="election",
        method="approval",
        options=["p0"],
        mandate_instructions="Negotiate norms.",
    )
    for voter in [officer, *people]:
        services.cast_vote(voter, ballot, ["p0"])
    services.settle(ballot)
    mandate = Mandate.objects.get()
    _, recall = open_motion(council, officer, officer, kind="recall", mandate=mandate)
    for voter, choice in zip([officer, *people], ["yes", "yes", "no"], strict=True):
        services.cast_vote(voter, recall, choice)  # 2/3 yes: enough for 1/2, not for 3/4
    services.settle(recall)
    mandate.refresh_from_db()
    assert mandate.ended_at is None


def test_constitution_motion_changes_the_constitution(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    new = {
        "quorum": "2/3",
        "ordinary_threshold": "1/2",
        "recall_threshold": "1/3",
        "constitution_threshold": "3/4",
    }
    _, ballot = open_motion(
        council, members[0], officer, kind="constitution", proposed_constitution=new
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, ballot, "yes")
    services.settle(ballot)
    council.refresh_from_db()
    assert council.constitution_dict() == new
    assert "council.constitution_changed" in kinds()


def test_bad_constitution_is_refused_and_nothing_written(brigade: dict[str, Any]) -> None:
    before = (Motion.objects.count(), LedgerEvent.objects.count())
    with pytest.raises(errors.InvalidInputError, match="proposed_constitution"):
        services.table_motion(
            brigade["members"][0],
            brigade["council"],
            title="t",
            text="t",
            kind="constitution",
            proposed_constitution={
                "quorum": "3/2",
                "ordinary_threshold": "1/2",
                "recall_threshold": "1/2",
                "constitution_threshold": "2/3",
            },
        )
    assert (Motion.objects.count(), LedgerEvent.objects.count()) == before


def test_amendment_carried_replaces_the_text(brigade: dict[str, Any]) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    motion = services.table_motion(members[0], council, title="Norms", text="Cut norms 5%.")
    amendment = services.propose_amendment(members[1], motion, text="Cut norms 20%.")
    ballot = services.open_ballot(
        officer, motion, amendment=amendment, closes_at=service_clock.now() + timedelta(hours=1)
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, ballot, "yes")
    services.settle(ballot)
    motion.refresh_from_db()
    amendment.refresh_from_db()
    assert amendment.status == "carried" and motion.text == "Cut norms 20%."
    assert motion.status == "tabled"  # the motion itself is still to be voted


def test_demand_adopted_in_plan_and_fulfilled_only_by_vote(brigade: dict[str, Any]) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    demand = services.raise_demand(
        members[0], council, title="Soap in the pithead showers", category="supplies"
    )
    adoption = demand.motions.get()
    assert adoption.demand_action == "adopt" and demand.status == "raised"
    ballot = services.open_ballot(
        officer, adoption, closes_at=service_clock.now() + timedelta(hours=1)
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, ballot, "yes")
    services.settle(ballot)
    demand.refresh_from_db()
    assert demand.status == "open" and demand.responsible_body == council
    with pytest.raises(errors.NotAllowedError):
        services.put_demand_in_plan(members[1], demand, note="soap in the plan")
    services.put_demand_in_plan(officer, demand, note="200 t of soap in the July plan")
    demand.refresh_from_db()
    assert demand.status == "in_plan"
    fulfil = services.table_motion(
        members[2],
        council,
        title="Soap arrived",
        text="It did.",
        demand=demand,
        demand_action="fulfil",
    )
    ballot = services.open_ballot(
        officer, fulfil, closes_at=service_clock.now() + timedelta(hours=1)
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, ballot, "yes")
    services.settle(ballot)
    demand.refresh_from_db()
    assert demand.status == "fulfilled"
    assert list(demand.history.values_list("status", flat=True)) == [
        "raised",
        "open",
        "in_plan",
        "fulfilled",
    ]
    assert verify_database().ok


def test_defeated_demand_is_rejected_with_reason(brigade: dict[str, Any]) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    demand = services.raise_demand(members[0], council, title="A second canteen")
    ballot = services.open_ballot(
        officer, demand.motions.get(), closes_at=service_clock.now() + timedelta(hours=1)
    )
    for voter in [*members, officer]:
        services.cast_vote(voter, ballot, "no")
    services.settle(ballot)
    demand = Demand.objects.get(pk=demand.pk)
    assert demand.status == "rejected"
    assert "defeated" in demand.history.last().reason


def test_failure_inside_a_service_leaves_no_rows(
    brigade: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kuzbass.platform.councils.services.demands as module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    counts = (Motion.objects.count(), Demand.objects.count(), LedgerEvent.objects.count())
    monkeypatch.setattr(module, "table_motion", broken)
    with pytest.raises(RuntimeError):
        services.raise_demand(brigade["members"][0], brigade["council"], title="Housing")
    assert (Motion.objects.count(), Demand.objects.count(), LedgerEvent.objects.count()) == counts


def test_vote_failure_after_roll_leaves_no_roll_entry(
    brigade: dict[str, Any], open_motion: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])

    insert = statements.insert

    def broken(obj: Any) -> None:
        if isinstance(obj, PendingPaper):
            raise RuntimeError("crash after the roll was written")
        insert(obj)

    monkeypatch.setattr(statements, "insert", broken)
    with pytest.raises(RuntimeError):
        services.cast_vote(brigade["members"][0], ballot, "yes")
    assert not VoterRoll.objects.filter(ballot=ballot).exists()
    assert Ballot.objects.get(pk=ballot.pk).closed_at is None


def test_other_apps_act_on_a_decision_in_its_transaction(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    from kuzbass.platform.councils.signals import motion_decided

    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    heard: list[tuple[str, bool]] = []

    def adopt(sender: Any, motion: Motion, carried: bool, **kwargs: Any) -> None:
        heard.append((motion.title, carried))
        if motion.title == "Adopt the July plan":
            raise RuntimeError("the plan store is unavailable")

    motion_decided.connect(adopt)
    try:
        _, ballot = open_motion(council, members[0], officer, title="Hot water")
        for voter in [*members, officer]:
            services.cast_vote(voter, ballot, "yes")
        services.settle(ballot)
        assert heard == [("Hot water", True)]
        motion, failing = open_motion(council, members[0], officer, title="Adopt the July plan")
        for voter in [*members, officer]:
            services.cast_vote(voter, failing, "yes")
        events = LedgerEvent.objects.count()
        with pytest.raises(RuntimeError):
            services.settle(failing)
        failing.refresh_from_db()
        motion.refresh_from_db()
        assert failing.closed_at is None and motion.status == "balloting"  # the close undone
        assert LedgerEvent.objects.count() == events
    finally:
        motion_decided.disconnect(adopt)


def test_federation_seats_follow_the_members(
    brigade: dict[str, Any], make_council: Any, make_user: Any, join: Any, open_motion: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    federation = make_council("coal-federation", kind="federation", delegate_seats=3)
    small = make_council("coke-works")
    small_chair = make_user("coke-chair")
    services.appoint_officer(small_chair, small)
    join(small, make_user("coker"), small_chair)
    fed_officer = make_user("fed-chair")
    services.appoint_officer(fed_officer, federation)
    services.affiliate(fed_officer, federation, council)
    services.affiliate(fed_officer, federation, small)
    # 5 and 2 members, 3 seats: one each, and Sainte-Laguë gives the third to the brigade
    assert services.seat_allocation(federation) == {"ninth-brigade": 2, "coke-works": 1}
    for candidate in ("anna", "boris"):
        _, ballot = open_motion(
            council,
            members[0],
            officer,
            kind="election",
            method="approval",
            options=[candidate],
            delegate_to=federation,
            mandate_instructions="Carry the July demands.",
        )
        for voter in [*members, officer]:
            services.cast_vote(voter, ballot, [candidate])
        services.settle(ballot)
    assert Mandate.objects.filter(body=federation, ended_at__isnull=True).count() == 2
    with pytest.raises(errors.RefusedError, match="already fills its 2 seat"):
        services.table_motion(
            members[2],
            council,
            title="A third delegate",
            text="x",
            kind="election",
            delegate_to=federation,
            mandate_instructions="More voices.",
        )
    with pytest.raises(errors.InvalidInputError, match="only a federation or congress"):
        make_council("pit-two", delegate_seats=2)


def test_a_ballot_is_decided_by_the_constitution_in_force_when_it_opened(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    council, officer, members = brigade["council"], brigade["officer"], brigade["members"]
    voters = [*members, officer]
    _, running = open_motion(council, members[0], officer, title="Hot water")
    stricter = {**council.constitution_dict(), "ordinary_threshold": "3/4"}
    _, change = open_motion(
        council, members[1], officer, kind="constitution", proposed_constitution=stricter
    )
    for voter in voters:
        services.cast_vote(voter, change, "yes")
    services.settle(change)
    council.refresh_from_db()
    assert council.ordinary_threshold == "3/4"

    def three_to_two(ballot: Ballot) -> Ballot:
        for voter, choice in zip(voters, ["yes", "yes", "yes", "no", "no"], strict=True):
            services.cast_vote(voter, ballot, choice)
        return services.settle(ballot)

    # 3 of 5 is more than the half in force when it opened, though less than 3/4 now
    assert three_to_two(running).carried is True
    opened = LedgerEvent.objects.get(kind="ballot.opened", payload__ballot=running.pk)
    assert opened.payload["constitution"]["ordinary_threshold"] == "1/2"
    assert opened.payload["electorate"] == 5
    # a ballot opened after the change is held to the new threshold
    _, later = open_motion(council, members[0], officer, title="Hot water again")
    assert three_to_two(later).carried is False
    assert (
        LedgerEvent.objects.get(kind="ballot.opened", payload__ballot=later.pk).payload[
            "constitution"
        ]
        == stricter
    )
    assert verify_database().ok
