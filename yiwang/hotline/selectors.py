"""Reads of tickets, permission-checked: a ticket the user may not see is ``ticket_not_found``
(404), never someone else's data.

Who sees what:

- hotline agents (``hotline.intake``/``hotline.dispatch``): every ticket located in the region of
  their centre (the city's centre serves the whole city);
- a handling department (``hotline.handle``): the tickets currently with a department its role
  scope covers;
- the caller: his own tickets (``Ticket.caller`` is his person).

The caller's phone number is masked (``138****5678``) for everyone but the caller himself;
``reveal_caller_phone`` shows it in full to an agent or the handling department for a stated
purpose and records the reading (``personal_data.read``) for the caller to see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.selectors import scope_q
from yiwang.accounts.services.audit import audit
from yiwang.core.deadlines import WarningLevel, yellow_ratio
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.core.identifiers import validate_contact_phone
from yiwang.core.masking import Audience, mask_phone
from yiwang.hotline.models import Ticket, TicketEvent, TicketStatus
from yiwang.hotline.services.base import HANDLE, agent_region_prefixes

PERSONAL_DATA_READ = "personal_data.read"
MAX_PURPOSE_CHARS = 200


def _base() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("category", "department", "first_department")


def _agent_q(user: Any) -> Q | None:
    prefixes = agent_region_prefixes(user)
    if not prefixes:
        return None
    q = Q(region_code__startswith=prefixes[0])
    for prefix in prefixes[1:]:
        q |= Q(region_code__startswith=prefix)
    return q


def tickets_for_agent(user: Any) -> QuerySet[Ticket]:
    """Every ticket of the agent's centre; nothing for anyone else."""
    q = _agent_q(user)
    return _base().none() if q is None else _base().filter(q)


def tickets_for_department(user: Any) -> QuerySet[Ticket]:
    """The tickets now with a department the user handles 12345 tickets for."""
    q = scope_q(user, "department", capabilities=(HANDLE,))
    return _base().none() if q is None else _base().filter(q)


def tickets_of_caller(user: Any) -> QuerySet[Ticket]:
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is None:
        return _base().none()
    return _base().filter(caller=person)


def visible_tickets(user: Any) -> QuerySet[Ticket]:
    """Union of the three views above (the ticket page of any audience)."""
    if not getattr(user, "is_authenticated", False):
        return _base().none()
    parts = [
        q
        for q in (
            _agent_q(user),
            scope_q(user, "department", capabilities=(HANDLE,)),
        )
        if q is not None
    ]
    person = getattr(user, "person", None)
    if person is not None:
        parts.append(Q(caller=person))
    if not parts:
        return _base().none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return _base().filter(q)


def get_ticket_for_user(user: Any, number: str) -> Ticket:
    ticket = visible_tickets(user).filter(number=str(number)[:32]).first()
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    return ticket


def audience_for(user: Any, ticket: Ticket) -> Audience:
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is not None and ticket.caller_id == person.pk:
        return Audience.OWNER
    return Audience.STAFF


def masked_caller_phone(user: Any, ticket: Ticket) -> str:
    return (
        mask_phone(ticket.caller_phone, audience_for(user, ticket)) if ticket.caller_phone else ""
    )


def timeline(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor", "department").order_by("at", "id")


def caller_history(user: Any, phone: str, *, limit: int = 20) -> list[Ticket]:
    """来电人历史: the agent's earlier tickets from the same number (newest first)."""
    number = validate_contact_phone(phone, field="phone")
    return list(tickets_for_agent(user).filter(caller_phone=number)[:limit])


def reveal_caller_phone(user: Any, ticket: Ticket, purpose: str) -> str:
    """The full number for an agent (回访) or the handling department (联系来电人), recorded for
    the caller. ``ticket`` must come from ``get_ticket_for_user`` for ``user``."""
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > MAX_PURPOSE_CHARS:
        raise ValidationFailed(
            "purpose_required",
            _("请填写查看完整号码的事由（不超过%(max)s个字）。") % {"max": MAX_PURPOSE_CHARS},
            field="purpose",
        )
    allowed = (
        tickets_for_agent(user).filter(pk=ticket.pk).exists()
        or tickets_for_department(user).filter(pk=ticket.pk).exists()
    )
    if not allowed:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    audit(
        user,
        PERSONAL_DATA_READ,
        ticket,
        {
            "subject_person_id": ticket.caller_id,
            "field": "caller_phone",
            "purpose": purpose,
            "ticket": ticket.number,
        },
    )
    return ticket.caller_phone


def clock_warning(
    start: dt.datetime | None, due: dt.datetime | None, now: dt.datetime | None = None
) -> WarningLevel:
    """红 once ``due`` has passed, 黄 once the share of the time used reaches the deployment's
    yellow ratio (RULES.md: 2/3), measured on the wall clock between ``start`` and ``due``."""
    if start is None or due is None:
        return WarningLevel.NONE
    now = now or timezone.now()
    if now > due:
        return WarningLevel.RED
    allowed = (due - start).total_seconds()
    used = (now - start).total_seconds()
    if allowed > 0 and used >= float(yellow_ratio()) * allowed:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


OPEN_FOR_DEPARTMENT = (TicketStatus.DISPATCHED, TicketStatus.SIGNED)


def ticket_warning(ticket: Ticket, now: dt.datetime | None = None) -> WarningLevel:
    """The ticket's worst clock while the department holds it: the 签收 clock until signed, and
    the 办理 clock until answered."""
    if ticket.status not in OPEN_FOR_DEPARTMENT:
        return WarningLevel.NONE
    levels = [clock_warning(ticket.dispatched_at, ticket.due_at, now)]
    if ticket.status == TicketStatus.DISPATCHED:
        levels.append(clock_warning(ticket.dispatched_at, ticket.sign_due_at, now))
    order = [WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.RED]
    return max(levels, key=order.index)
