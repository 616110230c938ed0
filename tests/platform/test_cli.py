"""The administrator's commands: found a council, appoint its first officer, close due ballots."""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Council, Membership
from kuzbass.platform.ledger.models import LedgerEvent

runner = CliRunner()


def test_found_council_and_first_officer(db: None) -> None:
    founded = runner.invoke(
        app,
        [
            "platform",
            "found-council",
            "--name",
            "Vorkuta miners' congress",
            "--slug",
            "vorkuta",
            "--kind",
            "congress",
            "--constitution-threshold",
            "3/4",
        ],
    )
    assert founded.exit_code == 0, founded.output
    council = Council.objects.get(slug="vorkuta")
    assert council.kind == "congress" and council.constitution_threshold == "3/4"
    appointed = runner.invoke(
        app,
        [
            "platform",
            "create-officer",
            "--council",
            "vorkuta",
            "--username",
            "chair",
            "--password-stdin",
            "--staff",
        ],
        input="a long officer password 1989\n",
    )
    assert appointed.exit_code == 0, appointed.output
    chair = get_user_model().objects.get(username="chair")
    assert chair.is_staff and chair.check_password("a long officer password 1989")
    assert Membership.objects.get(user=chair, council=council).role == "officer"
    assert list(LedgerEvent.objects.values_list("kind", flat=True)) == [
        "council.founded",
        "member.joined",
    ]


def test_bad_input_is_named_and_changes_nothing(db: None) -> None:
    wrong_kind = runner.invoke(
        app, ["platform", "found-council", "--name", "X", "--slug", "x", "--kind", "ministry"]
    )
    assert wrong_kind.exit_code == 1 and "kind 'ministry' is not one of" in wrong_kind.output
    bad_quorum = runner.invoke(
        app,
        [
            "platform",
            "found-council",
            "--name",
            "X",
            "--slug",
            "x",
            "--kind",
            "workplace",
            "--quorum",
            "3/2",
        ],
    )
    assert bad_quorum.exit_code == 1 and "quorum" in bad_quorum.output
    missing = runner.invoke(
        app,
        [
            "platform",
            "create-officer",
            "--council",
            "nowhere",
            "--username",
            "u",
            "--password-stdin",
        ],
        input="x\n",
    )
    assert missing.exit_code == 1 and "no council with the short name 'nowhere'" in missing.output
    runner.invoke(
        app, ["platform", "found-council", "--name", "Y", "--slug", "y", "--kind", "workplace"]
    )
    weak = runner.invoke(
        app,
        ["platform", "create-officer", "--council", "y", "--username", "u", "--password-stdin"],
        input="123\n",
    )
    assert weak.exit_code == 1 and "password" in weak.output
    assert not get_user_model().objects.filter(username="u").exists()
    assert Council.objects.count() == 1


def test_close_due(brigade: dict[str, Any], open_motion: Any, clock: Any) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    clock(timedelta(hours=2))
    result = runner.invoke(app, ["platform", "close-due"])
    assert result.exit_code == 0 and "closed 1 ballots" in result.output
    ballot.refresh_from_db()
    assert ballot.closed_at is not None
    assert services.close_due_ballots() == 0
