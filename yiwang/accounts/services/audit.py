"""How accounts writes reach the audit ledger: one helper, so actor strings stay uniform."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from yiwang.core.ledger import record_event

SYSTEM_ACTOR = "system"
ANONYMOUS_ACTOR = "anonymous"


def actor_of(user: Any) -> str:
    """``"user:<id>"`` for a user, ``"system"`` for None (command line, seed, bootstrap)."""
    if user is None:
        return SYSTEM_ACTOR
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS_ACTOR
    return f"user:{user.pk}"


def audit(
    actor: Any,
    action: str,
    obj: Model | None = None,
    payload: dict[str, Any] | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
) -> None:
    """Append one ledger entry. ``actor`` is a User, None (system) or a ready actor string."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    record_event(
        actor=actor if isinstance(actor, str) else actor_of(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=payload or {},
    )
