"""好差评 indicators (RULES.md 好差评) for a period ``[start, end)``, per department, window, staff
member or item (事项), computed with a fixed number of aggregate queries.

What is counted:

- Ratings: current (``is_current``: a re-rating replaces the rating it supersedes) and not
  excluded (``is_excluded``: a review found malicious on appeal), created in the period. A rating
  is good when ``level > services.bad_max_level()`` and bad otherwise (the level is read, not the
  stored ``is_bad``, so good + bad = rated). Per department and per item the ratings of the
  transactions (办件, 12345 工单) are counted, one per transaction (一事一评); the window and staff
  ratings of a counter visit count in the window and staff groupings only.
- 好评率 = good / rated; 主动评价好评率 = good / rated among ratings the rater gave himself
  (``is_active_rating``; the default ratings given when he did not rate in time are left out).
- 未评价率 = finished transactions without any rating / finished transactions. Finished in the
  period: cases with ``completed_at`` in it and status completed, denied or not accepted, counted
  for ``case.department`` (per item: the case's item); 12345 tickets closed in it with a
  department, counted for ``ticket.department`` (per item: the ticket's category). Any rating
  counts, whenever it was given (a default rating too; an excluded one too): a late rating lowers
  the rate of the period the transaction was finished in. Windows and staff members have no
  denominator (a case does not record which window or clerk served it): ``None``.
- 差评整改率 = bad reviews closed / bad reviews opened in the period (closed at any time up to
  now); reviews whose rating was excluded (申诉成立) are not bad and do not count. Per department
  every review the department handles counts (transaction, window and staff ratings); per item
  those of transaction ratings; per window or staff member those of its ratings.
- 回访及时率 = reviews called back by ``callback_due_at`` / reviews whose call-back was due in the
  period (the due time is over: before ``min(end, now)``) or was done in the period. An appeal
  comes after the call-back, so appealed reviews count here whatever the decision.
- Counts alongside: ratings, good, bad, active ratings, finished, unrated, reviews opened, closed
  and still open.

Each rate is a fraction 0..1, or ``None`` when its denominator is 0.

Staff indicators name people: they are for leaders' pages (permission-checked there), never for
the public page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from yiwang.accounts.models import Department, User
from yiwang.cases.models import Case
from yiwang.catalog.models import ServiceItem
from yiwang.hotline.models import Category, Ticket, TicketStatus
from yiwang.ratings.models import (
    BadReview,
    BadReviewStatus,
    Outcome,
    Rating,
    ServiceWindow,
    SubjectKind,
)
from yiwang.ratings.services import RATEABLE_CASE_STATUSES, bad_max_level

BY_DEPARTMENT = "department"
BY_WINDOW = "window"
BY_STAFF = "staff"
BY_ITEM = "item"
GROUPINGS = (BY_DEPARTMENT, BY_WINDOW, BY_STAFF, BY_ITEM)

DEFAULT_RANK_MINIMUM = 5
TRANSACTIONS = (SubjectKind.CASE, SubjectKind.TICKET)

# Per grouping: the rating field grouped on, the subject kinds of the ratings counted, the bad
# review field grouped on and the subject kinds of the reviews counted.
_RATING_KEY = {
    BY_DEPARTMENT: "department_id",
    BY_WINDOW: "window_id",
    BY_STAFF: "staff_id",
    BY_ITEM: "item_code",
}
_RATING_KINDS = {
    BY_DEPARTMENT: TRANSACTIONS,
    BY_WINDOW: (SubjectKind.WINDOW,),
    BY_STAFF: (SubjectKind.STAFF,),
    BY_ITEM: TRANSACTIONS,
}
_REVIEW_KEY = {
    BY_DEPARTMENT: "department_id",
    BY_WINDOW: "rating__window_id",
    BY_STAFF: "rating__staff_id",
    BY_ITEM: "rating__item_code",
}
_REVIEW_KINDS = {
    BY_DEPARTMENT: tuple(SubjectKind.values),
    BY_WINDOW: (SubjectKind.WINDOW,),
    BY_STAFF: (SubjectKind.STAFF,),
    BY_ITEM: TRANSACTIONS,
}


def rank_minimum() -> int:
    """Ratings a unit needs to be ranked (``YIWANG_RATING_RANK_MIN_RATINGS``, default 5)."""
    return int(getattr(settings, "YIWANG_RATING_RANK_MIN_RATINGS", DEFAULT_RANK_MINIMUM))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Indicators:
    key: Any  # department/window/staff id or item code; None for a total
    name: str
    ratings: int = 0
    good: int = 0
    active: int = 0  # ratings the rater gave himself (主动评价)
    active_good: int = 0
    finished: int = 0  # transactions finished in the period (0 for windows and staff)
    unrated: int = 0  # of those, without any rating
    reviews_opened: int = 0  # bad reviews opened in the period (申诉成立 left out)
    reviews_closed: int = 0  # of those, closed
    callbacks_counted: int = 0  # reviews whose call-back was due or done in the period
    callbacks_on_time: int = 0  # of those, called back by the deadline

    @property
    def bad(self) -> int:
        return self.ratings - self.good

    @property
    def reviews_open(self) -> int:
        return self.reviews_opened - self.reviews_closed

    @property
    def good_rate(self) -> float | None:
        """好评率."""
        return _ratio(self.good, self.ratings)

    @property
    def active_good_rate(self) -> float | None:
        """主动评价好评率."""
        return _ratio(self.active_good, self.active)

    @property
    def unrated_rate(self) -> float | None:
        """未评价率."""
        return _ratio(self.unrated, self.finished)

    @property
    def rectification_rate(self) -> float | None:
        """差评整改率."""
        return _ratio(self.reviews_closed, self.reviews_opened)

    @property
    def callback_rate(self) -> float | None:
        """回访及时率."""
        return _ratio(self.callbacks_on_time, self.callbacks_counted)


_COUNTS = tuple(f.name for f in fields(Indicators) if f.name not in ("key", "name"))


def total(rows: Iterable[Indicators], name: str = "") -> Indicators:
    """The sum of ``rows`` (each transaction and review falls in one group, so the rates of the
    sum are the rates over all of them)."""
    rows = list(rows)
    return Indicators(
        key=None, name=name, **{field: sum(getattr(r, field) for r in rows) for field in _COUNTS}
    )


# --------------------------------------------------------------------------- periods

MONTH = "month"
LAST_MONTH = "last_month"
QUARTER = "quarter"
YEAR = "year"
PRESETS = (MONTH, LAST_MONTH, QUARTER, YEAR)


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates ``[first, last]`` (both included) of 本月, 上月, 本季度 or 本年 around ``today``."""
    if preset == MONTH:
        first = today.replace(day=1)
    elif preset == LAST_MONTH:
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    elif preset == QUARTER:
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    elif preset == YEAR:
        first = today.replace(month=1, day=1)
    else:
        raise ValueError(f"unknown period {preset!r}")
    months = {MONTH: 1, LAST_MONTH: 1, QUARTER: 3, YEAR: 12}[preset]
    year, month = divmod(first.month - 1 + months, 12)
    after = first.replace(year=first.year + year, month=month + 1)
    return first, after - dt.timedelta(days=1)


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` in the current time zone for the days ``first``..``last`` included."""

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    return midnight(first), midnight(last + dt.timedelta(days=1))


# --------------------------------------------------------------------------- computation


def _rating_counts(start: dt.datetime, end: dt.datetime, by: str) -> dict[Any, dict[str, int]]:
    good = Q(level__gt=bad_max_level())
    qs = Rating.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        is_current=True,
        is_excluded=False,
        subject_kind__in=_RATING_KINDS[by],
    )
    if by == BY_ITEM:
        qs = qs.exclude(item_code="")
    key = _RATING_KEY[by]
    rows = (
        qs.values(key)
        .annotate(
            ratings=Count("id"),
            good=Count("id", filter=good),
            active=Count("id", filter=Q(is_active_rating=True)),
            active_good=Count("id", filter=good & Q(is_active_rating=True)),
        )
        .order_by()
    )
    return {r.pop(key): r for r in rows}


def _review_counts(
    start: dt.datetime, end: dt.datetime, now: dt.datetime, by: str
) -> dict[Any, dict[str, int]]:
    opened = (
        Q(opened_at__gte=start, opened_at__lt=end)
        & Q(rating__is_excluded=False)
        & ~Q(outcome=Outcome.APPEAL_UPHELD)
    )
    callback = Q(called_back_at__gte=start, called_back_at__lt=end) | Q(
        callback_due_at__gte=start, callback_due_at__lt=min(end, now)
    )
    on_time = Q(called_back_at__isnull=False, called_back_at__lte=F("callback_due_at"))
    qs = BadReview.objects.filter(rating__subject_kind__in=_REVIEW_KINDS[by]).filter(
        Q(opened_at__gte=start, opened_at__lt=end) | callback
    )
    if by == BY_ITEM:
        qs = qs.exclude(rating__item_code="")
    key = _REVIEW_KEY[by]
    rows = (
        qs.values(key)
        .annotate(
            reviews_opened=Count("id", filter=opened),
            reviews_closed=Count("id", filter=opened & Q(status=BadReviewStatus.CLOSED)),
            callbacks_counted=Count("id", filter=callback),
            callbacks_on_time=Count("id", filter=callback & on_time),
        )
        .order_by()
    )
    return {r.pop(key): r for r in rows}


def _finished_counts(
    start: dt.datetime, end: dt.datetime, by: str
) -> list[dict[Any, dict[str, int]]]:
    """Finished transactions and those never rated, per department or item (two queries)."""
    if by not in (BY_DEPARTMENT, BY_ITEM):
        return []
    case_key, ticket_key = (
        ("department_id", "department_id")
        if by == BY_DEPARTMENT
        else ("item__implementation_code", "category__code")
    )
    cases = Case.objects.filter(
        completed_at__gte=start, completed_at__lt=end, status__in=RATEABLE_CASE_STATUSES
    )
    tickets = Ticket.objects.filter(
        closed_at__gte=start,
        closed_at__lt=end,
        status=TicketStatus.CLOSED,
        department__isnull=False,
    )
    if by == BY_ITEM:
        cases = cases.filter(item__isnull=False)
        tickets = tickets.filter(category__isnull=False)
    case_rated = Exists(Rating.objects.filter(case=OuterRef("pk"), subject_kind=SubjectKind.CASE))
    ticket_rated = Exists(Rating.objects.filter(ticket=OuterRef("pk")))
    out: list[dict[Any, dict[str, int]]] = []
    for qs, key, rated in ((cases, case_key, case_rated), (tickets, ticket_key, ticket_rated)):
        rows = (
            qs.values(key)
            .annotate(finished=Count("id"), unrated=Count("id", filter=~rated))
            .order_by()
        )
        out.append({r.pop(key): r for r in rows})
    return out


def _names(by: str, keys: Sequence[Any]) -> dict[Any, str]:
    if not keys:
        return {}
    if by == BY_DEPARTMENT:
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == BY_WINDOW:
        return {
            pk: f"{code} {name}"
            for pk, code, name in ServiceWindow.objects.filter(pk__in=keys).values_list(
                "pk", "code", "name"
            )
        }
    if by == BY_STAFF:
        return dict(User.objects.filter(pk__in=keys).values_list("pk", "display_name"))
    names: dict[Any, str] = {}
    # The newest version's name of each item (versions are ordered newest first per code), then
    # the 12345 categories (the "item" of a ticket).
    for code, name in (
        ServiceItem.objects.filter(implementation_code__in=keys)
        .order_by("implementation_code", "-version")
        .values_list("implementation_code", "name")
    ):
        names.setdefault(code, name)
    for code, name in Category.objects.filter(code__in=keys).values_list("code", "name"):
        names.setdefault(code, name)
    return names


def indicators(
    start: dt.datetime,
    end: dt.datetime,
    *,
    by: str = BY_DEPARTMENT,
    now: dt.datetime | None = None,
) -> list[Indicators]:
    """The indicators of every department (window, staff member, item) with anything to count
    in ``[start, end)``, sorted by name. At most six queries whatever the volume."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    now = now or timezone.now()
    parts = [
        _rating_counts(start, end, by),
        _review_counts(start, end, now, by),
        *_finished_counts(start, end, by),
    ]
    merged: dict[Any, dict[str, int]] = {}
    for part in parts:
        for key, counts in part.items():
            if key is None or key == "":
                continue
            into = merged.setdefault(key, {})
            for field, value in counts.items():
                into[field] = into.get(field, 0) + value
    names = _names(by, list(merged))
    rows = [
        Indicators(key=key, name=names.get(key, str(key)), **counts)
        for key, counts in merged.items()
    ]
    return sorted(rows, key=lambda r: (r.name, str(r.key)))


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Ranked:
    """A row of a ranking: ``position`` 1, 2, … (equal 好评率 and volume share a position), or
    ``None`` when the unit has fewer ratings than the minimum (样本不足)."""

    position: int | None
    row: Indicators

    @property
    def is_ranked(self) -> bool:
        return self.position is not None


def rank(rows: Iterable[Indicators], *, minimum: int | None = None) -> list[Ranked]:
    """``rows`` by 好评率 (best first), then by number of ratings (more first); those with fewer
    than ``minimum`` ratings (default ``rank_minimum()``) follow unranked, by volume."""
    minimum = rank_minimum() if minimum is None else minimum
    minimum = max(minimum, 1)
    eligible: list[Indicators] = []
    short: list[Indicators] = []
    for row in rows:
        (eligible if row.ratings >= minimum else short).append(row)

    def score(row: Indicators) -> tuple[Fraction, int]:
        return Fraction(row.good, row.ratings), row.ratings

    eligible.sort(key=lambda r: (-score(r)[0], -r.ratings, r.name, str(r.key)))
    ranked: list[Ranked] = []
    for index, row in enumerate(eligible):
        if ranked and score(ranked[-1].row) == score(row):
            position = ranked[-1].position
        else:
            position = index + 1
        ranked.append(Ranked(position, row))
    short.sort(key=lambda r: (-r.ratings, r.name, str(r.key)))
    return ranked + [Ranked(None, row) for row in short]


def department_ranking(
    start: dt.datetime, end: dt.datetime, *, minimum: int | None = None
) -> list[Ranked]:
    """The departments ranked for ``[start, end)`` (赛马/晾晒)."""
    return rank(indicators(start, end, by=BY_DEPARTMENT), minimum=minimum)


def top_and_bottom(
    rows: Iterable[Indicators], *, count: int = 5, minimum: int | None = None
) -> tuple[list[Ranked], list[Ranked]]:
    """The best-rated and the worst-rated (worst first) among the ranked rows, at most ``count``
    each. A row is never in both lists: with fewer than ``2 × count`` ranked rows the better
    half is the top and the rest the bottom."""
    ranked = [r for r in rank(rows, minimum=minimum) if r.is_ranked]
    size = min(count, (len(ranked) + 1) // 2)
    top = ranked[:size]
    bottom = list(reversed(ranked[size:]))[:count]
    return top, bottom
