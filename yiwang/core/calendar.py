"""Working days (工作日): queries over the calendar table and its maintenance.

Reads
    ``get_calendar()`` returns a ``WorkingCalendar`` snapshot: one small query (the year table),
    then each confirmed year's days come from an in-process cache keyed by the year's ``revision``
    (one query per year the first time, none afterwards). Arithmetic on a snapshot never queries per
    day: each year is a bitmap with prefix sums. Compute many deadlines? Take one snapshot and pass
    it along (``calendar=``).
    ``is_working_day``, ``add_working_days``, ``count_working_days``, ``next_working_day`` are
    one-shot conveniences over a fresh snapshot.

Writes (atomic, audited)
    ``seed_calendar`` (from ``chinesecalendar``; idempotent; never touches admin-edited days),
    ``set_calendar_day`` / ``delete_calendar_day`` (admin edits), ``confirm_calendar_year`` /
    ``unconfirm_calendar_year``. After commit they send ``calendar_changed(years=[...])`` so apps
    that cache a provisional ``due_at`` can recompute it.

Semantics: a year that is confirmed uses its rows (a missing row = the weekday rule); a year that
is missing or unconfirmed is provisional and uses the weekday rule only (Monday–Friday work).
"""

from __future__ import annotations

import datetime
import functools
import logging
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, NotFound, ValidationFailed
from yiwang.core.ledger import record_event
from yiwang.core.models.calendar import CalendarDay, CalendarYear, new_revision

logger = logging.getLogger(__name__)

DAY = datetime.timedelta(days=1)

#: Sent after commit when working days may have changed: ``years`` (list of int), ``using``.
calendar_changed = Signal()

# ---------------------------------------------------------------------------------------------
# Pure arithmetic
# ---------------------------------------------------------------------------------------------


class YearDays:
    """One year's working days as a bitmap plus prefix sums (``cum[i]`` = working days before i)."""

    __slots__ = ("confirmed", "cum", "first_ordinal", "flags", "year")

    def __init__(
        self, year: int, confirmed: bool, overrides: Mapping[datetime.date, bool] | None = None
    ) -> None:
        first = datetime.date(year, 1, 1)
        length = (datetime.date(year + 1, 1, 1) - first).days if year < 9999 else 365
        first_weekday = first.weekday()
        flags = bytearray(1 if (first_weekday + i) % 7 < 5 else 0 for i in range(length))
        if confirmed and overrides:
            for day, working in overrides.items():
                if day.year == year:
                    flags[day.toordinal() - first.toordinal()] = 1 if working else 0
        cum = array("H", [0])
        running = 0
        for flag in flags:
            running += flag
            cum.append(running)
        self.year = year
        self.confirmed = confirmed
        self.first_ordinal = first.toordinal()
        self.flags = bytes(flags)
        self.cum = cum

    @property
    def total(self) -> int:
        return self.cum[-1]

    def is_working(self, day: datetime.date) -> bool:
        return bool(self.flags[day.toordinal() - self.first_ordinal])

    def through(self, day: datetime.date) -> int:
        """Working days from 1 January up to and including ``day``."""
        return self.cum[day.toordinal() - self.first_ordinal + 1]

    def nth(self, count: int) -> datetime.date:
        """The working day that is the ``count``-th of the year (1-based; ``count`` ≤ total)."""
        index = bisect_left(self.cum, count) - 1
        return datetime.date.fromordinal(self.first_ordinal + index)


class WorkingCalendar:
    """A consistent view of the calendar. Years are built on first use and kept for the view's life.

    Build one from the database with ``get_calendar()``, or from plain data with ``from_days`` (no
    database: for tests and simulations).
    """

    def __init__(self, year_source: Callable[[int], YearDays]) -> None:
        self._source = year_source
        self._years: dict[int, YearDays] = {}

    @classmethod
    def from_days(
        cls, days: Mapping[datetime.date, bool], confirmed_years: Iterable[int]
    ) -> WorkingCalendar:
        by_year: dict[int, dict[datetime.date, bool]] = {}
        for day, working in days.items():
            by_year.setdefault(day.year, {})[day] = working
        confirmed = frozenset(confirmed_years)

        def source(year: int) -> YearDays:
            if year in confirmed:
                return YearDays(year, True, by_year.get(year, {}))
            return _weekday_year(year)

        return cls(source)

    def year(self, year: int) -> YearDays:
        data = self._years.get(year)
        if data is None:
            if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
                raise OverflowError(f"year {year} is out of range")
            data = self._years[year] = self._source(year)
        return data

    def is_confirmed(self, year: int) -> bool:
        return self.year(year).confirmed

    def is_working_day(self, day: datetime.date) -> bool:
        return self.year(day.year).is_working(day)

    def provisional_between(self, first: datetime.date, last: datetime.date) -> bool:
        """True if any year from ``first`` to ``last`` (inclusive) is unconfirmed."""
        return any(not self.is_confirmed(y) for y in range(first.year, last.year + 1))

    def count_working_days(self, after: datetime.date, through: datetime.date) -> int:
        """Working days ``d`` with ``after < d ≤ through`` (0 when ``through ≤ after``)."""
        if through <= after:
            return 0
        first = self.year(after.year)
        if after.year == through.year:
            return first.through(through) - first.through(after)
        total = first.total - first.through(after)
        for y in range(after.year + 1, through.year):
            total += self.year(y).total
        return total + self.year(through.year).through(through)

    def add_working_days(self, start: datetime.date, count: int) -> datetime.date:
        """The ``count``-th working day after ``start`` (``start`` itself not counted; 0 → start)."""
        if count < 0:
            raise ValueError("count must be ≥ 0")
        if count == 0:
            return start
        data = self.year(start.year)
        target = data.through(start) + count
        while target > data.total:
            target -= data.total
            data = self.year(data.year + 1)
        return data.nth(target)

    def next_working_day(self, day: datetime.date, *, include_self: bool = True) -> datetime.date:
        """The first working day on or after ``day`` (strictly after when ``include_self=False``)."""
        if include_self and self.is_working_day(day):
            return day
        return self.add_working_days(day, 1)


@functools.lru_cache(maxsize=128)
def _weekday_year(year: int) -> YearDays:
    return YearDays(year, False)


# ---------------------------------------------------------------------------------------------
# Snapshots from the database, with the in-process cache
# ---------------------------------------------------------------------------------------------

# (database alias, year) → (revision, days). A revision is a fresh random token per change, so a
# token seen once always means the same committed (or rolled-back, hence never seen again) data.
_year_cache: dict[tuple[str, int], tuple[str, YearDays]] = {}


def get_calendar(using: str = "default") -> WorkingCalendar:
    confirmed = dict(
        CalendarYear.objects.using(using).filter(confirmed=True).values_list("year", "revision")
    )

    def source(year: int) -> YearDays:
        revision = confirmed.get(year)
        if revision is None:
            return _weekday_year(year)
        cached = _year_cache.get((using, year))
        if cached is not None and cached[0] == revision:
            return cached[1]
        rows = CalendarDay.objects.using(using).filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        )
        data = YearDays(year, True, dict(rows.values_list("date", "is_working_day")))
        _year_cache[(using, year)] = (revision, data)
        return data

    return WorkingCalendar(source)


def clear_calendar_cache() -> None:
    """Drop this process's cached years (never needed for correctness: revisions handle that)."""
    _year_cache.clear()


def is_working_day(day: datetime.date) -> bool:
    return get_calendar().is_working_day(day)


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    return get_calendar().add_working_days(start, count)


def count_working_days(after: datetime.date, through: datetime.date) -> int:
    return get_calendar().count_working_days(after, through)


def next_working_day(day: datetime.date, *, include_self: bool = True) -> datetime.date:
    return get_calendar().next_working_day(day, include_self=include_self)


def special_day_counts(years: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``{year: (holidays, make-up workdays)}`` as entered in the table (for listings)."""
    if not years:
        return {}
    counts: dict[int, list[int]] = {}
    rows = CalendarDay.objects.filter(
        date__gte=datetime.date(min(years), 1, 1),
        date__lte=datetime.date(max(years), 12, 31),
        kind__in=[CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.MAKEUP_WORKDAY],
    ).values_list("date", "kind")
    for day, kind in rows:
        pair = counts.setdefault(day.year, [0, 0])
        pair[0 if kind == CalendarDay.Kind.HOLIDAY else 1] += 1
    return {year: (pair[0], pair[1]) for year, pair in counts.items()}


# ---------------------------------------------------------------------------------------------
# Seeding from chinesecalendar
# ---------------------------------------------------------------------------------------------

# State Council names (国务院办公厅通知) for the package's English keys.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


@dataclass(frozen=True)
class SeedDay:
    date: datetime.date
    kind: str
    holiday_name: str
    note: str

    @property
    def is_working_day(self) -> bool:
        return self.kind in CalendarDay.WORKING_KINDS


@dataclass
class SeedReport:
    years: list[int]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_admin: int = 0
    years_confirmed: list[int] = field(default_factory=list)


def seed_years_available() -> range:
    """The years ``chinesecalendar`` covers (2004–2026 in version 1.11)."""
    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def chinesecalendar_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "unknown"


def _holiday_name(english: str | None) -> str:
    if not english:
        return ""
    if english in HOLIDAY_NAMES:
        return HOLIDAY_NAMES[english]
    try:
        return str(chinese_calendar.Holiday(english).chinese)
    except ValueError:
        return english


def chinesecalendar_days(year: int) -> list[SeedDay]:
    """Every day of ``year`` as ``chinesecalendar`` describes it."""
    if year not in seed_years_available():
        raise ValueError(f"chinesecalendar has no data for {year}")
    days: list[SeedDay] = []
    day = datetime.date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        if day in chinese_calendar.workdays:
            kind = CalendarDay.Kind.MAKEUP_WORKDAY if weekend else CalendarDay.Kind.WORKDAY
            name = _holiday_name(chinese_calendar.workdays[day])
            note = "调休上班"
        elif day in chinese_calendar.holidays:
            kind = CalendarDay.Kind.HOLIDAY
            name = _holiday_name(chinese_calendar.holidays[day])
            note = "调休放假" if day in chinese_calendar.in_lieu_days else ""
        else:
            kind = CalendarDay.Kind.WEEKEND if weekend else CalendarDay.Kind.WORKDAY
            name = note = ""
        days.append(SeedDay(day, str(kind), name, note))
        day += DAY
    return days


def chinesecalendar_snapshot(years: Iterable[int] | None = None) -> WorkingCalendar:
    """A database-free ``WorkingCalendar`` straight from ``chinesecalendar`` (all other years
    provisional). The seeded table gives the same answers until an admin edits it."""
    chosen = list(years) if years is not None else list(seed_years_available())
    days = {d.date: d.is_working_day for y in chosen for d in chinesecalendar_days(y)}
    return WorkingCalendar.from_days(days, chosen)


def seed_calendar(
    years: Sequence[int] | None = None,
    *,
    actor: str | None = None,
    using: str = "default",
) -> SeedReport:
    """Fill the table from ``chinesecalendar``. Idempotent; admin-edited days are never overwritten;
    a year row that already exists (confirmed or not) is left as the admins set it. ``actor`` None
    (the post-migrate bootstrap) writes no ledger entry."""
    available = seed_years_available()
    chosen = sorted(set(years)) if years is not None else list(available)
    missing = [y for y in chosen if y not in available]
    if missing:
        raise ValidationFailed(
            code="calendar_year_not_in_seed",
            message=_("chinesecalendar 只包含 %(first)s–%(last)s 年的数据，没有：%(years)s")
            % {
                "first": available[0],
                "last": available[-1],
                "years": "、".join(str(y) for y in missing),
            },
            field="years",
        )
    report = SeedReport(years=chosen)
    version = chinesecalendar_version()
    with transaction.atomic(using=using):
        changed_years: set[int] = set()
        for year in chosen:
            _seed_year(year, report, changed_years, using=using)
            _row, created = CalendarYear.objects.using(using).get_or_create(
                year=year,
                defaults={
                    "confirmed": True,
                    "confirmed_by": f"chinesecalendar {version}",
                    "confirmed_at": timezone.now(),
                    "note": _("由 chinesecalendar %(version)s 初始化") % {"version": version},
                },
            )
            if created:
                report.years_confirmed.append(year)
                changed_years.add(year)
        for year in changed_years:
            CalendarYear.objects.using(using).filter(year=year).update(revision=new_revision())
        if actor is not None:
            record_event(
                actor=actor,
                action="calendar.seeded",
                object_type="core.calendaryear",
                object_id=",".join(str(y) for y in chosen),
                payload={
                    "chinesecalendar": version,
                    "created": report.created,
                    "updated": report.updated,
                    "kept_admin": report.kept_admin,
                    "years_confirmed": report.years_confirmed,
                },
            )
        _announce(sorted(changed_years), using)
    return report


def _seed_year(year: int, report: SeedReport, changed_years: set[int], *, using: str) -> None:
    existing = {
        row.date: row
        for row in CalendarDay.objects.using(using).filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        )
    }
    to_create: list[CalendarDay] = []
    to_update: list[CalendarDay] = []
    for seed in chinesecalendar_days(year):
        row = existing.get(seed.date)
        if row is None:
            to_create.append(
                CalendarDay(
                    date=seed.date,
                    kind=seed.kind,
                    is_working_day=seed.is_working_day,
                    holiday_name=seed.holiday_name,
                    note=seed.note,
                    source=CalendarDay.Source.SEEDED,
                )
            )
        elif row.source == CalendarDay.Source.ADMIN:
            report.kept_admin += 1
        elif (row.kind, row.holiday_name, row.note) != (seed.kind, seed.holiday_name, seed.note):
            row.kind, row.holiday_name, row.note = seed.kind, seed.holiday_name, seed.note
            row.is_working_day = seed.is_working_day
            to_update.append(row)
        else:
            report.unchanged += 1
    if to_create:
        CalendarDay.objects.using(using).bulk_create(to_create, batch_size=500)
    if to_update:
        CalendarDay.objects.using(using).bulk_update(
            to_update, ["kind", "is_working_day", "holiday_name", "note"], batch_size=500
        )
    report.created += len(to_create)
    report.updated += len(to_update)
    if to_create or to_update:
        changed_years.add(year)


def seed_calendar_after_migrate(using: str = "default", apps: Any = None, **kwargs: Any) -> None:
    """post_migrate hook: a fresh database gets the calendar seeded (once; never re-seeds)."""
    if not getattr(settings, "YIWANG_CALENDAR_AUTO_SEED", True):
        return
    if apps is not None:
        # Only when the migrated state has the tables exactly as the code expects them.
        for model in (CalendarDay, CalendarYear):
            try:
                historical = apps.get_model("core", model.__name__)
            except LookupError:
                return
            if {f.column for f in historical._meta.concrete_fields} != {
                f.column for f in model._meta.concrete_fields
            }:
                return
    tables = set(connections[using].introspection.table_names())
    if not {CalendarDay._meta.db_table, CalendarYear._meta.db_table} <= tables:
        return
    if CalendarDay.objects.using(using).exists():
        return
    report = seed_calendar(using=using)
    logger.info("Seeded the working-day calendar: %s days", report.created)


# ---------------------------------------------------------------------------------------------
# Admin maintenance
# ---------------------------------------------------------------------------------------------


def _day_payload(day: CalendarDay) -> dict[str, Any]:
    return {
        "kind": day.kind,
        "is_working_day": day.is_working_day,
        "holiday_name": day.holiday_name,
        "note": day.note,
        "source": day.source,
    }


def _announce(years: list[int], using: str) -> None:
    if years:
        transaction.on_commit(
            lambda: calendar_changed.send(sender=CalendarDay, years=years, using=using),
            using=using,
        )


def set_calendar_day(
    *,
    day: datetime.date,
    kind: str,
    actor: str,
    holiday_name: str = "",
    note: str = "",
    using: str = "default",
) -> CalendarDay:
    """Create or change one day (source becomes ``admin``; a later seed will not undo it)."""
    with transaction.atomic(using=using):
        row = CalendarDay.objects.using(using).select_for_update().filter(
            date=day
        ).first() or CalendarDay(date=day)
        before = _day_payload(row) if row.pk else None
        row.kind = kind
        row.holiday_name = holiday_name
        row.note = note
        row.source = CalendarDay.Source.ADMIN
        row.is_working_day = kind in CalendarDay.WORKING_KINDS
        try:
            row.full_clean()
        except ValidationError as exc:
            messages = [str(m) for m in exc.messages]
            raise ValidationFailed(
                code="calendar_day_invalid", message="；".join(messages), field="kind"
            ) from exc
        row.save(using=using)
        record_event(
            actor=actor,
            action="calendar.day_set",
            object_type="core.calendarday",
            object_id=day.isoformat(),
            payload={"before": before, "after": _day_payload(row)},
        )
        _announce([day.year], using)
    return row


def delete_calendar_day(*, day: datetime.date, actor: str, using: str = "default") -> None:
    """Remove a day's row: the date falls back to the weekday rule."""
    with transaction.atomic(using=using):
        row = CalendarDay.objects.using(using).select_for_update().filter(date=day).first()
        if row is None:
            raise NotFound(code="calendar_day_not_found", message=_("该日期没有日历记录。"))
        before = _day_payload(row)
        row.delete()
        record_event(
            actor=actor,
            action="calendar.day_deleted",
            object_type="core.calendarday",
            object_id=day.isoformat(),
            payload={"before": before},
        )
        _announce([day.year], using)


def confirm_calendar_year(
    *, year: int, actor: str, confirmed_by: str, note: str = "", using: str = "default"
) -> CalendarYear:
    """Confirm a year's arrangement: its rows take effect and its deadlines stop being provisional."""
    with transaction.atomic(using=using):
        row, _created = (
            CalendarYear.objects.using(using).select_for_update().get_or_create(year=year)
        )
        if row.confirmed:
            raise Conflict(
                code="calendar_year_already_confirmed",
                message=_("%(year)s 年度日历已经确认。") % {"year": year},
            )
        has_holidays = (
            CalendarDay.objects.using(using)
            .filter(date__year=year, kind=CalendarDay.Kind.HOLIDAY)
            .exists()
        )
        if not has_holidays:
            raise ValidationFailed(
                code="calendar_year_has_no_holidays",
                message=_("%(year)s 年度尚未录入任何法定节假日，不能确认。") % {"year": year},
                field="year",
            )
        row.confirmed = True
        row.confirmed_by = confirmed_by
        row.confirmed_at = timezone.now()
        if note:
            row.note = note
        row.revision = new_revision()
        row.save(using=using)
        record_event(
            actor=actor,
            action="calendar.year_confirmed",
            object_type="core.calendaryear",
            object_id=str(year),
            payload={"note": row.note},
        )
        _announce([year], using)
    return row


def unconfirm_calendar_year(
    *, year: int, actor: str, reason: str, using: str = "default"
) -> CalendarYear:
    """Withdraw a confirmation: the year becomes provisional again (weekday rule)."""
    with transaction.atomic(using=using):
        row = CalendarYear.objects.using(using).select_for_update().filter(year=year).first()
        if row is None or not row.confirmed:
            raise Conflict(
                code="calendar_year_not_confirmed",
                message=_("%(year)s 年度日历尚未确认。") % {"year": year},
            )
        row.confirmed = False
        row.confirmed_by = ""
        row.confirmed_at = None
        row.revision = new_revision()
        row.save(using=using)
        record_event(
            actor=actor,
            action="calendar.year_unconfirmed",
            object_type="core.calendaryear",
            object_id=str(year),
            payload={"reason": reason},
        )
        _announce([year], using)
    return row
