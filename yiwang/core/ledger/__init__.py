"""Audit ledger (审计账本): append-only, SM3 hash-chained, checkpoints signed with SM2.

Public API, stable for callers:

    record_event(actor=..., action=..., object_type=..., object_id=..., payload={...}) -> LedgerEntry
    record_events([LedgerEvent(actor, action, object_type, object_id, payload), ...])  # one lock
    checkpoint() -> LedgerCheckpoint | None      # also: manage.py checkpoint_ledger (cron)
    verify() -> VerificationReport               # also: manage.py verify_ledger

``actor`` is a string such as ``"user:42"`` or ``"system"`` (core knows no accounts model). Call
``record_event`` inside the service's transaction, as late as possible: from the append until the
commit, other appends wait (the chain has one head). Never put raw personal data in ``payload``:
the ledger cannot forget (store identifiers or masked values).

Modules: ``encoding`` (the hashed and signed bytes), ``append`` (record_event, checkpoint),
``verification``, ``keys`` (SM2 signing key), ``guards`` (append-only database triggers).
docs/decisions/0004-audit-ledger.md explains the design and its limits.
"""

from yiwang.core.ledger.append import LedgerEvent, checkpoint, record_event, record_events
from yiwang.core.ledger.encoding import (
    canonical_json,
    checkpoint_message,
    entry_hash_of,
    timestamp_text,
)
from yiwang.core.ledger.guards import (
    LEDGER_TABLES,
    guards_missing,
    install_guards,
    lifted_guards,
    remove_guards,
)
from yiwang.core.ledger.keys import signing_keypair, trusted_public_keys
from yiwang.core.ledger.verification import (
    LedgerProblem,
    LedgerTampered,
    ProblemKind,
    VerificationReport,
    verify,
)
from yiwang.core.models.ledger import GENESIS_HASH

__all__ = [
    "GENESIS_HASH",
    "LEDGER_TABLES",
    "LedgerEvent",
    "LedgerProblem",
    "LedgerTampered",
    "ProblemKind",
    "VerificationReport",
    "canonical_json",
    "checkpoint",
    "checkpoint_message",
    "entry_hash_of",
    "guards_missing",
    "install_guards",
    "lifted_guards",
    "record_event",
    "record_events",
    "remove_guards",
    "signing_keypair",
    "timestamp_text",
    "trusted_public_keys",
    "verify",
]
