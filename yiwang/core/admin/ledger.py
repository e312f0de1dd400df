"""Read-only admin for the audit ledger.

Nobody may add, change or delete a row here, superusers included (the models only define the
``view`` permission; accounts decides who holds it, e.g. the audit administrator of 三员分立).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry


class _ReadOnlyAdmin(admin.ModelAdmin[Any]):
    actions = None
    show_full_result_count = False  # one COUNT(*) per page, not two, on a million rows

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnlyAdmin):
    list_display = (
        "seq",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "short_hash",
    )
    list_filter = ("action", "created_at", "object_type")
    # Exact matches use the indexes: "=user:42" style searches for an actor or an object id.
    search_fields = ("=actor", "=object_id")
    search_help_text = _("按操作者或对象标识精确查找，例如 user:42")
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    list_per_page = 50
    fields = (
        "seq",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "payload_pretty",
        "payload_digest",
        "prev_hash",
        "entry_hash",
    )
    readonly_fields = fields

    @admin.display(description=_("本条哈希"))
    def short_hash(self, obj: LedgerEntry) -> str:
        return obj.entry_hash[:16]

    @admin.display(description=_("内容"))
    def payload_pretty(self, obj: LedgerEntry) -> SafeString:
        text = json.dumps(obj.payload, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(_ReadOnlyAdmin):
    list_display = ("seq", "created_at", "short_head", "short_key")
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    fields = ("seq", "head_hash", "created_at", "signature_hex", "public_key")
    readonly_fields = fields

    @admin.display(description=_("账本头哈希"))
    def short_head(self, obj: LedgerCheckpoint) -> str:
        return obj.head_hash[:16]

    @admin.display(description=_("SM2 公钥"))
    def short_key(self, obj: LedgerCheckpoint) -> str:
        return obj.public_key[:16]

    @admin.display(description=_("SM2 签名（DER）"))
    def signature_hex(self, obj: LedgerCheckpoint) -> str:
        return bytes(obj.signature).hex()
