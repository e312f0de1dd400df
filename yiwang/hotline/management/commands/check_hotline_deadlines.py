"""``manage.py check_hotline_deadlines``: record yellow/red warnings of the 12345 sign and
handling clocks and tell the departments (and the agents, for 督办) — run from cron, e.g. every
10 minutes; idempotent (see ``yiwang.hotline.overdue``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiwang.hotline.overdue import check


class Command(BaseCommand):
    help = "Record yellow/red warnings on open 12345 tickets and notify the departments."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"warnings recorded: {check()}")
