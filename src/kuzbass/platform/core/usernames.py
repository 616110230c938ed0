"""Usernames: one rule wherever an account is made (invitation, ``create-officer``, the demo,
the admin).

A username is what members see beside every vote, motion and mandate, so two accounts must not
pass for one another: Django's validator (letters, digits and @ . + - _ only, so no HTML), no
two that differ only in case (also a unique index on ``LOWER(username)``, migration
``core.0001``), none that mixes scripts with look-alike letters ("аndrei" with a Cyrillic а), and
none that looks the same as an existing one once look-alike letters are read as Latin ("сосо"
in Cyrillic beside "coco"). The look-alikes are Unicode's confusables list, from the
``confusable_homoglyphs`` package.
"""

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models.functions import Length

from kuzbass.platform.core.checks import check_text
from kuzbass.platform.core.errors import InvalidInputError, RefusedError

USERNAME_LENGTH = 150


@cache
def _as_latin(character: str) -> str:
    found = confusables.is_confusable(character, preferred_aliases=["latin"])
    return found[0]["homoglyphs"][0]["c"] if found else character


def skeleton(username: str) -> str:
    """The username as it looks: case folded and each look-alike letter read as Latin."""
    return "".join(_as_latin(character) for character in username.casefold())


def look_alike(username: str, *, exclude: int | None = None) -> str | None:
    """An existing username that looks like ``username`` (the same one in another case
    included), or None; ``exclude`` is the account being renamed."""
    wanted = skeleton(username)
    others = (
        get_user_model()
        .objects.annotate(length=Length("username"))
        .filter(length__in={len(username), len(wanted)})
        .values_list("username", flat=True)
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return next((other for other in others.iterator() if skeleton(other) == wanted), None)


def check_username(username: object, *, exclude: int | None = None) -> str:
    """The username in its normal form (NFKC, as Django stores it), or the reason it is
    refused: ``InvalidInputError`` for the form, ``RefusedError`` when it is taken."""
    name = unicodedata.normalize(
        "NFKC", check_text(username, "username", max_length=USERNAME_LENGTH)
    )
    try:
        UnicodeUsernameValidator()(name)
    except ValidationError as error:
        raise InvalidInputError(
            f"username {name!r}: use only letters, digits and @ . + - _", field="username"
        ) from error
    if confusables.is_dangerous(name):
        raise InvalidInputError(
            f"username {name!r} mixes alphabets with letters that look alike; "
            "write it in one alphabet",
            field="username",
        )
    clash = look_alike(name, exclude=exclude)
    if clash is not None:
        raise RefusedError(
            f"the username {name!r} is taken"
            + ("" if clash == name else f": it looks like the existing {clash!r}"),
            field="username",
        )
    return name
