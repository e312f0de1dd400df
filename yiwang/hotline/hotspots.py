"""未诉先办: hot spots. When one leaf category spikes in one street-level area, the responsible
department gets a proactive task (``HotSpot``) before more people have to call.

``detect(now)`` (``manage.py detect_hot_spots``, from cron, e.g. hourly)
counts the accepted demands per (leaf category, street area = first 9 digits of the region code)
in the window ``[now - WINDOW, now)`` and compares each count with its baseline, the average
count per window length over the ``BASELINE_DAYS`` before the window. A spike — at least
``MIN_COUNT`` demands and at least ``FACTOR`` × the baseline — opens one hot spot:

- never two at a time for the same category and area: while one is open or accepted, a new
  spike adds its demands to it (count and window grow) instead;
- its tickets are linked; the department comes from the dispatch rules
  (``services.responsible_department`` for the category and the area); the due time is
  ``DUE_LIMIT`` (3 working days) from detection (``core.deadlines``);
- the department's 12345 handlers get an in-app message; a ledger entry records it.

The department (``hotline.handle`` in the hot spot's department) ``accept``s it (open →
accepted) and ``resolve``s it with a result (accepted → done). Who sees hot spots: the hotline
agents (their centre's region), leaders (``insight.view``, their region) and the department's
handlers (their own department's).

Settings (optional): ``YIWANG_HOTLINE_HOTSPOT_WINDOW_HOURS`` (24), ``…_BASELINE_DAYS`` (14),
``…_MIN_COUNT`` (5), ``…_FACTOR`` (3).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, Region
from yiwang.cases.notifications import notify_user
from yiwang.cases.services.base import staff_can
from yiwang.cases.shared import actor_of
from yiwang.core.deadlines import TimeLimit, compute_deadline
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.ledger import record_event
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import states
from yiwang.hotline.models import Category, HotSpot, Ticket
from yiwang.hotline.overdue import HotlineStaff
from yiwang.hotline.rates import rates_scope
from yiwang.hotline.services.base import HANDLE
from yiwang.hotline.services.dispatch import responsible_department

WINDOW_HOURS = 24
BASELINE_DAYS = 14
MIN_COUNT = 5
FACTOR = 3.0
DUE_LIMIT = TimeLimit.working_days(3)
AREA_DIGITS = 9  # 街道/乡镇
MAX_RESULT_CHARS = 2_000

# open ──accept──▶ accepted ──resolve──▶ done
TRANSITIONS = {"accept": (HotSpot.Status.OPEN, HotSpot.Status.ACCEPTED)}
TRANSITIONS["resolve"] = (HotSpot.Status.ACCEPTED, HotSpot.Status.DONE)
ACTIVE = (HotSpot.Status.OPEN, HotSpot.Status.ACCEPTED)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, f"YIWANG_HOTLINE_HOTSPOT_{name}", default)


def area_code(region_code: str) -> str:
    """The street-level (街道/乡镇) region code that holds ``region_code``: 9 digits + ``000``."""
    return region_code[:AREA_DIGITS].ljust(12, "0")


def area_names(codes: Any) -> dict[str, str]:
    """The current names of the given region codes (one query)."""
    return dict(
        Region.objects.filter(code__in=set(codes), valid_to__isnull=True).values_list(
            "code", "name"
        )
    )


# --------------------------------------------------------------------------- detection


@dataclass
class Detection:
    opened: list[HotSpot] = field(default_factory=list)
    extended: list[HotSpot] = field(default_factory=list)


@dataclass(frozen=True)
class Spike:
    category_id: int
    area: str  # 9 digits
    count: int
    baseline: float


def _counted() -> QuerySet[Ticket]:
    """The demands that count: with an accepted leaf category, not 不予受理."""
    return Ticket.objects.filter(category__level=3, category__not_accepted=False).exclude(
        status=states.NOT_ACCEPTED
    )


def spikes(now: dt.datetime | None = None) -> list[Spike]:
    """The (category, area) pairs whose window count is a spike at ``now`` (two queries)."""
    now = now or timezone.now()
    window = dt.timedelta(hours=int(_setting("WINDOW_HOURS", WINDOW_HOURS)))
    baseline_days = int(_setting("BASELINE_DAYS", BASELINE_DAYS))
    minimum = int(_setting("MIN_COUNT", MIN_COUNT))
    factor = float(_setting("FACTOR", FACTOR))
    start = now - window
    counts = {
        (row["category_id"], row["area"]): row["n"]
        for row in _counted()
        .filter(accepted_at__gte=start, accepted_at__lt=now)
        .annotate(area=Substr("region_code", 1, AREA_DIGITS))
        .values("category_id", "area")
        .annotate(n=Count("id"))
        if row["n"] >= minimum
    }
    if not counts:
        return []
    history_start = start - dt.timedelta(days=baseline_days)
    windows = dt.timedelta(days=baseline_days) / window
    before: dict[tuple[int, str], int] = defaultdict(int)
    for row in (
        _counted()
        .filter(
            accepted_at__gte=history_start,
            accepted_at__lt=start,
            category_id__in={c for c, _a in counts},
        )
        .annotate(area=Substr("region_code", 1, AREA_DIGITS))
        .values("category_id", "area")
        .annotate(n=Count("id"))
    ):
        before[(row["category_id"], row["area"])] = row["n"]
    found = []
    for (category_id, area), n in sorted(counts.items()):
        baseline = round(before[(category_id, area)] / windows, 3)
        if n >= factor * baseline:
            found.append(Spike(category_id, area, n, baseline))
    return found


def _due(at: dt.datetime) -> dt.datetime | None:
    return compute_deadline(at, DUE_LIMIT).due_at


def _announce(hot_spot: HotSpot, staff: HotlineStaff) -> None:
    title = _("热点诉求：%(area)s%(category)s %(count)s件") % {
        "area": area_names([hot_spot.region_code]).get(hot_spot.region_code, hot_spot.region_code),
        "category": hot_spot.category.name,
        "count": hot_spot.count,
    }
    due = timezone.localtime(hot_spot.due_at).strftime("%Y-%m-%d %H:%M") if hot_spot.due_at else ""
    body = _("同一区域同类诉求集中出现，请主动处置（未诉先办），处置期限%(due)s。") % {"due": due}
    for user in staff.handlers_of(hot_spot.department_id):
        notify_user(user, title, body)


def _ledger(hot_spot: HotSpot, action: str, actor: Any, **payload: Any) -> None:
    record_event(
        actor=actor_of(actor),
        action=f"hotline.hotspot.{action}",
        object_type="hotline.hotspot",
        object_id=str(hot_spot.pk),
        payload={
            "category": hot_spot.category.code,
            "region_code": hot_spot.region_code,
            "count": hot_spot.count,
            **payload,
        },
    )


def detect(now: dt.datetime | None = None) -> Detection:
    """Open (or extend) a hot spot for every spike at ``now``; idempotent for a given ``now``."""
    now = now or timezone.now()
    window = dt.timedelta(hours=int(_setting("WINDOW_HOURS", WINDOW_HOURS)))
    result = Detection()
    found = spikes(now)
    if not found:
        return result
    staff = HotlineStaff.load()
    for spike in found:
        with transaction.atomic():
            # One detection at a time per category: no two hot spots for the same place.
            category = Category.objects.select_for_update().get(pk=spike.category_id)
            region = area_code(spike.area)
            tickets = list(
                _counted()
                .filter(
                    category_id=category.pk,
                    region_code__startswith=spike.area,
                    accepted_at__gte=now - window,
                    accepted_at__lt=now,
                )
                .values_list("pk", flat=True)
            )
            active = (
                HotSpot.objects.select_for_update()
                .filter(category=category, region_code=region, status__in=ACTIVE)
                .order_by("id")
                .first()
            )
            if active is not None:
                active.tickets.add(*tickets)
                count = active.tickets.count()
                if count == active.count:
                    continue  # nothing new since the last run
                active.count = count
                active.window_end = max(active.window_end, now)
                active.save(update_fields=["count", "window_end", "updated_at"])
                _ledger(active, "extend", None)
                result.extended.append(active)
                continue
            try:
                department: Department | None = responsible_department(category, region)
            except NotFound:
                department = None
            hot_spot = HotSpot.objects.create(
                category=category,
                region_code=region,
                department=department,
                window_start=now - window,
                window_end=now,
                count=len(tickets),
                baseline=spike.baseline,
                due_at=_due(now),
            )
            hot_spot.tickets.add(*tickets)
            _ledger(
                hot_spot,
                "open",
                None,
                baseline=str(spike.baseline),
                department_id=department.pk if department else None,
            )
            _announce(hot_spot, staff)
            result.opened.append(hot_spot)
    return result


# --------------------------------------------------------------------------- reads


def _hot_spot_q(user: Any) -> Q | None:
    """Agents and leaders: their region; handlers: their departments' (as for the 三率)."""
    return rates_scope(user)


def can_view(user: Any) -> bool:
    return _hot_spot_q(user) is not None


def hot_spots_for(user: Any) -> QuerySet[HotSpot]:
    q = _hot_spot_q(user)
    qs = HotSpot.objects.select_related("category", "department")
    return qs.none() if q is None else qs.filter(q)


def get_hot_spot_for_user(user: Any, pk: Any) -> HotSpot:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    hot_spot = hot_spots_for(user).filter(pk=key).first()
    if hot_spot is None:
        raise NotFound("hot_spot_not_found", _("热点诉求不存在或您无权查看。"))
    return hot_spot


def can_handle(user: Any, hot_spot: HotSpot) -> bool:
    return hot_spot.department is not None and staff_can(user, (HANDLE,), hot_spot.department)


# --------------------------------------------------------------------------- department writes


def _transition(user: Any, hot_spot: HotSpot, action: str, **changes: Any) -> HotSpot:
    source, target = TRANSITIONS[action]
    with transaction.atomic():
        current = (
            HotSpot.objects.select_for_update(of=("self",))  # department may be null
            .select_related("category", "department")
            .get(pk=hot_spot.pk)
        )
        if not can_handle(user, current):
            raise _refused()
        if current.status != source:
            raise Conflict("illegal_transition", _("热点诉求当前状态不允许此操作。"))
        before = current.status
        current.status = target
        for name, value in changes.items():
            setattr(current, name, value)
        current.save(update_fields=["status", "updated_at", *changes])
        _ledger(current, action, user, **{"from": before, "to": target})
    hot_spot.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return hot_spot


def accept(user: Any, hot_spot: HotSpot) -> HotSpot:
    """The department takes the hot spot on (open → accepted)."""
    return _transition(user, hot_spot, "accept")


def _refused() -> PermissionDenied:
    return PermissionDenied("hot_spot_action_not_allowed", _("您的岗位无权处置此热点诉求。"))


def resolve(user: Any, hot_spot: HotSpot, result: str) -> HotSpot:
    """The department reports what it did (accepted → done)."""
    if not can_handle(user, hot_spot):
        raise _refused()
    text = (result or "").strip() if isinstance(result, str) else ""
    if not text:
        raise ValidationFailed("result_required", _("请填写处置结果。"), field="result")
    if len(text) > MAX_RESULT_CHARS:
        raise ValidationFailed(
            "result_too_long",
            _("处置结果最多%(max)s个字。") % {"max": MAX_RESULT_CHARS},
            field="result",
        )
    return _transition(user, hot_spot, "resolve", result=text)


def history(hot_spot: HotSpot) -> list[dict[str, Any]]:
    """The hot spot's ledger entries (open, extend, accept, resolve), oldest first."""
    return [
        dict(entry)
        for entry in LedgerEntry.objects.filter(
            object_type="hotline.hotspot", object_id=str(hot_spot.pk)
        )
        .order_by("seq")
        .values("created_at", "actor", "action")
    ]
