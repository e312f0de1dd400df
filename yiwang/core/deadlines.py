"""The deadline engine (期限): pure functions over a ``WorkingCalendar``.

Deadlines are derived, never stored as truth. A caller stores the inputs — when the clock started,
the limit, the stops (挂起) and the extensions (延期) — and evaluates them whenever it needs to::

    clock = Clock(accepted_at, TimeLimit.working_days(20))
    clock = clock.suspend(expert_review_started).resume(expert_review_done).extend(10)
    deadline = clock.evaluate(now)          # due_at, provisional, used/remaining, warning

It may cache ``deadline.due_at`` and ``deadline.provisional`` for sorting and listing, and recompute
provisional ones when ``yiwang.core.calendar.calendar_changed`` fires (or every night).

Rules (RULES.md "Time limits"):

- Working days (``Unit.WORKING_DAYS``): the start day is not counted (民法典 201); counting begins
  the next day; the deadline is the end of the N-th counted working day (23:59:59.999999 local time,
  ``settings.TIME_ZONE``). A holiday is never a working day, so rule 203 holds by construction.
- Natural days (``Unit.CALENDAR_DAYS``): the same start rule; a period whose last day is not a
  working day ends on the next working day (民法典 203).
- Hours (``Unit.HOURS``): wall-clock time from the start instant (12345 emergencies).
- Zero days (即办件): the end of the start day — or, when the start day is not a working day (an
  online application on a Sunday), of the next working day (203).
- Stops: in day units a day counts only if the stops do not cover it entirely (a partly stopped day
  counts); in hours the stopped time is added. A stop without an end pauses the clock: ``due_at`` is
  None (unless the deadline had already been reached before the stop began).
- Extensions add their amount, in the limit's unit.
- Provisional: some day consulted lies in a year whose calendar is missing or unconfirmed.
- Used time at ``now``: in day units, the counted days from the day after the start through today
  (today included); in hours, the elapsed time minus stops. Warning: ``red`` once ``now`` is past
  ``due_at``; ``yellow`` once used ≥ ratio × allowed (``settings.YIWANG_DEADLINE_YELLOW_RATIO``,
  default 2/3); otherwise ``none``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from yiwang.core.calendar import WorkingCalendar, get_calendar

DAY = datetime.timedelta(days=1)
DEFAULT_YELLOW_RATIO = Fraction(2, 3)


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


class WarningLevel(StrEnum):
    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


def _require_aware(value: datetime.datetime, name: str) -> None:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{name} must be a datetime")
    if timezone.is_naive(value):
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: Unit = Unit.WORKING_DAYS

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a time limit cannot be negative")
        object.__setattr__(self, "unit", Unit(self.unit))

    @classmethod
    def working_days(cls, amount: int) -> TimeLimit:
        return cls(amount, Unit.WORKING_DAYS)

    @classmethod
    def calendar_days(cls, amount: int) -> TimeLimit:
        return cls(amount, Unit.CALENDAR_DAYS)

    @classmethod
    def hours(cls, amount: int) -> TimeLimit:
        return cls(amount, Unit.HOURS)


@dataclass(frozen=True)
class Stop:
    """A clock stop (挂起) from ``start`` to ``end`` (the moment the clock resumes); open if None."""

    start: datetime.datetime
    end: datetime.datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        if self.end is not None:
            _require_aware(self.end, "end")
            if self.end < self.start:
                raise ValueError("a stop cannot end before it starts")

    @property
    def is_open(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Extension:
    """An extension (延期) of ``amount`` in the limit's unit (``unit`` may restate it)."""

    amount: int
    reason: str = ""
    unit: Unit | None = None

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("an extension cannot be negative")


@dataclass(frozen=True)
class Deadline:
    unit: Unit
    allowed: int  # the limit plus extensions, in ``unit``
    due_at: datetime.datetime | None  # None while paused by an open stop
    provisional: bool
    now: datetime.datetime
    warning: WarningLevel
    used_days: int | None = None  # day units
    used_time: datetime.timedelta | None = None  # hours
    paused_since: datetime.datetime | None = None

    @property
    def paused(self) -> bool:
        return self.due_at is None

    @property
    def overdue(self) -> bool:
        return self.warning == WarningLevel.RED

    @property
    def due_date(self) -> datetime.date | None:
        return None if self.due_at is None else _local_date(self.due_at)

    @property
    def remaining_days(self) -> int | None:
        """Days left (today counted as used); negative = days past the deadline once overdue."""
        if self.used_days is None:
            return None
        left = self.allowed - self.used_days
        return left if self.overdue else max(left, 0)

    @property
    def remaining_time(self) -> datetime.timedelta | None:
        if self.used_time is None:
            return None
        return datetime.timedelta(hours=self.allowed) - self.used_time


@dataclass(frozen=True)
class Clock:
    """The stored inputs of one time limit. Immutable: ``suspend``/``resume``/``extend`` return
    a new clock."""

    started_at: datetime.datetime
    limit: TimeLimit
    stops: tuple[Stop, ...] = ()
    extensions: tuple[Extension, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "started_at")
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for extension in self.extensions:
            if extension.unit is not None and Unit(extension.unit) != self.limit.unit:
                raise ValueError("an extension must be in the limit's unit")

    @property
    def is_paused(self) -> bool:
        return any(stop.is_open for stop in self.stops)

    @property
    def allowed(self) -> int:
        return self.limit.amount + sum(e.amount for e in self.extensions)

    def suspend(self, at: datetime.datetime, reason: str = "") -> Clock:
        if self.is_paused:
            raise ValueError("the clock is already stopped")
        return dataclasses.replace(self, stops=(*self.stops, Stop(at, None, reason)))

    def resume(self, at: datetime.datetime) -> Clock:
        open_stops = [s for s in self.stops if s.is_open]
        if not open_stops:
            raise ValueError("the clock is not stopped")
        stops = tuple(Stop(s.start, at, s.reason) if s is open_stops[0] else s for s in self.stops)
        return dataclasses.replace(self, stops=stops)

    def extend(self, amount: int, reason: str = "") -> Clock:
        return dataclasses.replace(
            self, extensions=(*self.extensions, Extension(amount, reason, self.limit.unit))
        )

    def evaluate(
        self,
        now: datetime.datetime | None = None,
        *,
        calendar: WorkingCalendar | None = None,
    ) -> Deadline:
        return compute_deadline(
            self.started_at,
            self.limit,
            stops=self.stops,
            extensions=self.extensions,
            now=now,
            calendar=calendar,
        )


def yellow_ratio() -> Fraction:
    raw = getattr(settings, "YIWANG_DEADLINE_YELLOW_RATIO", DEFAULT_YELLOW_RATIO)
    if isinstance(raw, Fraction):
        ratio = raw
    elif isinstance(raw, int | str | Decimal):
        ratio = Fraction(raw)
    elif isinstance(raw, float):
        ratio = Fraction(raw).limit_denominator(1000)
    else:
        raise TypeError("YIWANG_DEADLINE_YELLOW_RATIO must be a number or a string such as '2/3'")
    if not 0 < ratio <= 1:
        raise ValueError("YIWANG_DEADLINE_YELLOW_RATIO must be in (0, 1]")
    return ratio


def compute_deadline(
    started_at: datetime.datetime,
    limit: TimeLimit,
    *,
    stops: Sequence[Stop] = (),
    extensions: Sequence[Extension] = (),
    now: datetime.datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> Deadline:
    """Evaluate a time limit at ``now`` (default: the current time)."""
    _require_aware(started_at, "started_at")
    now = timezone.now() if now is None else now
    _require_aware(now, "now")
    for extension in extensions:
        if extension.unit is not None and Unit(extension.unit) != limit.unit:
            raise ValueError("an extension must be in the limit's unit")
    allowed = limit.amount + sum(e.amount for e in extensions)
    merged = _merge(stops)
    if limit.unit == Unit.HOURS:
        return _hours(started_at, allowed, merged, now)
    cal = get_calendar() if calendar is None else calendar
    return _days(started_at, limit.unit, allowed, merged, now, cal)


def due_and_provisional(
    clock: Clock, *, calendar: WorkingCalendar | None = None
) -> tuple[datetime.datetime | None, bool]:
    """What a caller may cache next to its inputs (``due_at`` does not depend on ``now``)."""
    deadline = clock.evaluate(clock.started_at, calendar=calendar)
    return deadline.due_at, deadline.provisional


# ---------------------------------------------------------------------------------------------


_Interval = tuple[datetime.datetime, datetime.datetime | None]


def _merge(stops: Iterable[Stop]) -> list[_Interval]:
    """Sorted, non-overlapping intervals (touching ones joined); an open one swallows the rest."""
    merged: list[_Interval] = []
    for stop in sorted(stops, key=lambda s: s.start):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if stop.start <= last_end:
                end = None if stop.end is None else max(last_end, stop.end)
                merged[-1] = (last_start, end)
                continue
        merged.append((stop.start, stop.end))
    return merged


def _tz() -> datetime.tzinfo:
    return timezone.get_default_timezone()


def _local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(_tz()).date()


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=_tz())


def _day_end(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=_tz())


# Covered days: (first, last) inclusive local dates that stops cover entirely; last None = forever.
_Covered = tuple[datetime.date, datetime.date | None]


def _covered_days(merged: list[_Interval]) -> list[_Covered]:
    covered: list[_Covered] = []
    for start, end in merged:
        first = _local_date(start)
        if start > _day_start(first):
            first += DAY
        if end is None:
            covered.append((first, None))
            break
        last = _local_date(end) - DAY  # day D is covered iff the start of D+1 ≤ end
        if first <= last:
            covered.append((first, last))
    return covered


class _Counter:
    """Counts days in one unit (working or natural) with covered ranges removed."""

    def __init__(self, cal: WorkingCalendar, unit: Unit, covered: list[_Covered]) -> None:
        self.cal = cal
        self.working = unit == Unit.WORKING_DAYS
        self.covered = covered

    def _count(self, after: datetime.date, through: datetime.date) -> int:
        if through <= after:
            return 0
        if self.working:
            return self.cal.count_working_days(after, through)
        return (through - after).days

    def _nth(self, after: datetime.date, n: int) -> datetime.date:
        return self.cal.add_working_days(after, n) if self.working else after + DAY * n

    def nth_after(self, after: datetime.date, n: int) -> datetime.date | None:
        """The n-th counted day after ``after`` (n ≥ 1); None when an open stop swallows it."""
        cursor = after
        for first, last in self.covered:
            if last is not None and last <= cursor:
                continue
            available = self._count(cursor, first - DAY)
            if available >= n:
                return self._nth(cursor, n)
            n -= available
            if last is None:
                return None
            cursor = max(cursor, last)
        return self._nth(cursor, n)

    def counted(self, after: datetime.date, through: datetime.date) -> int:
        """Counted days in (after, through]."""
        total = 0
        cursor = after
        for first, last in self.covered:
            if cursor >= through:
                break
            if last is not None and last <= cursor:
                continue
            total += self._count(cursor, min(first - DAY, through))
            if last is None:
                return total
            cursor = max(cursor, last)
        return total + self._count(cursor, through)

    def next_open_working_day(self, day: datetime.date) -> datetime.date | None:
        """The first working day on or after ``day`` that no stop covers entirely."""
        cursor = day - DAY
        while True:
            candidate = self.cal.add_working_days(cursor, 1)
            blocking = next(
                (
                    c
                    for c in self.covered
                    if c[0] <= candidate and (c[1] is None or candidate <= c[1])
                ),
                None,
            )
            if blocking is None:
                return candidate
            if blocking[1] is None:
                return None
            cursor = blocking[1]


def _days(
    started_at: datetime.datetime,
    unit: Unit,
    allowed: int,
    merged: list[_Interval],
    now: datetime.datetime,
    cal: WorkingCalendar,
) -> Deadline:
    start_day = _local_date(started_at)
    counter = _Counter(cal, unit, _covered_days(merged))
    open_start = merged[-1][0] if merged and merged[-1][1] is None else None

    due_day: datetime.date | None
    if allowed == 0:
        due_day = counter.next_open_working_day(start_day)
        first_consulted = start_day
    else:
        nth = counter.nth_after(start_day, allowed)
        if unit == Unit.CALENDAR_DAYS:
            due_day = None if nth is None else counter.next_open_working_day(nth)
            first_consulted = nth or start_day
        else:
            due_day = nth
            first_consulted = start_day + DAY
    if due_day is not None:
        provisional = cal.provisional_between(first_consulted, due_day)
    elif unit == Unit.WORKING_DAYS and open_start is not None:
        last = max(start_day, _local_date(open_start))
        provisional = cal.provisional_between(min(first_consulted, last), last)
    else:
        provisional = False

    due_at = None if due_day is None else _day_end(due_day)
    used = 0 if now < started_at else counter.counted(start_day, _local_date(now))
    return Deadline(
        unit=unit,
        allowed=allowed,
        due_at=due_at,
        provisional=provisional,
        now=now,
        warning=_warning(due_at, now, Fraction(used), allowed),
        used_days=used,
        paused_since=open_start if due_at is None else None,
    )


def _hours(
    started_at: datetime.datetime, allowed: int, merged: list[_Interval], now: datetime.datetime
) -> Deadline:
    remaining = datetime.timedelta(hours=allowed)
    cursor = started_at
    paused_since: datetime.datetime | None = None
    for start, end in merged:
        if end is not None and end <= cursor:
            continue
        if start >= cursor + remaining:
            break
        remaining -= max(start - cursor, datetime.timedelta(0))
        if end is None:
            paused_since = max(start, started_at)
            break
        cursor = max(cursor, end)
    due_at = None if paused_since is not None else cursor + remaining

    used = datetime.timedelta(0)
    if now > started_at:
        used = now - started_at
        for start, end in merged:
            lo = max(start, started_at)
            hi = now if end is None else min(end, now)
            if hi > lo:
                used -= hi - lo
    allowed_td = datetime.timedelta(hours=allowed)
    ratio = Fraction(used // datetime.timedelta(microseconds=1), 1)
    scale = allowed_td // datetime.timedelta(microseconds=1)
    return Deadline(
        unit=Unit.HOURS,
        allowed=allowed,
        due_at=due_at,
        provisional=False,
        now=now,
        warning=_warning(due_at, now, ratio, scale),
        used_time=used,
        paused_since=paused_since,
    )


def _warning(
    due_at: datetime.datetime | None, now: datetime.datetime, used: Fraction, allowed: int
) -> WarningLevel:
    if due_at is not None and now > due_at:
        return WarningLevel.RED
    if allowed > 0 and used >= yellow_ratio() * allowed:
        return WarningLevel.YELLOW
    return WarningLevel.NONE
