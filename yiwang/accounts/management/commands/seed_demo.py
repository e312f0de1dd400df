"""``python manage.py seed_demo``: load the fictional demo city and print its logins."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.accounts.demo import seed_demo
from yiwang.core.demo import run_seeders


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) and Latin text."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    lines = [
        rule,
        "| " + " | ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)) + " |",
    ]
    lines.append(rule)
    for row in rows:
        cells = (_pad(str(c), w) for c, w in zip(row, widths, strict=True))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(rule)
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Load demo data for the FICTIONAL city 示范市 (code 339900000000, not a real city): "
        "regions, departments with valid USCCs, citizens with valid ID numbers, enterprises, "
        "agents and one staff member per role, then print every login (username, password, "
        "TOTP secret). All people and organisations are invented. Idempotent. Refuses to run "
        "unless settings.YIWANG_DEMO is True."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.YIWANG_DEMO:
            raise CommandError(
                "seed_demo only runs in demo mode (YIWANG_DEMO=1); it creates known passwords."
            )
        result = seed_demo()
        # Then every other app's demo data (catalogue, processes, cases …), in their order.
        for what, count in run_seeders().items():
            result.created[what] = result.created.get(what, 0) + count
        created = ", ".join(f"{what}: {n}" for what, n in result.created.items()) or "nothing"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (created {created})."))
        self.stdout.write("演示城市「示范市」及其中的人员、企业均为虚构。Fictional demo data.\n")
        rows = [
            [row.username, row.name, row.role, row.department, row.password, row.totp_secret]
            for row in result.logins
        ]
        self.stdout.write(
            format_table(["用户名", "姓名", "角色", "部门", "密码", "TOTP 密钥"], rows)
        )
        self.stdout.write(
            "\n工作人员登录须输入动态口令：把 TOTP 密钥（base32）添加到身份验证器应用，"
            "或在演示身份页面 /accounts/demo/personas/ 一键切换身份。"
        )
