"""The deadline engine: working days across 国庆 and 春节 2025/2026, hours, stops, extensions,
provisional years, warnings; and properties checked against chinesecalendar day by day."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.core.calendar import (
    chinesecalendar_snapshot,
    confirm_calendar_year,
    get_calendar,
    set_calendar_day,
)
from yiwang.core.deadlines import (
    Clock,
    Extension,
    Stop,
    TimeLimit,
    Unit,
    WarningLevel,
    compute_deadline,
    due_and_provisional,
)
from yiwang.core.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
d = datetime.date


def at(year, month, day, hour=0, minute=0, second=0, microsecond=0, tz=SHANGHAI):
    return datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


def end_of(day: datetime.date) -> datetime.datetime:
    return at(day.year, day.month, day.day, 23, 59, 59, 999999)


# A database-free calendar: chinesecalendar for 2004–2026, every other year provisional.
SNAPSHOT = chinesecalendar_snapshot()
PROPERTIES = settings(derandomize=True, database=None, max_examples=300, deadline=None)


# --- Working days across the 2025 and 2026 holidays (the seeded database calendar) ---------------


@pytest.mark.django_db
def test_a_case_accepted_on_30_september_2025_is_due_after_20_working_days_beyond_national_day():
    # Oct 1–8 off; counting starts Oct 9; the make-up Saturday Oct 11 counts.
    deadline = compute_deadline(at(2025, 9, 30, 15, 30), TimeLimit.working_days(20))

    assert deadline.due_at == end_of(d(2025, 11, 4))
    assert deadline.due_at.utcoffset() == datetime.timedelta(hours=8)
    assert deadline.provisional is False


@pytest.mark.django_db
def test_days_are_shanghai_days_even_when_a_user_views_in_another_time_zone():
    with timezone.override("America/New_York"):
        # 2025-09-30T20:00-04:00 is already Oct 1 in Shanghai: the acceptance day is Oct 1.
        started = datetime.datetime(2025, 9, 30, 20, tzinfo=ZoneInfo("America/New_York"))
        deadline = compute_deadline(started, TimeLimit(1))
    assert deadline.due_at == end_of(d(2025, 10, 9))
    assert deadline.due_date == d(2025, 10, 9)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        (d(2025, 10, 11), 5, d(2025, 10, 17)),  # make-up Saturday after 国庆
        (d(2025, 9, 28), 3, d(2025, 10, 9)),  # make-up Sunday before 国庆: Sep 29, 30, Oct 9
        (d(2025, 1, 26), 3, d(2025, 2, 6)),  # make-up Sunday before 春节: Jan 27, Feb 5, Feb 6
    ],
)
def test_a_case_accepted_on_a_make_up_workday_starts_counting_the_next_day(accepted, days, due):
    deadline = compute_deadline(at(accepted.year, accepted.month, accepted.day, 9), TimeLimit(days))
    assert deadline.due_at == end_of(due)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        (d(2025, 1, 27), 10, d(2025, 2, 17)),  # last day before 春节 2025; Sat Feb 8 counts
        (
            d(2026, 2, 14),
            5,
            d(2026, 2, 28),
        ),  # 2026's make-up Saturday before 春节; due on Sat Feb 28
        (d(2026, 9, 30), 20, d(2026, 11, 3)),  # last day before 国庆 2026; Sat Oct 10 counts
        (d(2026, 9, 18), 10, d(2026, 10, 9)),  # across 中秋 and 国庆 2026; Sun Sep 20 counts
    ],
)
def test_a_case_accepted_just_before_a_holiday_skips_the_whole_holiday(accepted, days, due):
    deadline = compute_deadline(
        at(accepted.year, accepted.month, accepted.day, 16), TimeLimit.working_days(days)
    )
    assert deadline.due_at == end_of(due)
    assert not deadline.provisional


@pytest.mark.django_db
def test_a_stop_spanning_national_day_moves_the_deadline_by_the_working_days_it_covers():
    # Without the stop: due Fri Oct 24. Expert review from Mon Sep 29 09:00 to Mon Oct 13 10:00
    # covers Sep 30, Oct 9, 10 and 11 entirely (Sep 29 and Oct 13 still count): four days later.
    accepted = at(2025, 9, 22, 10)
    assert compute_deadline(accepted, TimeLimit(20)).due_at == end_of(d(2025, 10, 24))

    deadline = compute_deadline(
        accepted,
        TimeLimit(20),
        stops=[Stop(at(2025, 9, 29, 9), at(2025, 10, 13, 10), "专家评审")],
        now=at(2025, 10, 15, 12),
    )

    assert deadline.due_at == end_of(d(2025, 10, 30))
    assert deadline.used_days == 6 + 3  # Sep 23–26, 28, 29; Oct 13–15
    assert deadline.remaining_days == 11


@pytest.mark.django_db
def test_an_open_stop_pauses_the_clock_and_keeps_the_time_used_so_far():
    clock = Clock(at(2025, 9, 22, 10), TimeLimit(20)).suspend(at(2025, 9, 29, 9), "检验检测")

    deadline = clock.evaluate(at(2025, 10, 15, 12))

    assert deadline.paused and deadline.due_at is None
    assert deadline.paused_since == at(2025, 9, 29, 9)
    assert deadline.used_days == 6  # Sep 23, 24, 25, 26, 28 (make-up Sunday), 29 (partly stopped)
    assert deadline.remaining_days == 14
    assert deadline.warning == WarningLevel.NONE

    resumed = clock.resume(at(2025, 10, 13, 10)).evaluate(at(2025, 10, 15, 12))
    assert resumed.due_at == end_of(d(2025, 10, 30))


@pytest.mark.django_db
def test_a_stop_after_the_deadline_passed_does_not_hide_that_it_is_overdue():
    clock = Clock(at(2025, 9, 30, 9), TimeLimit(20)).suspend(at(2025, 11, 10, 9))

    deadline = clock.evaluate(at(2025, 11, 12, 9))

    assert deadline.due_at == end_of(d(2025, 11, 4))
    assert deadline.warning == WarningLevel.RED


@pytest.mark.django_db
def test_a_partly_stopped_day_still_counts():
    stop = Stop(at(2025, 10, 13, 10), at(2025, 10, 14, 9))
    deadline = compute_deadline(at(2025, 9, 30, 9), TimeLimit(20), stops=[stop])
    assert deadline.due_at == end_of(d(2025, 11, 4))


@pytest.mark.django_db
def test_back_to_back_stops_cover_the_days_between_them():
    # Neither stop alone covers a whole day but Oct 14; together they cover Oct 14 and Oct 15.
    stops = [
        Stop(at(2025, 10, 13, 10), at(2025, 10, 14, 12), "检测"),
        Stop(at(2025, 10, 14, 12), at(2025, 10, 16, 9), "鉴定"),
    ]
    deadline = compute_deadline(at(2025, 9, 30, 9), TimeLimit(20), stops=stops)
    assert deadline.due_at == end_of(d(2025, 11, 6))


@pytest.mark.django_db
def test_stops_are_cut_into_days_in_local_time_whatever_zone_they_come_in():
    # 2025-10-12T16:00Z is Oct 13 00:00 in Shanghai: Oct 13 and 14 are covered entirely.
    stop = Stop(at(2025, 10, 12, 16, tz=UTC), at(2025, 10, 14, 16, tz=UTC))
    deadline = compute_deadline(at(2025, 9, 30, 9), TimeLimit(20), stops=[stop])
    assert deadline.due_at == end_of(d(2025, 11, 6))


@pytest.mark.django_db
def test_an_extension_adds_working_days():
    # 行政许可法: 20 working days, +10 with approval.
    clock = Clock(at(2025, 9, 30, 9), TimeLimit.working_days(20)).extend(10, "负责人批准延长")

    assert clock.allowed == 30
    assert clock.evaluate().due_at == end_of(d(2025, 11, 18))


def test_an_extension_in_another_unit_is_refused():
    with pytest.raises(ValueError, match="unit"):
        Clock(
            at(2025, 9, 30, 9),
            TimeLimit.working_days(20),
            extensions=(Extension(2, unit=Unit.HOURS),),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (at(2025, 9, 30, 10), d(2025, 9, 30)),  # the same day
        (at(2025, 9, 28, 10), d(2025, 9, 28)),  # a make-up Sunday is a working day
        (at(2025, 10, 3, 10), d(2025, 10, 9)),  # submitted online during 国庆: next working day
    ],
)
def test_an_immediate_case_is_due_at_the_end_of_the_working_day(accepted, due):
    deadline = compute_deadline(accepted, TimeLimit.working_days(0), now=accepted)
    assert deadline.due_at == end_of(due)
    assert deadline.warning == WarningLevel.NONE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        (d(2025, 9, 16), 15, d(2025, 10, 9)),  # ends Oct 1, a holiday → next working day (203)
        (d(2025, 9, 13), 15, d(2025, 9, 28)),  # ends on a make-up Sunday: a working day, stays
        (d(2026, 2, 13), 2, d(2026, 2, 24)),  # ends in 春节 2026
        (d(2025, 10, 3), 3, d(2025, 10, 9)),  # starts in a holiday; day 3 = Oct 6 → Oct 9
        (d(2025, 11, 3), 5, d(2025, 11, 10)),  # ends on Saturday Nov 8 → Monday
    ],
)
def test_natural_day_periods_ending_on_a_rest_day_end_on_the_next_working_day(accepted, days, due):
    deadline = compute_deadline(
        at(accepted.year, accepted.month, accepted.day, 11), TimeLimit.calendar_days(days)
    )
    assert deadline.due_at == end_of(due)


# --- Hours ---------------------------------------------------------------------------------------


def test_a_two_hour_emergency_runs_across_midnight_on_the_wall_clock():
    started = at(2025, 9, 30, 23, 10)

    deadline = compute_deadline(started, TimeLimit.hours(2), now=at(2025, 10, 1, 0, 40))

    assert deadline.due_at == at(2025, 10, 1, 1, 10)
    assert deadline.provisional is False
    assert deadline.used_time == datetime.timedelta(minutes=90)
    assert deadline.remaining_time == datetime.timedelta(minutes=30)
    assert deadline.warning == WarningLevel.YELLOW  # 75 % used
    late = compute_deadline(started, TimeLimit.hours(2), now=at(2025, 10, 1, 1, 11))
    assert late.warning == WarningLevel.RED
    assert late.remaining_time == -datetime.timedelta(minutes=1)


def test_a_stop_in_an_hour_limit_adds_the_stopped_time():
    started = at(2025, 9, 30, 23, 10, tz=SHANGHAI).astimezone(UTC)  # any zone will do
    stop = Stop(at(2025, 9, 30, 23, 30), at(2025, 9, 30, 23, 50))

    deadline = compute_deadline(started, TimeLimit.hours(2), stops=[stop], now=at(2025, 10, 1))

    assert deadline.due_at == at(2025, 10, 1, 1, 30)
    assert deadline.used_time == datetime.timedelta(minutes=30)


def test_an_open_stop_pauses_an_hour_limit():
    clock = Clock(at(2025, 9, 30, 23, 10), TimeLimit.hours(2)).suspend(at(2025, 10, 1, 0, 10))

    deadline = clock.evaluate(at(2025, 10, 1, 3))

    assert deadline.paused
    assert deadline.used_time == datetime.timedelta(hours=1)
    assert deadline.warning == WarningLevel.NONE


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_deadline(datetime.datetime(2025, 9, 30, 9), TimeLimit.hours(2))
    with pytest.raises(ValueError, match="timezone-aware"):
        Stop(datetime.datetime(2025, 9, 30, 9))
    with pytest.raises(ValueError, match="before it starts"):
        Stop(at(2025, 9, 30, 9), at(2025, 9, 29, 9))
    with pytest.raises(ValueError):
        TimeLimit(-1)


# --- Used time and warnings ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "used", "remaining", "warning"),
    [
        (at(2025, 9, 30, 16), 0, 20, WarningLevel.NONE),  # the acceptance day itself
        (at(2025, 10, 5, 12), 0, 20, WarningLevel.NONE),  # during the holiday
        (at(2025, 10, 15, 12), 6, 14, WarningLevel.NONE),  # Oct 9, 10, 11, 13, 14, 15
        (at(2025, 10, 24, 12), 13, 7, WarningLevel.NONE),  # 13 < 2/3 × 20
        (at(2025, 10, 27, 9), 14, 6, WarningLevel.YELLOW),  # 14 ≥ 13⅓
        (at(2025, 11, 4, 23, 59), 20, 0, WarningLevel.YELLOW),  # the last day
        (at(2025, 11, 5, 0, 0), 21, -1, WarningLevel.RED),  # overdue by one working day
    ],
)
def test_used_and_remaining_working_days_and_the_warning_level(now, used, remaining, warning):
    deadline = compute_deadline(at(2025, 9, 30, 15), TimeLimit(20), now=now)

    assert (deadline.used_days, deadline.remaining_days, deadline.warning) == (
        used,
        remaining,
        warning,
    )
    assert deadline.overdue is (warning == WarningLevel.RED)


@pytest.mark.django_db
def test_the_yellow_ratio_is_a_setting(settings):
    now = at(2025, 10, 21, 12)  # 10 of 20 working days used
    assert compute_deadline(at(2025, 9, 30, 15), TimeLimit(20), now=now).warning == "none"

    settings.YIWANG_DEADLINE_YELLOW_RATIO = "1/2"
    assert compute_deadline(at(2025, 9, 30, 15), TimeLimit(20), now=now).warning == "yellow"

    settings.YIWANG_DEADLINE_YELLOW_RATIO = 0.9
    assert compute_deadline(at(2025, 9, 30, 15), TimeLimit(20), now=now).warning == "none"

    settings.YIWANG_DEADLINE_YELLOW_RATIO = "1.5"
    with pytest.raises(ValueError, match="YELLOW_RATIO"):
        compute_deadline(at(2025, 9, 30, 15), TimeLimit(20), now=now)


# --- Provisional years ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deadline_in_2027_is_provisional_until_an_admin_confirms_2027():
    clock = Clock(at(2026, 12, 15, 10), TimeLimit(20))

    # 2027 is not in chinesecalendar: weekdays only, so Fri 2027-01-01 counts.
    before = clock.evaluate()
    assert before.due_at == end_of(d(2027, 1, 12))
    assert before.provisional is True

    # The admin enters 元旦 2027 — a draft until the year is confirmed.
    set_calendar_day(
        day=d(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, holiday_name="元旦", actor="user:1"
    )
    assert clock.evaluate().due_at == end_of(d(2027, 1, 12))

    confirm_calendar_year(year=2027, actor="user:1", confirmed_by="admin")

    after = clock.evaluate()
    assert after.due_at == end_of(d(2027, 1, 13))
    assert after.provisional is False
    assert due_and_provisional(clock) == (end_of(d(2027, 1, 13)), False)


@pytest.mark.django_db
def test_a_deadline_that_stays_in_confirmed_years_is_not_provisional():
    deadline = compute_deadline(at(2026, 11, 2, 10), TimeLimit(20))
    assert deadline.due_at == end_of(d(2026, 11, 30))
    assert not deadline.provisional


@pytest.mark.django_db
def test_one_snapshot_serves_many_deadlines_without_further_queries(django_assert_num_queries):
    calendar = get_calendar()
    calendar.year(2025), calendar.year(2026)

    with django_assert_num_queries(0):
        dues = {
            compute_deadline(at(2025, 1, 1, 9) + DAY * i, TimeLimit(20), calendar=calendar).due_at
            for i in range(0, 600, 7)
        }
    assert len(dues) > 50


# --- Properties, checked against chinesecalendar day by day ---------------------------------------


def oracle_is_working(day: datetime.date) -> bool:
    return chinese_calendar.is_workday(day) if day.year <= 2026 else day.weekday() < 5


def oracle_covered(day: datetime.date, stops: list[Stop]) -> bool:
    """Walk from the day's first instant, jumping over stops, until the day is left or a gap."""
    moment, day_end = at(day.year, day.month, day.day), at(day.year, day.month, day.day) + DAY
    while moment < day_end:
        for stop in stops:
            if stop.start <= moment and (stop.end is None or moment < stop.end):
                if stop.end is None:
                    return True
                moment = stop.end
                break
        else:
            return False
    return True


def oracle_counts(day: datetime.date, unit: Unit, stops: list[Stop]) -> bool:
    working = oracle_is_working(day) or unit == Unit.CALENDAR_DAYS
    return working and not oracle_covered(day, stops)


def oracle_due(
    start: datetime.datetime, n: int, stops: list[Stop], unit: Unit = Unit.WORKING_DAYS
) -> datetime.date | None:
    """Count day by day; then, for natural days, move to the next working day (203)."""
    day = start.astimezone(SHANGHAI).date()
    counted = 0
    while counted < n:
        day += DAY
        if day > start.date() + DAY * (n * 3 + 400):
            return None  # swallowed by an open stop
        counted += oracle_counts(day, unit, stops)
    for _ in range(400):
        if oracle_is_working(day) and not oracle_covered(day, stops):
            return day
        day += DAY
    return None


def oracle_used(
    start: datetime.datetime, now: datetime.datetime, unit: Unit, stops: list[Stop]
) -> int:
    first, today = start.astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date()
    return sum(
        oracle_counts(first + DAY * i, unit, stops) for i in range(1, (today - first).days + 1)
    )


dates = st.dates(min_value=d(2004, 1, 1), max_value=d(2027, 11, 30))
moments = st.builds(
    lambda day, minute: at(day.year, day.month, day.day) + datetime.timedelta(minutes=minute),
    dates,
    st.integers(0, 24 * 60 - 1),
)


@st.composite
def stops_after(
    draw,
    start: datetime.datetime,
    *,
    allow_open: bool = True,
    reach: int = 60 * 24 * 60,  # minutes after the start a stop may begin
    longest: int = 20 * 24 * 60,  # minutes a closed stop may last
):
    stops = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + datetime.timedelta(minutes=draw(st.integers(-reach // 20, reach)))
        if stops and stops[-1].end is not None and draw(st.booleans()):
            begin = stops[-1].end  # back-to-back stops (suspended again at once)
        if allow_open and draw(st.integers(0, 5)) == 0:
            stops.append(Stop(begin))
        else:
            length = datetime.timedelta(minutes=draw(st.integers(0, longest)))
            stops.append(Stop(begin, begin + length))
    return stops


@PROPERTIES
@given(
    st.data(),
    moments,
    st.integers(0, 80),
    st.sampled_from([Unit.WORKING_DAYS, Unit.CALENDAR_DAYS]),
    st.integers(0, 200 * 24 * 60),
)
def test_property_the_engine_agrees_with_a_day_by_day_count(data, start, n, unit, minutes_later):
    stops = data.draw(stops_after(start))
    now = start + datetime.timedelta(minutes=minutes_later)

    deadline = compute_deadline(start, TimeLimit(n, unit), stops=stops, now=now, calendar=SNAPSHOT)

    expected = oracle_due(start, n, stops, unit)
    assert deadline.due_date == expected
    assert deadline.used_days == oracle_used(start, now, unit, stops)
    if expected is not None:
        assert oracle_is_working(expected)  # the due date is always a working day
        if unit == Unit.WORKING_DAYS:
            assert deadline.provisional is (expected.year > 2026)
        assert deadline.overdue is (now > end_of(expected))


@PROPERTIES
@given(dates, st.integers(0, 300), st.integers(0, 300))
def test_property_adding_n_then_m_working_days_is_adding_n_plus_m(start, n, m):
    once = SNAPSHOT.add_working_days(start, n + m)
    assert SNAPSHOT.add_working_days(SNAPSHOT.add_working_days(start, n), m) == once
    assert SNAPSHOT.count_working_days(start, once) == n + m
    if n + m:
        assert SNAPSHOT.is_working_day(once)


@PROPERTIES
@given(st.data(), moments, st.integers(0, 60), st.sampled_from(list(Unit)))
def test_property_a_stop_never_makes_a_deadline_earlier(data, start, n, unit):
    stops = data.draw(stops_after(start))
    extra = data.draw(st.integers(0, 10))
    limit = TimeLimit(n, unit)

    plain = compute_deadline(start, limit, now=start, calendar=SNAPSHOT)
    stopped = compute_deadline(start, limit, stops=stops, now=start, calendar=SNAPSHOT)
    extended = compute_deadline(
        start, limit, stops=stops, extensions=[Extension(extra)], now=start, calendar=SNAPSHOT
    )

    assert plain.due_at is not None
    assert stopped.due_at is None or stopped.due_at >= plain.due_at
    assert extended.due_at is None or (
        stopped.due_at is not None and extended.due_at >= stopped.due_at
    )
    if not any(s.is_open for s in stops):
        assert stopped.due_at is not None


@PROPERTIES
@given(st.data(), moments, st.integers(0, 48))
def test_property_hour_limits_add_exactly_the_stopped_minutes(data, start, hours):
    stops = data.draw(stops_after(start, allow_open=False, reach=hours * 60 + 60, longest=600))
    minutes = [stop for stop in stops if stop.end is not None]

    deadline = compute_deadline(start, TimeLimit.hours(hours), stops=stops, now=start)

    moment, needed = start, hours * 60
    while needed:
        if not any(s.start <= moment < s.end for s in minutes):
            needed -= 1
        moment += datetime.timedelta(minutes=1)
    assert deadline.due_at == moment
