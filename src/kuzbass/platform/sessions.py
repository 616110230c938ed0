"""Django's database sessions and model backend, with the two reads that every logged-in request
makes (the session, then its user) as precompiled statements.

Through the ORM those two reads cost about 0.65 ms of CPU per request, a sixth of what a whole
vote gets on a 2-core server (benchmarks/README.md). Everything else is Django's: the sessions
stay rows in ``django_session`` (logging out deletes the row, so a copied cookie dies with it),
and ``django.contrib.auth.get_user`` still checks the session's password hash on every request,
so changing the password logs out the other sessions.
"""

from functools import cache
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from kuzbass.platform import statements


class SessionStore(DatabaseSessionStore):
    """``django.contrib.sessions.backends.db`` reading a session with one precompiled statement."""

    def load(self) -> dict[str, Any]:
        if not (self.session_key or "").isalnum():  # Django's keys are; a forged one reads nothing
            self._session_key = None
            return {}
        using = router.db_for_read(self.model)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(
                _session_query(),
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: an unknown or expired key is not reused
            return {}
        return self.decode(row[0])


@cache
def _session_query() -> str:
    model = SessionStore.get_model_class()
    quote = connections[router.db_for_read(model)].ops.quote_name
    return (
        f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
    )


class ModelBackend(DjangoModelBackend):
    """Django's model backend reading the session's user with one precompiled statement."""

    def get_user(self, user_id: Any) -> User | None:
        model = get_user_model()
        using = router.db_for_read(model)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(_user_query(), [model._meta.pk.get_db_prep_value(user_id, connection)])
            row = cursor.fetchone()
        if row is None:
            return None
        user = statements.instance(model, row, using)
        return user if self.user_can_authenticate(user) else None


@cache
def _user_query() -> str:
    model = get_user_model()
    quote = connections[router.db_for_read(model)].ops.quote_name
    table = quote(model._meta.db_table)
    key = quote(cast(str, model._meta.pk.column))
    return f"SELECT {statements.columns(model)} FROM {table} WHERE {table}.{key} = %s"  # noqa: S608
