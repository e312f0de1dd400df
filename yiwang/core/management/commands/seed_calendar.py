"""``manage.py seed_calendar [--years 2024-2026]``: fill the working-day calendar from chinesecalendar.

Idempotent: run it again after upgrading the package; days an admin edited are kept as they are,
and year rows that already exist keep their confirmation state.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yiwang.core.calendar import seed_calendar, seed_years_available
from yiwang.core.errors import DomainError


def parse_years(text: str) -> list[int]:
    """``2025``, ``2024-2026`` or ``2019,2024-2026`` → a sorted list of years."""
    years: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, sep, last = part.partition("-")
        if not first.isdigit() or (sep and not last.isdigit()):
            raise CommandError(
                _("年度格式应为 2025、2024-2026 或 2019,2024-2026：%(text)s") % {"text": text}
            )
        low, high = int(first), int(last) if sep else int(first)
        if low > high:
            raise CommandError(_("年度范围的起点大于终点：%(part)s") % {"part": part})
        years.update(range(low, high + 1))
    if not years:
        raise CommandError(_("没有指定年度。"))
    return sorted(years)


class Command(BaseCommand):
    help = "Seed the working-day calendar from chinesecalendar (idempotent; keeps admin edits)."

    def add_arguments(self, parser: CommandParser) -> None:
        available = seed_years_available()
        parser.add_argument(
            "--years",
            help=f"years to seed, e.g. 2024-2026 (default: all available, {available[0]}-{available[-1]})",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        years = parse_years(options["years"]) if options["years"] else None
        try:
            report = seed_calendar(years, actor="system:seed_calendar", using=options["database"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            _(
                "已处理 %(first)s–%(last)s 年：新增 %(created)s 天，更新 %(updated)s 天，"
                "未变 %(unchanged)s 天，保留管理员修改 %(kept)s 天；新确认年度 %(confirmed)s 个。"
            )
            % {
                "first": report.years[0],
                "last": report.years[-1],
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "kept": report.kept_admin,
                "confirmed": len(report.years_confirmed),
            }
        )
