"""Database guards: triggers that refuse UPDATE, DELETE (and TRUNCATE) on the ledger tables.

PostgreSQL: a row-level ``BEFORE UPDATE OR DELETE`` and a statement-level ``BEFORE TRUNCATE``
trigger call a function that raises SQLSTATE 23001 (restrict_violation). SQLite: ``BEFORE UPDATE``
and ``BEFORE DELETE`` triggers ``RAISE(ABORT)`` (SQLite has no TRUNCATE). Both surface in Django
as ``IntegrityError``. Other vendors are not supported: ``guards_missing`` says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry

LEDGER_TABLES = (LedgerEntry._meta.db_table, LedgerCheckpoint._meta.db_table)
_PG_FUNCTION = "yiwang_ledger_append_only"

_PG_CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'See docs/decisions/0004-audit-ledger.md';
END;
$$
"""


def _trigger_names(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"{table}_append_only", f"{table}_no_truncate"]
    return [f"{table}_no_update", f"{table}_no_delete"]


def install_guards(connection: BaseDatabaseWrapper, tables: Sequence[str] = LEDGER_TABLES) -> None:
    """Create the triggers refusing UPDATE, DELETE (and TRUNCATE on PostgreSQL). Idempotent.

    Other database vendors are not supported: nothing is installed and ``verify`` reports the
    guards as missing.
    """
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(_PG_CREATE_FUNCTION)
            for table in tables:
                row_trigger, truncate_trigger = _trigger_names(table, vendor)
                cursor.execute(f'DROP TRIGGER IF EXISTS "{row_trigger}" ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER "{row_trigger}" BEFORE UPDATE OR DELETE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()"
                )
                cursor.execute(f'DROP TRIGGER IF EXISTS "{truncate_trigger}" ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER "{truncate_trigger}" BEFORE TRUNCATE ON "{table}" '
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()"
                )
        elif vendor == "sqlite":
            for table in tables:
                for name, operation in zip(
                    _trigger_names(table, vendor), ("UPDATE", "DELETE"), strict=True
                ):
                    cursor.execute(
                        f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {operation} ON "{table}" '
                        f"BEGIN SELECT RAISE(ABORT, 'audit ledger table {table} is append-only: "
                        f"{operation} refused'); END"
                    )


def remove_guards(
    connection: BaseDatabaseWrapper,
    tables: Sequence[str] = LEDGER_TABLES,
    *,
    drop_function: bool = False,
) -> None:
    """Drop the triggers (migration rollback and ``lifted_guards`` only)."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        for table in tables:
            for name in _trigger_names(table, vendor):
                if vendor == "postgresql":
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
                else:
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        if vendor == "postgresql" and drop_function:
            cursor.execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")


def guards_missing(
    connection: BaseDatabaseWrapper, tables: Sequence[str] = LEDGER_TABLES
) -> list[str]:
    """Names of the expected triggers that are absent (or disabled on PostgreSQL)."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return [f"{vendor} is not supported: no append-only triggers"]
    expected = {name for table in tables for name in _trigger_names(table, vendor)}
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND t.tgenabled <> 'D'",
                [list(tables)],
            )
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for name, table in cursor.fetchall() if table in tables}
    return sorted(expected - present)


@contextmanager
def lifted_guards(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Maintenance only (flush in tests, tamper tests): drop the guards for the block.

    Runs in one transaction: the triggers come back at the end of the block, and a failure rolls
    the drop back. Dropping a trigger needs the table owner's privilege, which the production
    application role does not have (docs/decisions/0004-audit-ledger.md).
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        existing = set(connection.introspection.table_names())
        tables = [t for t in LEDGER_TABLES if t in existing]
        remove_guards(connection, tables)
        yield
        install_guards(connection, tables)
