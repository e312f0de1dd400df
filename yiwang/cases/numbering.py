"""Case numbers (办件编号): 实施编码 + YYYYMMDD + a 4-digit daily sequence (RULES.md).

The sequence lives in ``CaseSequence`` (one row per prefix and day), advanced by one upsert
(``INSERT … ON CONFLICT (prefix, day) DO UPDATE SET last = last + 1 RETURNING last``) that keeps
the row locked until the transaction ends, so concurrent submissions never get the same number.
Numbers are gap-tolerant: a transaction that allocates a number and then rolls back leaves a gap;
nothing ever re-uses a number. A bundle's parent case (一件事) uses the bundle code as its prefix.

The format is a setting (``YIWANG_CASE_NUMBER_FORMAT``, a ``str.format`` pattern with ``prefix``,
``date`` and ``seq``); the default is ``"{prefix}{date:%Y%m%d}{seq:04d}"``. A day with more than
9999 cases simply gets longer numbers (still unique).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from yiwang.core.sequences import advance

DEFAULT_FORMAT = "{prefix}{date:%Y%m%d}{seq:04d}"


def number_format() -> str:
    return str(getattr(settings, "YIWANG_CASE_NUMBER_FORMAT", "") or DEFAULT_FORMAT)


def _next_sequence(prefix: str, day: dt.date) -> int:
    from yiwang.cases.models import CaseSequence

    return advance(CaseSequence, prefix=prefix, day=day)


def allocate_number(prefix: str, at: dt.datetime | None = None) -> str:
    """The next case number for ``prefix`` (an implementation or bundle code) on ``at``'s local
    day. Call inside the transaction that creates the case."""
    day = timezone.localdate(at or timezone.now())
    seq = _next_sequence(prefix, day)
    return number_format().format(prefix=prefix, date=day, seq=seq)
