"""三率 of the 12345 hotline per department or per district, for a period ``[start, end)``.

The tickets counted are those accepted (受理) in the period, merged duplicates and 不予受理 left
out (a merged ticket is answered with its primary; it is not the department's own work):

- 响应率 (response rate) = signed on time / dispatched. "Dispatched" counts the tickets whose sign
  clock is over: signed, or past ``sign_due_at`` unsigned; a ticket still inside its sign clock is
  not counted yet. On time: ``signed_at <= sign_due_at``.
- 解决率 (resolution rate) = resolved / called back: of the callers reached at 回访, those who say
  the matter is resolved.
- 满意率 (satisfaction rate) = satisfied / called back: callers who rate ``SATISFIED_AT`` (4,
  满意) or better on the five-level scale.

Each rate is a fraction 0..1, or None when its denominator is 0; the counts come alongside. One
aggregate query per grouping (``Count`` with ``filter``), never one per ticket.

Who may read (``rates_scope``): hotline agents (the tickets of their centre's region), leaders
(``insight.view``; a region-scoped role sees the tickets located in its region, another scope
those of the departments it covers), and a department's 12345 handlers (their own department's
tickets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from yiwang.accounts.models import Department, Region, Role, region_code_prefix
from yiwang.accounts.selectors import active_staff_roles, scope_q
from yiwang.hotline import states
from yiwang.hotline.models import Ticket
from yiwang.hotline.selectors import agent_region_prefixes
from yiwang.hotline.services.base import HANDLE

INSIGHT_VIEW = "insight.view"
SATISFIED_AT = 4  # 满意 (4) and 非常满意 (5) count as satisfied; RULES.md 好差评 five levels
DISTRICT_DIGITS = 6
BY_DEPARTMENT = "department"
BY_DISTRICT = "district"
GROUPINGS = (BY_DEPARTMENT, BY_DISTRICT)


@dataclass(frozen=True)
class Rates:
    key: Any  # department id, or the 6-digit district prefix; None for the total
    name: str
    accepted: int
    dispatched: int
    signed_on_time: int
    called_back: int
    resolved: int
    satisfied: int

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._ratio(self.signed_on_time, self.dispatched)

    @property
    def resolution_rate(self) -> float | None:
        return self._ratio(self.resolved, self.called_back)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.satisfied, self.called_back)


# --------------------------------------------------------------------------- scope


def rates_scope(user: Any) -> Q | None:
    """The tickets ``user`` may count, or None when he may not read the 三率."""
    parts: list[Q] = [Q(region_code__startswith=p) for p in agent_region_prefixes(user)]
    for sr in active_staff_roles(user):
        if sr.role.admin_duty or INSIGHT_VIEW not in (sr.role.capabilities or []):
            continue
        if sr.role.scope == Role.Scope.REGION_SUBTREE:
            parts.append(Q(region_code__startswith=region_code_prefix(sr.department.region.code)))
        elif sr.role.scope == Role.Scope.DEPARTMENT_SUBTREE:
            parts.append(Q(department__path__startswith=sr.department.path))
        else:
            parts.append(Q(department_id=sr.department_id))
    handled = scope_q(user, "department", capabilities=(HANDLE,))
    if handled is not None:
        parts.append(handled)
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def can_view(user: Any) -> bool:
    return rates_scope(user) is not None


# --------------------------------------------------------------------------- computation


def _aggregates(now: dt.datetime) -> dict[str, Count]:
    sign_over = Q(signed_at__isnull=False) | Q(sign_due_at__lt=now)
    called_back = Q(resolved__isnull=False, satisfaction__isnull=False)
    return {
        "n_accepted": Count("id"),
        "n_dispatched": Count("id", filter=Q(dispatched_at__isnull=False) & sign_over),
        "n_signed_on_time": Count(
            "id",
            filter=Q(
                dispatched_at__isnull=False,
                signed_at__isnull=False,
                signed_at__lte=F("sign_due_at"),
            ),
        ),
        "n_called_back": Count("id", filter=called_back),
        "n_resolved": Count("id", filter=called_back & Q(resolved=True)),
        "n_satisfied": Count("id", filter=called_back & Q(satisfaction__gte=SATISFIED_AT)),
    }


def counted_tickets(
    start: dt.datetime, end: dt.datetime, scope: Q | None = None
) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(accepted_at__gte=start, accepted_at__lt=end).exclude(
        status__in=(states.MERGED, states.NOT_ACCEPTED)
    )
    return qs if scope is None else qs.filter(scope)


def _row(key: Any, name: str, values: dict[str, Any]) -> Rates:
    return Rates(
        key=key,
        name=name,
        accepted=values["n_accepted"],
        dispatched=values["n_dispatched"],
        signed_on_time=values["n_signed_on_time"],
        called_back=values["n_called_back"],
        resolved=values["n_resolved"],
        satisfied=values["n_satisfied"],
    )


def rates(
    start: dt.datetime,
    end: dt.datetime,
    *,
    by: str = BY_DEPARTMENT,
    scope: Q | None = None,
    now: dt.datetime | None = None,
) -> list[Rates]:
    """三率 per department (tickets with a department) or per district, best response first;
    ``scope`` narrows the tickets (``rates_scope(user)``). One query, plus one for the names."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    now = now or timezone.now()
    qs = counted_tickets(start, end, scope)
    result: list[Rates]
    if by == BY_DEPARTMENT:
        rows: list[dict[str, Any]] = [
            dict(r)
            for r in qs.filter(department__isnull=False)
            .values("department_id")
            .annotate(**_aggregates(now))
            .order_by("department_id")
        ]
        departments: dict[int, str] = dict(
            Department.objects.filter(pk__in=[r["department_id"] for r in rows]).values_list(
                "pk", "name"
            )
        )
        result = [
            _row(r["department_id"], departments.get(r["department_id"], ""), r) for r in rows
        ]
    else:
        rows = [
            dict(r)
            for r in qs.annotate(district=Substr("region_code", 1, DISTRICT_DIGITS))
            .values("district")
            .annotate(**_aggregates(now))
            .order_by("district")
        ]
        codes = [str(r["district"]).ljust(12, "0") for r in rows]
        regions: dict[str, str] = dict(
            Region.objects.filter(code__in=codes, valid_to__isnull=True).values_list("code", "name")
        )
        result = [
            _row(r["district"], regions.get(str(r["district"]).ljust(12, "0"), r["district"]), r)
            for r in rows
        ]
    return sorted(result, key=lambda r: (-(r.response_rate or 0), -r.accepted, str(r.key)))


def total(
    start: dt.datetime, end: dt.datetime, *, scope: Q | None = None, now: dt.datetime | None = None
) -> Rates:
    """The same counts over every ticket in scope (one query)."""
    values = counted_tickets(start, end, scope).aggregate(**_aggregates(now or timezone.now()))
    return _row(None, "", values)
