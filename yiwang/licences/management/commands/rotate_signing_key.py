"""Rotate a department's licence-signing key: ``manage.py rotate_signing_key <USCC> --reason …``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.accounts.models import Department
from yiwang.licences import keys


class Command(BaseCommand):
    help = "Retire a department's active SM2 licence-signing key and make a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("uscc", help="the department's 统一社会信用代码")
        parser.add_argument("--reason", default="", help="why (kept in the ledger)")

    def handle(self, *args: Any, **options: Any) -> None:
        department = Department.objects.filter(uscc=options["uscc"].strip().upper()).first()
        if department is None:
            raise CommandError(f"no department with USCC {options['uscc']}")
        key = keys.rotate_key(
            department, actor="system:rotate_signing_key", reason=options["reason"]
        )
        self.stdout.write(f"{department.name}: new key {key.key_id}\n{key.public_hex}")
