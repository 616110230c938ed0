"""Sessions and the session's user are read by precompiled statements (kuzbass.platform.sessions,
kuzbass.platform.statements); what Django's database sessions promise must still hold."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from kuzbass.platform import statements
from kuzbass.platform.councils.models import Ballot, BallotPaper
from kuzbass.platform.sessions import ModelBackend


def _logged_in(username: str, password: str) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password=password)
    assert client.get("/dashboard/").status_code == 200
    return client


def _copy(client: Client) -> Client:
    """Another browser holding the same session cookie (a stolen or copied cookie)."""
    copy = Client()
    copy.cookies["sessionid"] = client.cookies["sessionid"].value
    return copy


def test_logging_out_ends_the_session_for_a_copied_cookie_too(
    brigade: dict[str, Any], password: str
) -> None:
    anna = _logged_in("anna", password)
    copy = _copy(anna)
    assert copy.get("/dashboard/").status_code == 200
    assert anna.post("/accounts/logout/").status_code == 302
    assert copy.get("/dashboard/").status_code == 302


def test_changing_the_password_logs_out_the_other_sessions(
    brigade: dict[str, Any], password: str, change_password: Callable[[Client], Any]
) -> None:
    at_home, at_the_pit = _logged_in("anna", password), _logged_in("anna", password)
    assert change_password(at_home).status_code == 302
    assert at_home.get("/dashboard/").status_code == 200
    assert at_the_pit.get("/dashboard/").status_code == 302


def test_an_expired_session_or_a_deactivated_member_is_logged_out(
    brigade: dict[str, Any], password: str
) -> None:
    anna = _logged_in("anna", password)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert anna.get("/dashboard/").status_code == 302
    boris = _logged_in("boris", password)
    get_user_model().objects.filter(username="boris").update(is_active=False)
    assert boris.get("/dashboard/").status_code == 302


def _fields(obj: Any) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_precompiled_reads_give_what_the_orm_gives(
    brigade: dict[str, Any], open_motion: Any, password: str
) -> None:
    """Dates, booleans, JSON and keys arrive converted exactly as the ORM converts them."""
    _logged_in("anna", password)  # sets last_login, a date the backend must convert
    anna = get_user_model().objects.get(username="anna")
    read = ModelBackend().get_user(anna.pk)
    assert read is not None and read.last_login is not None
    assert _fields(read) == _fields(anna)
    assert ModelBackend().get_user(anna.pk + 1000) is None
    _, ballot = open_motion(brigade["council"], anna, brigade["officer"])
    ballot = Ballot.objects.get(pk=ballot.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {statements.columns(Ballot)} FROM councils_ballot WHERE id = %s",
            [ballot.pk],
        )
        row = cursor.fetchone()
    assert _fields(statements.instance(Ballot, row, connection.alias)) == _fields(ballot)


def test_a_precompiled_insert_reads_back_through_the_orm(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    paper = BallotPaper(
        ballot=ballot,
        content={"ranking": ["a", "b"], "scores": [1, 2.5]},
        receipt_hash="0" * 64,
        voter=brigade["members"][0],
    )
    statements.insert(paper)
    assert not paper._state.adding
    assert _fields(BallotPaper.objects.get(pk=paper.pk)) == _fields(paper)
