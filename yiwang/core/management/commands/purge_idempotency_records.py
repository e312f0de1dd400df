"""``manage.py purge_idempotency_records``: delete idempotency records past their 24-hour expiry.

Run it daily from cron. Expired records are already ignored (their key may be used again); purging
only keeps the table small and drops the stored responses.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from yiwang.core.idempotency import purge_expired_records


class Command(BaseCommand):
    help = "Delete idempotency records (stored API responses) past their expiry."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired_records()
        self.stdout.write(
            f"{_('已删除过期幂等记录')} / expired idempotency records deleted: {deleted}"
        )
