"""12345 ticket numbers (工单编号): ``12345`` + YYYYMMDD + a 6-digit daily sequence.

The sequence lives in ``TicketSequence`` (one row per day), advanced by one upsert
(``INSERT … ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last``) that keeps the row
locked until the transaction ends, so concurrent intakes never get the same number. Numbers are
gap-tolerant: a rolled-back intake leaves a gap; nothing re-uses a number. A day with more than
999,999 tickets gets longer numbers (still unique).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yiwang.core.sequences import advance

PREFIX = "12345"
NUMBER_FORMAT = "{prefix}{date:%Y%m%d}{seq:06d}"


def _next_sequence(day: dt.date) -> int:
    from yiwang.hotline.models import TicketSequence

    return advance(TicketSequence, day=day)


def allocate_number(at: dt.datetime | None = None) -> str:
    """The next ticket number on ``at``'s local day. Call inside the intake's transaction."""
    day = timezone.localdate(at or timezone.now())
    return NUMBER_FORMAT.format(prefix=PREFIX, date=day, seq=_next_sequence(day))
