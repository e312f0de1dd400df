"""``manage.py checkpoint_ledger``: sign the audit ledger's head now (for cron).

Entries since the previous checkpoint are verified first; a tampered tail is never signed and the
command exits 1. Run it often (e.g. every 5 minutes): only the tail after the latest checkpoint can
be truncated without detection.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from yiwang.core.ledger import LedgerTampered, checkpoint


class Command(BaseCommand):
    help = "Sign the audit ledger head with SM2 if it advanced since the latest checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            signed = checkpoint(using=options["database"])
        except LedgerTampered as exc:
            for problem in exc.report.problems:
                self.stderr.write(
                    f"  seq {problem.seq:>10}  {problem.kind.value:<14} {problem.detail}"
                )
            raise CommandError(
                f"{_('审计账本校验未通过，拒绝签名')} / verification failed, nothing signed",
                returncode=1,
            ) from exc
        if signed is None:
            self.stdout.write(
                f"{_('账本头未前进，无需签名')} / head has not advanced, nothing to sign"
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{_('已签名检查点')} / checkpoint signed: seq {signed.seq} {signed.head_hash}"
                )
            )
