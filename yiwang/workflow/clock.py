"""Clocks of instances and tasks, built from the stored inputs, and the cached moments.

The truth is the inputs: ``clock_started_at`` and the limits on the instance, ``ClockStop`` rows
(挂起 and 补正) and ``Extension`` rows (延期). ``yiwang.core.deadlines.Clock`` evaluates them.
What is cached on the rows for indexed worklists:

- ``due_at`` (承诺时限) and ``legal_due_at`` (法定时限): the end of the last allowed day (or the
  exact instant for hour limits); None while an open stop pauses the clock.
- ``yellow_at``: the first moment at which the core engine's warning turns yellow, i.e. when the
  used time reaches ``YIWANG_DEADLINE_YELLOW_RATIO`` (default 2/3) of the allowed time:

  * day units: with ``k = ⌈ratio × allowed⌉``, the start (00:00 local) of the k-th counted day
    after the start day, stops excluded exactly as for ``due_at`` (the core counts "today" as
    used, so the warning turns on at the start of that day). Working days count on the calendar
    table; natural days count every day (same stop rule);
  * hours: the instant at which ``⌈ratio × allowed⌉`` of wall-clock time, stops excluded, has
    elapsed;
  * a zero limit (即办件) has no yellow phase: ``yellow_at = due_at``.

  So a worklist selects colours with indexed comparisons: red ``due_at < now``, yellow
  ``yellow_at ≤ now ≤ due_at``, none otherwise — the same answer as ``Clock.evaluate(now)``.
- ``provisional``: some day counted lies in a year whose calendar is not confirmed.

A restarted clock (补正 received: ``clock_started_at`` moved to the re-submission) ignores stops
that began before the restart. A task's stage clock starts when the task opened (or at the
restart, if later) and sees the instance's stops from then on and its extensions in its unit.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from yiwang.core.calendar import WorkingCalendar, YearDays
from yiwang.core.deadlines import (
    Clock,
    Extension,
    Stop,
    TimeLimit,
    Unit,
    WarningLevel,
    compute_deadline,
    yellow_ratio,
)


@dataclass(frozen=True)
class Moments:
    due_at: datetime.datetime | None
    yellow_at: datetime.datetime | None
    provisional: bool


def _stops_from(
    stops: Sequence[object], start: datetime.datetime, *, clip: bool
) -> tuple[Stop, ...]:
    """Core ``Stop``s from ``ClockStop`` rows, ignoring those before ``start``.

    ``clip`` (task clocks): a stop that began before ``start`` and ends after it counts from
    ``start``; otherwise (restarted instance clocks) stops that began before are ignored.
    """
    result = []
    for row in stops:
        began, ended = row.started_at, row.ended_at  # type: ignore[attr-defined]
        if began < start:
            if not clip or (ended is not None and ended <= start):
                continue
            began = start
        result.append(Stop(began, ended, row.reason_code))  # type: ignore[attr-defined]
    return tuple(result)


def instance_clock(
    instance: object, stops: Sequence[object], extensions: Sequence[object], *, legal: bool = False
) -> Clock:
    started = instance.clock_started_at  # type: ignore[attr-defined]
    amount = instance.legal_limit_amount if legal else instance.limit_amount  # type: ignore[attr-defined]
    unit = Unit(instance.limit_unit)  # type: ignore[attr-defined]
    return Clock(
        started,
        TimeLimit(amount, unit),
        _stops_from(stops, started, clip=False),
        tuple(Extension(e.amount, "", unit) for e in extensions),  # type: ignore[attr-defined]
    )


def task_clock(
    task: object,
    instance: object,
    stops: Sequence[object],
    extensions: Sequence[object],
) -> Clock | None:
    amount = task.limit_amount  # type: ignore[attr-defined]
    if amount is None:
        return None
    unit = Unit(task.limit_unit)  # type: ignore[attr-defined]
    started = max(task.created_at, instance.clock_started_at)  # type: ignore[attr-defined]
    same_unit = Unit(instance.limit_unit) == unit  # type: ignore[attr-defined]
    return Clock(
        started,
        TimeLimit(amount, unit),
        _stops_from(stops, started, clip=True),
        tuple(Extension(e.amount, "", unit) for e in extensions) if same_unit else (),  # type: ignore[attr-defined]
    )


@functools.lru_cache(maxsize=64)
def _every_day_year(year: int) -> YearDays:
    first = datetime.date(year, 1, 1)
    days = (datetime.date(year + 1, 1, 1) - first).days
    overrides = {first + datetime.timedelta(days=i): True for i in range(days)}
    return YearDays(year, True, overrides)


_EVERY_DAY = WorkingCalendar(_every_day_year)


def _local_day_start(moment: datetime.datetime) -> datetime.datetime:
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    day = moment.astimezone(tz).date()
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def _hours_yellow(clock: Clock, target: datetime.timedelta) -> datetime.datetime | None:
    cursor = clock.started_at
    remaining = target
    for stop in sorted(clock.stops, key=lambda s: s.start):
        if stop.end is not None and stop.end <= cursor:
            continue
        if stop.start >= cursor + remaining:
            break
        remaining -= max(stop.start - cursor, datetime.timedelta(0))
        if stop.end is None:
            return None
        cursor = max(cursor, stop.end)
    return cursor + remaining


def yellow_moment(
    clock: Clock, due_at: datetime.datetime | None, calendar: WorkingCalendar
) -> datetime.datetime | None:
    """When ``clock``'s warning turns yellow (see the module docstring)."""
    allowed = clock.allowed
    if allowed == 0:
        return due_at
    ratio = yellow_ratio()
    if clock.limit.unit == Unit.HOURS:
        total_us = allowed * 3600 * 10**6
        target = datetime.timedelta(microseconds=math.ceil(ratio * total_us))
        return _hours_yellow(clock, target)
    k = math.ceil(ratio * allowed)
    cal = calendar if clock.limit.unit == Unit.WORKING_DAYS else _EVERY_DAY
    probe = compute_deadline(
        clock.started_at,
        TimeLimit.working_days(k),
        stops=clock.stops,
        now=clock.started_at,
        calendar=cal,
    )
    return None if probe.due_at is None else _local_day_start(probe.due_at)


def moments(clock: Clock, calendar: WorkingCalendar) -> Moments:
    deadline = clock.evaluate(clock.started_at, calendar=calendar)
    return Moments(
        deadline.due_at, yellow_moment(clock, deadline.due_at, calendar), deadline.provisional
    )


def warning_at(
    now: datetime.datetime, due_at: datetime.datetime | None, yellow_at: datetime.datetime | None
) -> WarningLevel:
    """The colour at ``now`` from the cached moments (equals ``Clock.evaluate(now).warning``)."""
    if due_at is not None and now > due_at:
        return WarningLevel.RED
    if yellow_at is not None and now >= yellow_at:
        return WarningLevel.YELLOW
    return WarningLevel.NONE
