"""``manage.py verify_ledger``: check the audit ledger end to end.

Exit code 0 when the ledger is intact; 1 with the list of problems (seq, kind) otherwise. Kinds:
edited, deleted, swapped, truncated, bad_signature, unguarded (a database trigger is missing).
Run it from cron and alert on a non-zero exit; ``--json`` prints the report for machines.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from yiwang.core.ledger import VerificationReport, verify


class Command(BaseCommand):
    help = "Verify the audit ledger: hash chain, payload digests, signed checkpoints, the tail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--chunk-size", type=int, default=5000)
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify(using=options["database"], chunk_size=options["chunk_size"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print(report)
        if not report.ok:
            raise CommandError(
                f"{_('审计账本校验未通过')} / audit ledger verification failed: "
                f"{report.problem_count}",
                returncode=1,
            )

    def _print(self, report: VerificationReport) -> None:
        seqs = f"seq {report.first_seq}–{report.last_seq}" if report.last_seq is not None else "—"
        rate = report.entries / report.seconds if report.seconds > 0 else 0.0
        lines = [
            f"{_('记录')} / entries: {report.entries} ({seqs})",
            f"{_('账本头')} / head: {report.head_hash or '—'}",
            f"{_('检查点')} / checkpoints: {report.checkpoints}"
            f" ({_('最新')} / latest: {report.latest_checkpoint_seq or '—'})",
            f"{_('序号间隔（允许）')} / tolerated seq gaps: {report.gaps}",
            f"{_('用时')} / time: {report.seconds:.2f} s ({rate:,.0f} entries/s)",
        ]
        for line in lines:
            self.stdout.write(line)
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"{_('审计账本完整')} / audit ledger intact"))
            return
        self.stdout.write(
            self.style.ERROR(
                f"{_('审计账本已被篡改或不完整')} / audit ledger tampered or incomplete: "
                f"{report.problem_count} {_('个问题')} / problems"
            )
        )
        for problem in report.problems:
            self.stdout.write(f"  seq {problem.seq:>10}  {problem.kind.value:<14} {problem.detail}")
        hidden = report.problem_count - len(report.problems)
        if hidden > 0:
            self.stdout.write(f"  … {hidden} {_('个问题未列出')} / more not listed")
