"""``flush`` that respects the append-only audit ledger.

Django's ``flush`` empties every table, the ledger included; the ledger's triggers refuse that
(TRUNCATE on PostgreSQL, DELETE on SQLite). This override refuses clearly instead, unless
``YIWANG_LEDGER_ALLOW_FLUSH`` is on (the test settings: ``TransactionTestCase`` flushes after each
test), in which case the guards are lifted for the flush and restored in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections
from django.utils.translation import gettext as _

from yiwang.core.ledger import LEDGER_TABLES, lifted_guards


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        using = options["database"]
        if getattr(settings, "YIWANG_LEDGER_ALLOW_FLUSH", False):
            with lifted_guards(using):
                super().handle(**options)
            return
        existing = set(connections[using].introspection.table_names())
        if any(table in existing for table in LEDGER_TABLES):
            raise CommandError(
                _("审计账本只可追加，不能清空。要重置开发数据库，请删除数据库后重新迁移。")
                + " / The audit ledger is append-only and cannot be flushed; "
                "drop and re-migrate a development database instead."
            )
        super().handle(**options)
