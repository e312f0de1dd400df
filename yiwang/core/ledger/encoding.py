"""Canonical byte encodings of ledger entries and checkpoints (the hashed and signed bytes).

Changing anything here makes every existing ledger fail verification: add a new tag instead.
docs/decisions/0004-audit-ledger.md gives the same specification for external auditors.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from yiwang.core.crypto import sm3_hex

ENTRY_TAG = b"yiwang.ledger.entry.v1\x00"
CHECKPOINT_TAG = b"yiwang.ledger.checkpoint.v1\x00"


def canonical_json(payload: dict[str, Any]) -> str:
    """The one JSON text of ``payload`` that is hashed and stored.

    Sorted keys, ``,``/``:`` separators, non-ASCII kept as is (UTF-8 when hashed), no NaN or
    infinity. Dates, decimals, UUIDs and lazy strings become strings (``DjangoJSONEncoder``).
    """
    return json.dumps(
        payload,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def timestamp_text(moment: dt.datetime) -> str:
    """ISO-8601 in UTC with microseconds, e.g. ``2025-01-31T08:00:00.000000+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _frame(tag: bytes, fields: Iterable[str]) -> bytes:
    parts = [tag]
    for value in fields:
        raw = value.encode("utf-8")
        parts.append(len(raw).to_bytes(4, "big"))
        parts.append(raw)
    return b"".join(parts)


def entry_hash_of(
    prev_hash: str,
    seq: int,
    created_at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload_digest: str,
) -> str:
    """SM3 hex of an entry's canonical encoding (the specification is in the module docstring)."""
    return sm3_hex(
        _frame(
            ENTRY_TAG,
            (
                prev_hash,
                str(seq),
                timestamp_text(created_at),
                actor,
                action,
                object_type,
                object_id,
                payload_digest,
            ),
        )
    )


def checkpoint_message(seq: int, head_hash: str, created_at: dt.datetime) -> bytes:
    """The bytes a checkpoint's SM2 signature covers."""
    return _frame(CHECKPOINT_TAG, (str(seq), head_hash, timestamp_text(created_at)))
