"""``manage.py check_rating_deadlines``: escalate (督办) every bad review whose call-back or
rectification is past its deadline, once per overdue step — run from cron, e.g. every 10 minutes
(``yiwang.ratings.services.escalate_overdue``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiwang.ratings.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate bad reviews whose call-back or rectification is overdue."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"bad reviews escalated: {escalate_overdue()}")
