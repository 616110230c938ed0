"""Precompiled SQL for the statements every logged-in request and every vote runs.

Building a query through the ORM costs 0.1–0.35 ms of CPU each time, and a vote built four of them
on a machine where a whole vote gets about 4 ms (benchmarks/README.md, "Platform: ballot
submissions"). These helpers write a statement once per model from its metadata and pass every
value through the field's own conversions, both ways, so that the rows read and written are
exactly those the ORM would read and write.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connections, router
from django.db.models import Model

M = TypeVar("M", bound=Model)


@cache
def columns(model: type[Model]) -> str:
    """The model's columns, table-qualified and in field order: what :func:`instance` reads."""
    quote = connections[router.db_for_read(model)].ops.quote_name
    table = quote(model._meta.db_table)
    return ", ".join(
        f"{table}.{quote(cast(str, field.column))}" for field in model._meta.concrete_fields
    )


def instance(model: type[M], row: Sequence[Any], using: str) -> M:
    """The instance from the first values of ``row`` (read with :func:`columns`), converted as a
    queryset converts them (SQLite, say, returns dates as text and booleans as integers)."""
    connection = connections[using]
    fields = model._meta.concrete_fields
    values = list(row[: len(fields)])
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(using, [field.attname for field in fields], values)


def insert(obj: Model) -> None:
    """Insert a new instance as ``obj.save()`` would, minus the ORM's compiling (no signals are
    sent: use it only for models nobody listens to). An auto-incremented key is not read back."""
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.db_returning and getattr(obj, field.attname) is None)
    ]
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    sql = _insert_sql(model, tuple(cast(str, field.column) for field in fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
    obj._state.adding = False
    obj._state.db = using


@cache
def _insert_sql(model: type[Model], names: tuple[str, ...]) -> str:
    quote = connections[router.db_for_write(model)].ops.quote_name
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, names))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
