"""``manage.py check_deadlines``: raise time-limit warnings and escalate (run from cron, e.g.
every 10 minutes, or enqueue ``yiwang.workflow.tasks.check_deadlines_task``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiwang.workflow.services import check_deadlines


class Command(BaseCommand):
    help = "Raise yellow/red time-limit warnings on open processes and tasks; escalate red tasks."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = check_deadlines()
        self.stdout.write(f"warnings changed: {changed}")
