"""Usernames follow one rule wherever an account is made: Django's validator, unique whatever
the case (also a database index on LOWER(username)), no look-alike letters."""

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test import Client

from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.usernames import check_username, skeleton
from kuzbass.platform.councils import services


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("<b>andrei</b>", InvalidInputError, "use only letters, digits and @ . + - _"),
        ("an drei", InvalidInputError, "use only letters"),
        ("\u0430ndrei", InvalidInputError, "mixes alphabets"),  # Cyrillic а, then Latin
        ("Andrei", RefusedError, "looks like the existing 'andrei'"),
        ("ANDREI", RefusedError, "looks like the existing 'andrei'"),
        ("andrei", RefusedError, "the username 'andrei' is taken"),
        ("\u0441\u043e\u0441\u043e", RefusedError, "looks like the existing 'coco'"),  # сосо
    ],
)
def test_refused_usernames_name_the_reason(
    make_user: Any, name: str, error: type[Exception], message: str
) -> None:
    make_user("andrei")
    make_user("coco")
    with pytest.raises(error, match=re.escape(message)):
        check_username(name)


def test_usernames_in_one_alphabet_are_welcome(make_user: Any) -> None:
    make_user("andrei")
    assert check_username("андрей") == "андрей"
    assert check_username("andrei.petrov") == "andrei.petrov"
    assert skeleton("АНДРЕЙ") == skeleton("андрей")


def test_the_database_refuses_a_case_variant(make_user: Any) -> None:
    """The index is on LOWER(username): every alphabet on PostgreSQL, A-Z on SQLite."""
    make_user("andrei")
    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create(username="ANDREI")
    if connection.vendor == "postgresql":
        make_user("андрей")
        with pytest.raises(IntegrityError), transaction.atomic():
            get_user_model().objects.create(username="АНДРЕЙ")


def test_registration_from_an_invitation_refuses_a_look_alike(
    brigade: dict[str, Any], password: str
) -> None:
    issued = services.invite(brigade["officer"], brigade["council"])
    response = Client().post(
        f"/invitations/{issued.token}/",
        {"username": "Anna", "password": password, "password_again": password},
    )
    assert response.status_code == 409
    assert "looks like the existing &#x27;anna&#x27;" in response.content.decode()
    assert not get_user_model().objects.filter(username="Anna").exists()


def test_the_admin_refuses_a_look_alike(brigade: dict[str, Any], password: str) -> None:
    admin = get_user_model().objects.create_superuser("root", password=password)
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "\u0430nna",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "mixes alphabets" in response.content.decode()
    assert not get_user_model().objects.filter(username="\u0430nna").exists()


def test_create_officer_refuses_a_look_alike_of_an_existing_account(
    brigade: dict[str, Any], password: str
) -> None:
    from typer.testing import CliRunner

    from kuzbass.cli import app

    command = ["platform", "create-officer", "--council", "ninth-brigade", "--password-stdin"]
    refused = CliRunner().invoke(app, [*command, "--username", "CHAIR"], input=f"{password}\n")
    assert refused.exit_code == 1 and "looks like the existing 'chair'" in refused.output
    assert not get_user_model().objects.filter(username="CHAIR").exists()
