"""Which rows the ledger seals, each row's canonical values, and the rows a transaction wrote.

Every row of the platform's own tables is sealed with all its columns, by the event of the
transaction that wrote it: the ORM's ``post_save`` and ``post_delete`` signals note the rows a
transaction touches, writes that bypass them (``bulk_create``, ``update``, SQL) call
:func:`touched` or :func:`touched_query`, and :func:`take_pending` hands them to the next
``append_event``. What is left out, and why, is listed here and in ``docs/architecture.md``.
"""

import datetime
import decimal
import logging
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

from kuzbass import ledger

log = logging.getLogger("kuzbass.ledger")

SEALED_APPS = frozenset({"auth", "core", "councils", "plans", "accounts"})
"""Apps whose tables the ledger seals row by row (with the m2m tables their models declare)."""

NOT_SEALED = {
    "auth.permission": "Django's catalogue of permissions, rebuilt by migrate",
    "auth.group": "groups are not used; a user's groups and permissions are sealed with the user",
    "auth.group_permissions": "as auth.group",
    "councils.voterroll": "covered by its ballot's seal at the close (who voted, as a set)",
    "councils.ballotpaper": "covered by its ballot's seal at the close (the papers' digest)",
    "councils.pendingpaper": "a secret paper waiting for the close, apart from the roll; sealed "
    "one by one it would be tied to its voter's cast; counted at the close, then in the digest",
}
"""Tables of the sealed apps that are not sealed row by row, with the reason."""

UNSEALED_COLUMNS = {
    "auth.user": {"last_login": "written at every login, records no decision"},
}
"""Columns left out of a row's seal, with the reason."""


def sealed_models() -> list[type[Model]]:
    """Every model whose rows are sealed, the m2m through tables included, in a stable order."""
    found: dict[str, type[Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.app_label in SEALED_APPS and label not in NOT_SEALED:
            found[label] = model
    return [found[label] for label in sorted(found)]


def is_sealed(model: type[Model]) -> bool:
    label = model._meta.label_lower
    return model._meta.app_label in SEALED_APPS and label not in NOT_SEALED


def attnames(model: type[Model]) -> list[str]:
    """The sealed columns of ``model`` (attribute names), primary key first."""
    skipped = UNSEALED_COLUMNS.get(model._meta.label_lower, {})
    names = [field.attname for field in model._meta.concrete_fields if field.attname not in skipped]
    pk = model._meta.pk.attname
    return [pk, *(name for name in names if name != pk)]


_PLAIN = frozenset({int, str, bool})


def canonical(value: Any) -> Any:
    """A column value as the ledger spells it: JSON with no floats, moments in UTC."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, datetime.datetime):
        return ledger.format_recorded_at(value) if value.tzinfo else value.isoformat()
    if isinstance(value, datetime.date | datetime.time | uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value // datetime.timedelta(microseconds=1)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return ledger.floats_as_text(value)


def key_text(pk: Any) -> str:
    return str(pk)


def leaves(model: type[Model], rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, bytes]]:
    """(key, leaf) of each row read with :func:`attnames`; a model with ``ledger_covers`` adds
    what that returns for the row."""
    table = model._meta.label_lower
    covers = getattr(model, "ledger_covers", None)
    rows = list(rows) if covers is not None else rows
    extra: dict[Any, Any] = {}
    if covers is not None:
        instances = model._base_manager.in_bulk([row[0] for row in rows])
        extra = {pk: covers(instance) for pk, instance in instances.items()}
    for row in rows:
        values = [canonical(value) for value in row]
        if covers is not None:
            values.append(canonical(extra.get(row[0])))
        key = key_text(row[0])
        yield key, ledger.row_leaf(table, key, values)


def read_rows(model: type[Model], query: QuerySet[Any] | None = None) -> Iterator[tuple[Any, ...]]:
    """The sealed columns of every row of ``query`` (default: the whole table), by key, read in
    chunks (on PostgreSQL through a server-side cursor)."""
    query = model._base_manager.all() if query is None else query
    yield from query.order_by("pk").values_list(*attnames(model)).iterator(chunk_size=20_000)


def read_keyed(model: type[Model], pks: list[Any]) -> list[tuple[Any, ...]]:
    """The sealed columns of the rows with these keys, in one plain query."""
    return list(model._base_manager.filter(pk__in=pks).values_list(*attnames(model)))


class Pending:
    """The rows the open transaction wrote, noted for the event that will seal them."""

    def __init__(self) -> None:
        self.keys: dict[type[Model], set[Any]] = {}
        self.queries: list[QuerySet[Any]] = []
        self.hooked = False

    def __bool__(self) -> bool:
        return bool(self.keys or self.queries)


def pending() -> Pending:
    """The open transaction's notes. A transaction that commits without an event leaves its rows
    unsealed (``verify`` reports them): they are forgotten then, never sealed by a later event."""
    found = getattr(connection, "ledger_pending", None)
    if found is None:
        found = Pending()
        connection.ledger_pending = found  # type: ignore[attr-defined]
    if not found.hooked and connection.in_atomic_block:
        found.hooked = True
        transaction.on_commit(_forget)
    return found


def _forget() -> None:
    left = pending()
    if left:
        tables = sorted(
            {model._meta.label_lower for model in left.keys}
            | {query.model._meta.label_lower for query in left.queries}
        )
        log.warning(
            "a transaction committed rows no event sealed (%s): kuzbass ledger verify will "
            "report them; write rows before the event that records them",
            ", ".join(tables),
        )
    connection.ledger_pending = Pending()  # type: ignore[attr-defined]


def take_pending() -> Pending:
    """The rows noted so far, forgetting them: the event being appended seals them."""
    found = pending()
    connection.ledger_pending = Pending()  # type: ignore[attr-defined]
    return found


def touched(model: type[Model], pks: Iterable[Any]) -> None:
    """Note rows written without the ORM's signals (``bulk_create``, ``update``, SQL)."""
    if is_sealed(model):
        pending().keys.setdefault(model, set()).update(pks)


def touched_query(query: QuerySet[Any]) -> None:
    """Note every row of ``query`` as written (read when the event seals them): for bulk
    writes too large to list, such as a crediting batch's transfers."""
    if is_sealed(query.model):
        pending().queries.append(query)


def _saved(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if not kwargs.get("raw") and connection.in_atomic_block and is_sealed(sender):
        pending().keys.setdefault(sender, set()).add(instance.pk)


def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if connection.in_atomic_block and is_sealed(sender):
        pending().keys.setdefault(sender, set()).add(instance.pk)


def connect_signals() -> None:
    post_save.connect(_saved, dispatch_uid="kuzbass.ledger.saved")
    post_delete.connect(_deleted, dispatch_uid="kuzbass.ledger.deleted")
