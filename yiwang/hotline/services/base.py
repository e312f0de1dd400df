"""Shared parts of the ticket services: capabilities and limits, who may act, the event
record (TicketEvent + ledger) and the small helpers every use case needs."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import User, region_code_prefix
from yiwang.accounts.selectors import active_staff_roles
from yiwang.cases.services.base import staff_can
from yiwang.cases.shared import actor_of
from yiwang.core.deadlines import TimeLimit
from yiwang.core.errors import PermissionDenied, ValidationFailed
from yiwang.core.ledger import record_event
from yiwang.hotline import states
from yiwang.hotline.models import (
    Ticket,
    TicketEvent,
    Urgency,
)

# Capabilities (Role.capabilities).

INTAKE = "hotline.intake"
DISPATCH = "hotline.dispatch"
HANDLE = "hotline.handle"
AGENT_CAPABILITIES = (INTAKE, DISPATCH)

# Limits (RULES.md 12345, configurable here).
SIGN_LIMIT = TimeLimit.working_days(1)  # 签收 after dispatch
RETURN_LIMIT = TimeLimit.working_days(2)  # 退单 after dispatch
EXTENSION_LIMIT = 10  # 延期, working days in all
URGENCY_LIMITS: dict[str, TimeLimit] = {
    Urgency.EMERGENCY: TimeLimit.hours(2),
    Urgency.URGENT: TimeLimit.hours(24),
}
MAX_CONTENT_CHARS = 10_000
SATISFACTION_RANGE = range(1, 6)
REOPEN_SATISFACTION = 2  # 重办 when the caller rates at most this (or says it is unresolved)

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


# --------------------------------------------------------------------------- permissions


def is_agent(user: Any) -> bool:
    for sr in active_staff_roles(user):
        if not sr.role.admin_duty and set(sr.role.capabilities or []) & set(AGENT_CAPABILITIES):
            return True
    return False


def _refuse() -> PermissionDenied:
    return PermissionDenied("ticket_action_not_allowed", _("您的岗位无权办理此工单。"))


def require_agent(user: Any) -> None:
    if not is_agent(user):
        raise _refuse()


def agent_region_prefixes(user: Any) -> list[str]:
    """The region code prefixes of the centres where ``user`` is a hotline agent (none for
    anyone else): an agent takes in and sees the demands located there."""
    prefixes: set[str] = set()
    for sr in active_staff_roles(user):
        if sr.role.admin_duty:
            continue
        if set(sr.role.capabilities or []).intersection(AGENT_CAPABILITIES):
            prefixes.add(region_code_prefix(sr.department.region.code))
    return sorted(prefixes)


def require_agent_regions(user: Any) -> list[str]:
    """``require_agent`` that also returns the agent's region prefixes (one query)."""
    prefixes = agent_region_prefixes(user)
    if not prefixes:
        raise _refuse()
    return prefixes


def require_handler(user: Any, ticket: Ticket) -> None:
    if not staff_can(user, (HANDLE,), ticket.department):
        raise _refuse()


# --------------------------------------------------------------------------- events


def _record(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    from_status: str,
    to_status: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if isinstance(actor, User) else None,
        department=ticket.department,
        at=at or timezone.now(),
        reason=reason,
        data=data or {},
    )
    payload: dict[str, Any] = {"number": ticket.number, "from": from_status, "to": to_status}
    payload.update({k: v for k, v in (data or {}).items() if k in LEDGER_DATA_KEYS})
    if reason:
        payload["reason_given"] = True
    record_event(
        actor=actor_of(actor),
        action=f"hotline.ticket.{action}",
        object_type="hotline.ticket",
        object_id=str(ticket.pk),
        payload=payload,
    )
    return event


LEDGER_DATA_KEYS = frozenset(
    {"category", "department_id", "override", "amount", "resolved", "satisfaction", "decision"}
)


def _move(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    update_fields: tuple[str, ...] = (),
) -> TicketEvent:
    before = ticket.status
    after = states.check_transition(before, action)
    ticket.status = after
    ticket.save(update_fields=["status", "updated_at", *update_fields])
    return _record(
        ticket, action, actor, from_status=before, to_status=after, reason=reason, data=data, at=at
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _sync(target: Ticket, source: Ticket) -> Ticket:
    """Carry the saved state of the locked copy back to the caller's instance."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})
    target._state.fields_cache = dict(source._state.fields_cache)
    return target


def _required_text(value: Any, field: str, code: str = "reason_required") -> str:
    text = clean_content(value) if isinstance(value, str) else ""
    if not text:
        message = _("请填写理由。") if code == "reason_required" else _("请填写内容。")
        raise ValidationFailed(code, message, field=field)
    return text


# --------------------------------------------------------------------------- text


def clean_content(value: str) -> str:
    """The text without HTML (script/style bodies dropped, entities decoded), trimmed."""
    text = _SCRIPT.sub(" ", value)
    text = _TAG.sub(" ", text)
    text = html.unescape(text).replace("\x00", "")
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()
