"""Passwords: hashing that cannot be used to slow the whole server, and the answer to a login
locked out after too many failures.

Argon2 is slow on purpose (about 0.2 s and 100 MB per hash). A flood of
logins would otherwise run dozens of hashes at once and slow every page for everyone; here at
most ``KUZBASS_PASSWORD_CHECKS`` hashes run at once on the machine (1 by default: on a 2-core
server the other core stays with the pages), and a request that finds them all busy is refused
at once with 429 (retry in a second) instead of queueing.
Failed logins are counted by django-axes, per account and per address (settings.py).
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.http import HttpRequest, HttpResponse

WAIT_SECONDS = 0.05
"""How long a password check waits for a free slot before the request is refused."""


class PasswordChecksBusyError(Exception):
    """Every password-check slot is taken; the request should be retried shortly."""

    def __init__(self) -> None:
        super().__init__("too many logins at once: try again in a second")


def _try_slot(index: int) -> int | None:
    """The open, locked slot file ``index``, or None when another check holds it."""
    path = settings.DATA_DIR / f"password-check-{index}.lock"
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


@contextmanager
def password_slot() -> Iterator[None]:
    """Hold one of the machine's password-check slots, or raise ``PasswordChecksBusyError``.

    The slots are locked files in the data folder, so every server process (and thread) on the
    machine shares them: ``KUZBASS_PASSWORD_CHECKS`` hashes at once in all, whatever the number
    of gunicorn workers. The kernel releases a lock whose process dies."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        for index in range(settings.KUZBASS_PASSWORD_CHECKS):
            descriptor = _try_slot(index)
            if descriptor is not None:
                try:
                    yield
                finally:
                    os.close(descriptor)  # closing releases the lock
                return
        if time.monotonic() >= deadline:
            raise PasswordChecksBusyError
        time.sleep(0.005)


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (same algorithm name, so stored hashes still verify), run only
    inside a password-check slot, and on one thread: Django's default of 8 lanes runs 8 threads
    per hash, which take every core from the pages. Hashes stored with 8 lanes are rehashed
    with one at the next login (Django's ``must_update``)."""

    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        with password_slot():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with password_slot():
            return super().verify(password, encoded)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer once an account or an address has failed too often (429)."""
    from kuzbass.platform.core.middleware import refusal

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response: HttpResponse = refusal(
        request,
        429,
        f"too many failed logins for this account or from this address: "
        f"try again in {minutes} minutes",
        "password",
    )
    response["Retry-After"] = str(minutes * 60)
    return response
