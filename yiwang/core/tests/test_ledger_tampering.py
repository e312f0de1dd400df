"""Tampering helpers for the ledger tests, and proof that they really change the table.

They play the attacker who got past the application: raw SQL with the append-only triggers lifted
for the statement (``lifted_guards``, which needs the table owner's privilege).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection

from yiwang.core.ledger import entry_hash_of, lifted_guards, record_event
from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry

ENTRY_TABLE = LedgerEntry._meta.db_table
CHECKPOINT_TABLE = LedgerCheckpoint._meta.db_table


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def raw(sql: str, params: Sequence[Any] = ()) -> None:
    """Run ``sql`` with the ledger guards lifted (restored right after)."""
    with lifted_guards(), connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def db_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def edit(seq: int, /, **values: Any) -> None:
    assignments = ", ".join(f"{q(column)} = %s" for column in values)
    raw(
        f"UPDATE {q(ENTRY_TABLE)} SET {assignments} WHERE {q('seq')} = %s",
        [*(db_value(v) for v in values.values()), seq],
    )


def edit_and_rehash(seq: int, /, **values: Any) -> None:
    """Edit an entry and recompute its own hash, as an attacker who knows the format would."""
    edit(seq, **values)
    row = LedgerEntry.objects.get(seq=seq)
    edit(
        seq,
        entry_hash=entry_hash_of(
            row.prev_hash,
            row.seq,
            row.created_at,
            row.actor,
            row.action,
            row.object_type,
            row.object_id,
            row.payload_digest,
        ),
    )


def delete(*seqs: int) -> None:
    placeholders = ", ".join(["%s"] * len(seqs))
    raw(f"DELETE FROM {q(ENTRY_TABLE)} WHERE {q('seq')} IN ({placeholders})", seqs)


def truncate_after(seq: int) -> None:
    raw(f"DELETE FROM {q(ENTRY_TABLE)} WHERE {q('seq')} > %s", [seq])


def swap(a: int, b: int) -> None:
    """Two entries exchange their positions (equivalently: all their other columns)."""
    table, col = q(ENTRY_TABLE), q("seq")
    with lifted_guards(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {col} = %s", [-1, a])
        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {col} = %s", [a, b])
        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {col} = %s", [b, -1])


def flip_hex(value: str) -> str:
    """The same hex string with its first character changed."""
    return ("1" if value[0] != "1" else "2") + value[1:]


def record(n: int, *, actor: str = "user:1") -> list[LedgerEntry]:
    return [
        record_event(
            actor=actor,
            action="case.submit",
            object_type="case",
            object_id=f"C{i:04d}",
            payload={"step": i, "意见": "同意"},
        )
        for i in range(n)
    ]


pytestmark = pytest.mark.django_db


def test_edit_changes_the_stored_row() -> None:
    record(2)
    edit(1, actor="user:666")
    assert LedgerEntry.objects.get(seq=1).actor == "user:666"


def test_delete_swap_and_truncate_change_the_stored_rows() -> None:
    entries = record(5)
    delete(2)
    swap(3, 4)
    truncate_after(4)
    rows = dict(LedgerEntry.objects.values_list("seq", "entry_hash"))
    assert rows == {
        1: entries[0].entry_hash,
        3: entries[3].entry_hash,
        4: entries[2].entry_hash,
    }


def test_the_guards_are_back_after_tampering() -> None:
    from yiwang.core.ledger import guards_missing

    record(1)
    edit(1, actor="user:2")
    assert guards_missing(connection) == []
