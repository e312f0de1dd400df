"""Appending events and signing checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from yiwang.core.crypto import sm2_sign, sm3_hex
from yiwang.core.ledger.encoding import canonical_json, checkpoint_message, entry_hash_of
from yiwang.core.ledger.keys import signing_keypair
from yiwang.core.ledger.verification import LedgerTampered, verify_since
from yiwang.core.models.ledger import GENESIS_HASH, LedgerCheckpoint, LedgerEntry

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising appends and checkpoints: ASCII "YiwangLG".
ADVISORY_LOCK_KEY = 0x5969_7761_6E67_4C47
_MAX_FIELD_LENGTHS = {"actor": 200, "action": 100, "object_type": 100, "object_id": 200}


def _lock_head(connection: BaseDatabaseWrapper) -> None:
    """Serialise appends until the end of the current transaction.

    PostgreSQL: a transaction-level advisory lock. SQLite: the settings open every transaction
    with ``BEGIN IMMEDIATE``, so the write lock is already held. Either way the unique constraint
    on ``prev_hash`` makes a fork impossible even if this lock were bypassed.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _check_text(name: str, value: object, *, required: bool) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    if required and not value:
        raise ValueError(f"{name} is required")
    if len(value) > _MAX_FIELD_LENGTHS[name]:
        raise ValueError(f"{name} is longer than {_MAX_FIELD_LENGTHS[name]} characters")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL character")
    return value


@dataclass(frozen=True)
class LedgerEvent:
    """One event to append (``record_events``); the fields of ``record_event``."""

    actor: str
    action: str
    object_type: str = ""
    object_id: str = ""
    payload: dict[str, Any] | None = None


def record_event(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    payload: dict[str, Any] | None = None,
) -> LedgerEntry:
    """Append one event to the ledger in the caller's transaction (or a new one).

    Costs three queries on PostgreSQL (lock, read head, insert) and two on SQLite. Every
    ``YIWANG_LEDGER_CHECKPOINT_EVERY`` entries a checkpoint is signed after the commit.
    """
    return record_events([LedgerEvent(actor, action, object_type, object_id, payload)])[0]


def record_events(events: Sequence[LedgerEvent]) -> list[LedgerEntry]:
    """Append ``events`` in order, chained one after the other, in the caller's transaction (or
    a new one): the same entries as one ``record_event`` each, for the price of one (three
    queries on PostgreSQL: lock, read head, one insert of all). Every event is checked before
    anything is written."""
    prepared = []
    for event in events:
        _check_text("actor", event.actor, required=True)
        _check_text("action", event.action, required=True)
        _check_text("object_type", event.object_type, required=False)
        _check_text("object_id", event.object_id, required=False)
        if event.payload is not None and not isinstance(event.payload, dict):
            raise TypeError("payload must be a dict")
        payload_json = canonical_json(event.payload or {})
        prepared.append((event, payload_json, sm3_hex(payload_json.encode("utf-8"))))
    if not prepared:
        return []

    using = router.db_for_write(LedgerEntry)
    with transaction.atomic(using=using, savepoint=False):
        _lock_head(connections[using])
        head = (
            LedgerEntry.objects.using(using)
            .order_by("-seq")
            .values_list("seq", "entry_hash")
            .first()
        )
        first_seq, prev_hash = head if head is not None else (0, GENESIS_HASH)
        seq = first_seq
        created_at = timezone.now()
        entries = []
        for event, payload_json, payload_digest in prepared:
            seq += 1
            entry_hash = entry_hash_of(
                prev_hash,
                seq,
                created_at,
                event.actor,
                event.action,
                event.object_type,
                event.object_id,
                payload_digest,
            )
            entries.append(
                LedgerEntry(
                    seq=seq,
                    created_at=created_at,
                    actor=event.actor,
                    action=event.action,
                    object_type=event.object_type,
                    object_id=event.object_id,
                    payload_json=payload_json,
                    payload_digest=payload_digest,
                    prev_hash=prev_hash,
                    entry_hash=entry_hash,
                )
            )
            prev_hash = entry_hash
        if len(entries) == 1:
            entries[0].save(using=using)
        else:
            LedgerEntry.objects.using(using).bulk_create(entries)
        every = settings.YIWANG_LEDGER_CHECKPOINT_EVERY
        if every > 0 and seq // every != first_seq // every:
            transaction.on_commit(_checkpoint_after_commit, using=using, robust=True)
    return entries


def checkpoint(*, using: str | None = None) -> LedgerCheckpoint | None:
    """Sign the current chain head if it advanced past the latest checkpoint.

    Before signing, the entries since the latest valid checkpoint are verified, so a tampered
    tail is never blessed: ``LedgerTampered`` is raised instead. Returns the new checkpoint, or
    None when the ledger is empty or the head has not moved.
    """
    using = using or router.db_for_write(LedgerCheckpoint)
    with transaction.atomic(using=using):
        _lock_head(connections[using])
        head = (
            LedgerEntry.objects.using(using)
            .order_by("-seq")
            .values_list("seq", "entry_hash")
            .first()
        )
        latest = LedgerCheckpoint.objects.using(using).order_by("-seq").first()
        if head is None and latest is None:
            return None
        if head is not None and latest is not None and (latest.seq, latest.head_hash) == head:
            return None
        # Also catches a head behind the latest checkpoint (truncated) or a rewritten head.
        report = verify_since(latest, using=using)
        if not report.ok or head is None:
            raise LedgerTampered(report)
        keys = signing_keypair()
        created_at = timezone.now()
        signature = sm2_sign(
            keys.private_hex, keys.public_hex, checkpoint_message(head[0], head[1], created_at)
        )
        return LedgerCheckpoint.objects.using(using).create(
            seq=head[0],
            head_hash=head[1],
            created_at=created_at,
            signature=signature,
            public_key=keys.public_hex,
        )


def _checkpoint_after_commit() -> None:
    try:
        checkpoint()
    except LedgerTampered as exc:
        logger.error("Audit ledger checkpoint refused: %s", exc)
        raise
