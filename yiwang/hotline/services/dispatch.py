"""派单: the responsible department by the rules, the clocks, and the review of a 退单
(改派/维持)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department
from yiwang.core.calendar import WorkingCalendar
from yiwang.core.deadlines import Extension, TimeLimit, Unit, compute_deadline
from yiwang.core.errors import Conflict, NotFound, ValidationFailed
from yiwang.hotline import config_cache, states
from yiwang.hotline.models import (
    Category,
    Ticket,
)
from yiwang.hotline.services.base import (
    SIGN_LIMIT,
    URGENCY_LIMITS,
    _locked,
    _move,
    _sync,
    require_agent,
)

# --------------------------------------------------------------------------- dispatch


def responsible_department(category: Category, region_code: str) -> Department:
    """The department of the most specific active rule: the longest category prefix, then the
    longest region prefix."""
    code = category.code
    category_prefixes = {code[:end] for end in range(2, len(code) + 1, 2)}
    rules = [
        rule
        for rule in config_cache.active_rules.get()
        if rule.category_prefix in category_prefixes and region_code.startswith(rule.region_prefix)
    ]
    best = max(
        rules,
        key=lambda r: (len(r.category_prefix), len(r.region_prefix)),
        default=None,
    )
    if best is None:
        raise NotFound(
            "no_dispatch_rule",
            _("没有适用的派单规则，请人工指定承办单位。"),
        )
    return best.department


def handling_limit(ticket: Ticket) -> TimeLimit:
    override = URGENCY_LIMITS.get(ticket.urgency)
    if override is not None:
        return override
    category = ticket.category
    if category is None or not category.limit_amount or not category.limit_unit:
        return TimeLimit.working_days(5)
    return TimeLimit(category.limit_amount, Unit(category.limit_unit))


def handling_due(ticket: Ticket, *, calendar: WorkingCalendar | None = None) -> dt.datetime | None:
    """The 办理 deadline from dispatch, with the extensions granted (working days)."""
    assert ticket.dispatched_at is not None
    limit = handling_limit(ticket)
    if limit.unit == Unit.WORKING_DAYS:
        extensions = [Extension(ticket.extended_amount)] if ticket.extended_amount else []
        return compute_deadline(
            ticket.dispatched_at, limit, extensions=extensions, calendar=calendar
        ).due_at
    due = compute_deadline(ticket.dispatched_at, limit, calendar=calendar).due_at
    if ticket.extended_amount and due is not None:
        due = compute_deadline(
            due, TimeLimit.working_days(ticket.extended_amount), calendar=calendar
        ).due_at
    return due


def _start_clocks(
    ticket: Ticket,
    department: Department,
    at: dt.datetime,
    *,
    calendar: WorkingCalendar | None = None,
) -> None:
    """Dispatch's fields: the department and the sign and handling clocks from ``at`` (with
    ``calendar`` when the caller read it already; each clock reads it otherwise)."""
    ticket.department = department
    if ticket.first_department_id is None:
        ticket.first_department = department
    ticket.dispatched_at = at
    ticket.signed_at = None
    ticket.sign_due_at = compute_deadline(at, SIGN_LIMIT, calendar=calendar).due_at
    ticket.due_at = handling_due(ticket, calendar=calendar)
    ticket.extension_requested = 0  # a pending 延期 request does not survive a new dispatch
    ticket.extension_reason = ""


CLOCK_FIELDS = (
    "department",
    "first_department",
    "dispatched_at",
    "signed_at",
    "sign_due_at",
    "extension_requested",
    "extension_reason",
)


def dispatch(agent: Any, ticket: Ticket, department: Department | None = None) -> Ticket:
    """派单 by the rules, or to ``department`` (an agent's override)."""
    require_agent(agent)
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, "dispatch")
        if current.category is None:
            raise Conflict("category_required", _("请先确认诉求分类再派单。"))
        ruled: Department | None = None
        try:
            ruled = responsible_department(current.category, current.region_code)
        except NotFound:
            if department is None:
                raise
        target = department or ruled
        assert target is not None
        if not target.is_active:
            raise Conflict("department_inactive", _("该承办单位已停用。"))
        now = timezone.now()
        _start_clocks(current, target, now)
        override = department is not None and (ruled is None or ruled.pk != department.pk)
        _move(
            current,
            "dispatch",
            agent,
            data={
                "department_id": target.pk,
                "override": override,
                "rule_department_id": ruled.pk if ruled else None,
            },
            at=now,
            update_fields=(*CLOCK_FIELDS, "due_at"),
        )
    return _sync(ticket, current)


# --------------------------------------------------------------------------- hotline side


def review_return(
    agent: Any,
    ticket: Ticket,
    decision: str = "redispatch",
    department: Department | None = None,
) -> Ticket:
    """The hotline reviews a 退单: 改派 to another department (``department`` or the rules'), or
    维持 (insist) the original department. Either way the clocks start again; 首接 stays."""
    require_agent(agent)
    if decision not in ("redispatch", "insist"):
        raise ValidationFailed("unknown_decision", _("审核结论无效。"), field="decision")
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, decision)
        previous = current.department
        if decision == "insist":
            target = previous
        else:
            target = department
            if target is None:
                assert current.category is not None
                target = responsible_department(current.category, current.region_code)
            if previous is not None and target.pk == previous.pk:
                raise Conflict("same_department", _("改派须指定其他承办单位。"))
        assert target is not None
        now = timezone.now()
        _start_clocks(current, target, now)
        _move(
            current,
            decision,
            agent,
            data={
                "decision": decision,
                "department_id": target.pk,
                "previous_department_id": previous.pk if previous else None,
            },
            at=now,
            update_fields=(*CLOCK_FIELDS, "due_at"),
        )
    return _sync(ticket, current)
