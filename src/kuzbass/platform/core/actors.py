"""Who acts: a logged-in member (``Actor``), or anyone at all (``Visitor``, possibly anonymous)."""

from typing import TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

from kuzbass.platform.core.errors import NotAllowedError

Actor: TypeAlias = User
"""A logged-in person; every service that changes something takes one as its first argument."""

Visitor: TypeAlias = AbstractBaseUser | AnonymousUser | None
"""Whoever sends a request: a logged-in person, an anonymous visitor, or nobody (a script)."""


def require_user(visitor: Visitor) -> Actor:
    """The logged-in person, or ``NotAllowedError`` for anyone else."""
    if not isinstance(visitor, User) or not visitor.is_authenticated:
        raise NotAllowedError("log in first: this action is for members")
    return visitor
