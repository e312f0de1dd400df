"""Audit ledger (审计账本): an append-only, SM3 hash-chained log of every important action.

- ``LedgerEntry``: one event. ``seq`` is the position in the chain; ``prev_hash`` is the
  ``entry_hash`` of the previous existing entry (``GENESIS_HASH`` for the first one);
  ``entry_hash`` is SM3 over a canonical encoding of the entry (see ``yiwang.core.ledger``).
  ``payload_json`` holds the canonical JSON text whose SM3 is ``payload_digest``: the stored text
  is exactly what was hashed, so no database JSON normalisation can break the digest.
- ``LedgerCheckpoint``: the chain head (``seq``, ``head_hash``) signed with SM2, so that a
  truncated tail or a rewritten chain is detected even by someone who can recompute SM3.

Rows are written only by ``yiwang.core.ledger.record_event`` / ``checkpoint``. Changing or deleting
them is refused three times over: here (``save``/``delete``/queryset ``update``/``delete`` raise
``LedgerIsAppendOnly``), by database triggers (migration ``0002_ledger_guards``), and by the
database privileges an operator grants (docs/decisions/0004-audit-ledger.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["GENESIS_HASH", "LedgerCheckpoint", "LedgerEntry", "LedgerIsAppendOnly"]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first entry: a fixed value, so that deleting the first entry is detected."""


class LedgerIsAppendOnly(RuntimeError):
    """Someone tried to change or delete a ledger row through the ORM (a programming error)."""


class _AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerIsAppendOnly(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly(f"{self.model.__name__} rows cannot be deleted")

    # ``bulk_update`` is built on ``update``; ``bulk_create`` (INSERT) stays allowed.


class _AppendOnlyModel(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{type(self).__name__} rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly(f"{type(self).__name__} rows cannot be deleted")


class LedgerEntry(_AppendOnlyModel):
    seq = models.BigIntegerField(_("序号"), primary_key=True)
    created_at = models.DateTimeField(_("时间"))
    actor = models.CharField(_("操作者"), max_length=200)
    action = models.CharField(_("操作"), max_length=100)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=200, blank=True)
    payload_json = models.TextField(_("内容（规范 JSON）"), default="{}")
    payload_digest = models.CharField(_("内容摘要（SM3）"), max_length=64)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    entry_hash = models.CharField(_("本条哈希（SM3）"), max_length=64)

    class Meta:
        verbose_name = _("审计账本记录")
        verbose_name_plural = _("审计账本")
        default_permissions = ("view",)
        # Plain b-tree indexes (``db_index`` would add a LIKE index per column on PostgreSQL).
        indexes = [
            models.Index(fields=["created_at"], name="ledger_created_at_idx"),
            models.Index(fields=["actor"], name="ledger_actor_idx"),
            models.Index(fields=["action"], name="ledger_action_idx"),
            models.Index(fields=["object_type", "object_id"], name="ledger_object_idx"),
        ]
        constraints = [
            # One successor per entry: the chain can never fork, whatever the locking does.
            models.UniqueConstraint(fields=["prev_hash"], name="ledger_prev_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.actor}"

    @property
    def payload(self) -> dict[str, Any]:
        """The payload as a dict (parsed from the stored canonical JSON)."""
        value = json.loads(self.payload_json)
        return value if isinstance(value, dict) else {"value": value}


class LedgerCheckpoint(_AppendOnlyModel):
    seq = models.BigIntegerField(_("账本头序号"), unique=True)
    head_hash = models.CharField(_("账本头哈希"), max_length=64)
    created_at = models.DateTimeField(_("签名时间"))
    signature = models.BinaryField(_("SM2 签名（DER）"))
    public_key = models.CharField(_("SM2 公钥"), max_length=128)

    class Meta:
        verbose_name = _("审计账本检查点")
        verbose_name_plural = _("审计账本检查点")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.head_hash[:12]}"
