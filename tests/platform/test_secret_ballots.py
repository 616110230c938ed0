"""Secret means secret: after the close, nothing the database holds — row ids, the order of the
rows, transaction ids, free pages or the write-ahead log — links a paper to its voter. Run on
SQLite and (``DATABASE_URL``) on PostgreSQL; each attack below worked before papers were pooled
apart from the roll and counted in a random order."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from kuzbass.platform.core import clock
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Ballot, BallotPaper, PendingPaper, VoterRoll

VOTERS = 40


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def matched(pairs: list[tuple[int, str]], truth: dict[int, str]) -> float:
    """The share of voters whose choice an attack's pairing guesses right."""
    return sum(truth[voter] == choice for voter, choice in pairs) / len(truth)


@pytest.fixture
def closed_ballot(make_council: Any, make_user: Any, join: Any) -> dict[str, Any]:
    """Forty members vote in turn, the first half yes and the second half no; then it closes."""
    council = make_council("ninth-brigade")
    officer = make_user("chair")
    services.appoint_officer(officer, council)
    members = [make_user(f"miner{index:02}") for index in range(VOTERS - 1)]
    for member in members:
        join(council, member, officer)
    motion = services.table_motion(officer, council, title="Showers", text="Hot water.")
    ballot = services.open_ballot(
        officer, motion, closes_at=clock.now() + timedelta(hours=1), secret=True
    )
    truth = {}
    receipts = []
    for index, voter in enumerate([officer, *members]):
        choice = "yes" if index < VOTERS // 2 else "no"
        receipts.append(services.cast_vote(voter, ballot, choice).code)
        truth[voter.pk] = choice
    ballot = services.close_ballot(ballot)  # the whole roll voted
    assert ballot.result["counts"] == {"yes": 20, "no": 20, "abstain": 0}
    return {"ballot": ballot, "truth": truth, "receipts": receipts}


@pytest.mark.django_db(transaction=True)
def test_the_roll_and_the_papers_cannot_be_joined(closed_ballot: dict[str, Any]) -> None:
    ballot: Ballot = closed_ballot["ballot"]
    truth: dict[int, str] = closed_ballot["truth"]
    roll, papers = table(VoterRoll), table(BallotPaper)
    assert not PendingPaper.objects.exists()
    assert BallotPaper.objects.filter(ballot=ballot, voter__isnull=True).count() == VOTERS
    position = "rowid" if connection.vendor == "sqlite" else "ctid"
    # the ordering attack: the n-th voter on the roll cast the n-th paper
    voters = [
        r[0]
        for r in rows(f"SELECT voter_id FROM {roll} WHERE ballot_id = %s ORDER BY id", ballot.pk)
    ]
    contents = [
        r[0]
        for r in rows(
            f"SELECT content FROM {papers} WHERE ballot_id = %s ORDER BY {position}", ballot.pk
        )
    ]
    contents = [
        BallotPaper._meta.get_field("content").from_db_value(c, None, connection) for c in contents
    ]
    assert matched(list(zip(voters, contents, strict=True)), truth) < 0.85
    if connection.vendor == "sqlite":
        # the join attack: the paper's rowid is the roll entry's id
        pairs = rows(
            f"SELECT v.voter_id, p.content FROM {roll} v JOIN {papers} p ON p.rowid = v.id "
            "WHERE v.ballot_id = %s AND p.ballot_id = %s",
            ballot.pk,
            ballot.pk,
        )
        guessed = [(voter, content.strip('"')) for voter, content in pairs]
        assert len(guessed) < VOTERS * 0.85 or matched(guessed, truth) < 0.85
    else:
        # the join attack: the roll entry and the paper were written by the same transaction
        joined = rows(
            f"SELECT count(*) FROM {roll} v JOIN {papers} p ON p.xmin::text = v.xmin::text "
            "WHERE v.ballot_id = %s",
            ballot.pk,
        )
        assert joined == [(0,)]
        xmins = rows(f"SELECT DISTINCT xmin::text FROM {papers} WHERE ballot_id = %s", ballot.pk)
        assert len(xmins) == 1  # every paper written by the close, in one transaction


@pytest.mark.django_db(transaction=True)
def test_the_pool_leaves_no_trace_in_the_files(closed_ballot: dict[str, Any]) -> None:
    receipts = [BallotPaper.hash_receipt(code) for code in closed_ballot["receipts"]]
    if connection.vendor == "postgresql":
        # VACUUM FULL rewrote the pool's table: no dead row keeps an xmin or a position
        size = rows("SELECT pg_relation_size(%s)", PendingPaper._meta.db_table)
        assert size == [(0,)]
        return
    database = Path(connection.settings_dict["NAME"])
    wal = Path(f"{database}-wal")
    raw = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    # each hash is in the counted papers' table and their unique index, and nowhere else: the
    # pool's deleted cells and the pages they freed were overwritten (secure_delete)
    assert {raw.count(receipt.encode()) for receipt in receipts} == {2}


@pytest.mark.django_db(transaction=True)
def test_a_receipt_proves_the_paper_counted_without_its_choice(
    closed_ballot: dict[str, Any],
) -> None:
    from django.test import Client

    ballot = closed_ballot["ballot"]
    code = closed_ballot["receipts"][0]
    assert services.find_receipt(code) == ballot
    answer = Client().get(f"/api/receipts/{code}").json()
    assert answer == {"ballot": ballot.pk, "motion": ballot.motion_id, "counted": True}
    page = Client().get("/receipts/", {"code": code}).content.decode()
    assert "this paper is counted" in page and "yes" not in page.split('role="status"')[1]
    published = Client().get(f"/api/ballots/{ballot.pk}/papers").json()
    assert BallotPaper.hash_receipt(code) in published["receipts"]
    assert {paper["receipt_hash"] for paper in published["papers"]} == {None}
