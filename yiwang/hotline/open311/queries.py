"""``GET requests``: the query parameters of GeoReport v2 and the tickets they select.

- ``service_request_id``: one or more ticket numbers, comma separated; overrides every other
  filter (at most ``MAX_REQUESTS`` numbers; one that is no ticket's number matches nothing).
- ``service_code``: one or more category codes, comma separated.
- ``start_date`` / ``end_date``: W3C date-times (``2026-11-01T00:00:00+08:00`` or ``…Z``)
  bounding ``requested_datetime``. Without them the window is the last 90 days; with one of them,
  90 days from it (or up to it); a window may not span more than 90 days, and a start after the
  end is an error.
- ``status``: ``open``, ``closed`` or both, comma separated (``open,closed``, no blanks).

At most ``MAX_REQUESTS`` (1,000) requests are returned, newest first. Unknown parameters are
ignored. Every problem is reported at once (``ValidationFailed`` ``request_query_invalid``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed
from yiwang.hotline import states
from yiwang.hotline.models import Ticket
from yiwang.hotline.open311.resources import CLOSED, OPEN, public_tickets

MAX_REQUESTS = 1000
MAX_WINDOW = dt.timedelta(days=90)
MAX_PARAMETER_CHARS = 40_000
# Times before and after these are clamped: no ticket is older, and the database need not
# handle year 1 or year 9999 with a time zone offset.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)

_W3C_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_datetime(value: str) -> dt.datetime | None:
    """An RFC 3339 date-time (an offset or ``Z`` is required) as an aware UTC datetime, clamped to
    [EARLIEST, LATEST]; None when ``value`` is not one. A leap second (``:60``) counts as ``:59``."""
    match = _W3C_DATETIME.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 60:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    second = min(second, 59)
    offset = dt.timedelta(0)
    if match.group(9):
        sign = -1 if match.group(9) == "-" else 1
        offset = sign * dt.timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
    if year == 0:
        return EARLIEST
    naive = dt.datetime(year, month, day, hour, minute, second)  # the offset is applied below
    try:
        moment = (naive - offset).replace(tzinfo=dt.UTC)
    except OverflowError:
        return EARLIEST if offset > dt.timedelta(0) else LATEST
    return min(max(moment, EARLIEST), LATEST)


def _shift(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    try:
        return min(max(moment + delta, EARLIEST), LATEST)
    except OverflowError:
        return LATEST if delta > dt.timedelta(0) else EARLIEST


def _list(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


@dataclass(frozen=True)
class RequestQuery:
    numbers: tuple[str, ...] | None
    service_codes: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    statuses: frozenset[str]


def parse_query(params: Mapping[str, str], now: dt.datetime | None = None) -> RequestQuery:
    errors: dict[str, dict[str, str]] = {}

    def fail(field: str, code: str, message: str) -> None:
        errors.setdefault(field, {"code": code, "message": message})

    def text(name: str) -> str:
        value = params.get(name) or ""
        if len(value) > MAX_PARAMETER_CHARS:
            fail(name, "parameter_too_long", _("参数过长。"))
            return ""
        return value.strip()

    numbers: tuple[str, ...] | None = None
    requested = _list(text("service_request_id"))
    if requested:
        if len(requested) > MAX_REQUESTS:
            fail(
                "service_request_id",
                "too_many_request_ids",
                _("一次最多查询%(max)s个工单编号。") % {"max": MAX_REQUESTS},
            )
        numbers = tuple(requested)

    codes = tuple(_list(text("service_code")))

    statuses = frozenset({OPEN, CLOSED})
    if "status" in params:
        wanted = text("status").split(",")
        if any(s not in (OPEN, CLOSED) for s in wanted):
            fail("status", "unknown_status", _("状态只能是 open 或 closed（可用逗号分隔）。"))
        else:
            statuses = frozenset(wanted)

    bounds: dict[str, dt.datetime | None] = {}
    for name in ("start_date", "end_date"):
        bounds[name] = None
        if name in params:  # given, even empty: it must be a date-time
            bounds[name] = parse_datetime(text(name))
            if bounds[name] is None:
                fail(
                    name,
                    "invalid_datetime",
                    _("时间格式应为 W3C 日期时间，如 2026-11-01T00:00:00+08:00。"),
                )
    now = now or timezone.now()
    start, end = bounds["start_date"], bounds["end_date"]
    if start is None and end is None:
        start, end = _shift(now, -MAX_WINDOW), now
    elif end is None:
        assert start is not None
        end = _shift(start, MAX_WINDOW)
    elif start is None:
        start = _shift(end, -MAX_WINDOW)
    if start > end:
        fail("start_date", "start_after_end", _("start_date 不能晚于 end_date。"))
    elif end - start > MAX_WINDOW:
        fail("end_date", "window_too_long", _("查询时间跨度不能超过90天。"))

    if errors:
        raise ValidationFailed(
            "request_query_invalid", _("查询条件有误。"), details={"errors": errors}
        )
    return RequestQuery(numbers, codes, start, end, statuses)


def find_requests(query: RequestQuery) -> list[Ticket]:
    tickets = public_tickets()
    if query.numbers is not None:
        tickets = tickets.filter(number__in=query.numbers)
    else:
        tickets = tickets.filter(accepted_at__gte=query.start, accepted_at__lte=query.end)
        if query.service_codes:
            tickets = tickets.filter(category__code__in=query.service_codes)
        if query.statuses == {OPEN}:
            tickets = tickets.exclude(status__in=states.FINAL_STATUSES)
        elif query.statuses == {CLOSED}:
            tickets = tickets.filter(status__in=states.FINAL_STATUSES)
    return list(tickets.order_by("-accepted_at", "-id")[:MAX_REQUESTS])
