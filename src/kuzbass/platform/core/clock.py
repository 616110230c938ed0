"""The current time, in one place: services call ``clock.now()`` so that tests can move it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time (aware, UTC)."""
    return timezone.now()
