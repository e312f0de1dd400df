"""``manage.py detect_hot_spots``: 未诉先办 — open a hot spot for every category that spikes in
a street area (run from cron, e.g. every hour; see ``yiwang.hotline.hotspots``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiwang.hotline.hotspots import detect


class Command(BaseCommand):
    help = "Open 12345 hot spots (未诉先办) for categories that spike in one street area."

    def handle(self, *args: Any, **options: Any) -> None:
        found = detect()
        self.stdout.write(f"hot spots opened: {len(found.opened)}, extended: {len(found.extended)}")
