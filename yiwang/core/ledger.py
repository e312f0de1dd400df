"""Audit ledger service (being implemented). Public signature, stable for callers:

    record_event(actor=..., action=..., object_type=..., object_id=..., payload={...}) -> LedgerEntry

``actor`` is a string such as ``"user:42"`` or ``"system"`` (core knows no accounts model).
"""

from __future__ import annotations

from typing import Any


def record_event(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    payload: dict[str, Any] | None = None,
) -> Any:
    return None
