"""Gap-tolerant counters (办件编号, 证照流水号, 工单编号): one upsert per number.

``advance(Model, **key)`` runs ``INSERT … VALUES (key…, 1) ON CONFLICT (key…) DO UPDATE SET last =
last + 1 RETURNING last`` on ``Model``'s table, which must have a unique constraint over exactly
the ``key`` columns and an integer column ``last``. The row stays locked until the caller's
transaction ends, so concurrent allocators never get the same value; a rolled-back transaction
leaves a gap, and nothing re-uses a value. SQLite (≥ 3.35) and PostgreSQL both run it.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def advance(model: type[models.Model], **key: Any) -> int:
    """The next value of the counter ``key`` in ``model``'s table (1 for a new key)."""
    if not key:
        raise ValueError("a counter needs at least one key column")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields: list[models.Field[Any, Any]] = []
    for name in key:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or not field.column:
            raise ValueError(f"{name} is not a column of {model.__name__}")
        fields.append(field)
    columns = ", ".join(quote(f.column) for f in fields)  # type: ignore[arg-type]
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_value(key[f.name], connection, prepared=False) for f in fields]
    sql = (
        f'INSERT INTO {table} ({columns}, "last") VALUES ({placeholders}, 1) '  # noqa: S608
        f'ON CONFLICT ({columns}) DO UPDATE SET "last" = {table}."last" + 1 RETURNING "last"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
