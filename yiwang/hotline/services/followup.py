"""The hotline after the answer: 督办, 回访, 办结, 重办, and 当场答复 of a consultation."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, ValidationFailed
from yiwang.hotline import states
from yiwang.hotline.models import (
    Ticket,
    TicketType,
)
from yiwang.hotline.services.base import (
    REOPEN_SATISFACTION,
    SATISFACTION_RANGE,
    _locked,
    _move,
    _required_text,
    _sync,
    require_agent,
)
from yiwang.hotline.services.dispatch import CLOCK_FIELDS, _start_clocks


def supervise(agent: Any, ticket: Ticket, note: str) -> Ticket:
    require_agent(agent)
    note = _required_text(note, "note", "note_required")
    with transaction.atomic():
        current = _locked(ticket)
        current.supervised = True
        _move(current, "supervise", agent, reason=note, update_fields=("supervised",))
    return _sync(ticket, current)


def callback(agent: Any, ticket: Ticket, *, resolved: bool, satisfaction: int) -> Ticket:
    """回访: the caller says whether the matter is resolved and rates the handling 1–5."""
    require_agent(agent)
    if not isinstance(resolved, bool):
        raise ValidationFailed("invalid_resolved", _("请选择是否已解决。"), field="resolved")
    if (
        isinstance(satisfaction, bool)
        or not isinstance(satisfaction, int)
        or satisfaction not in SATISFACTION_RANGE
    ):
        raise ValidationFailed(
            "invalid_satisfaction", _("满意度应为1至5分。"), field="satisfaction"
        )
    with transaction.atomic():
        current = _locked(ticket)
        current.resolved = resolved
        current.satisfaction = satisfaction
        _move(
            current,
            "callback",
            agent,
            data={"resolved": resolved, "satisfaction": satisfaction},
            update_fields=("resolved", "satisfaction"),
        )
    return _sync(ticket, current)


def close(agent: Any, ticket: Ticket) -> Ticket:
    require_agent(agent)
    with transaction.atomic():
        current = _locked(ticket)
        now = timezone.now()
        current.closed_at = now
        _move(current, "close", agent, at=now, update_fields=("closed_at",))
        from yiwang.hotline.duplicates import follow  # merged tickets close with their primary

        follow(current, agent, "close")
    return _sync(ticket, current)


def needs_reopen(ticket: Ticket) -> bool:
    return ticket.resolved is False or (
        ticket.satisfaction is not None and ticket.satisfaction <= REOPEN_SATISFACTION
    )


def reopen(agent: Any, ticket: Ticket, reason: str) -> Ticket:
    """重办: back to the same department with fresh clocks, when the caller was not helped."""
    require_agent(agent)
    reason = _required_text(reason, "reason")
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, "reopen")
        if not needs_reopen(current):
            raise Conflict("reopen_not_needed", _("来电人已表示解决且满意，无需重办。"))
        assert current.department is not None
        now = timezone.now()
        data = {
            "resolved": current.resolved,
            "satisfaction": current.satisfaction,
            "previous_answer": current.answer,
        }
        current.reopen_count += 1
        current.answer = ""
        current.answered_at = None
        current.resolved = None
        current.satisfaction = None
        current.extended_amount = 0
        _start_clocks(current, current.department, now)
        _move(
            current,
            "reopen",
            agent,
            reason=reason,
            data=data,
            at=now,
            update_fields=(
                *CLOCK_FIELDS,
                "due_at",
                "reopen_count",
                "answer",
                "answered_at",
                "resolved",
                "satisfaction",
                "extended_amount",
            ),
        )
    return _sync(ticket, current)


def answer_directly(agent: Any, ticket: Ticket, text: str) -> Ticket:
    """当场答复 a 咨询 (consultation) and close it without dispatch."""
    require_agent(agent)
    text = _required_text(text, "text", "answer_required")
    with transaction.atomic():
        current = _locked(ticket)
        if current.type != TicketType.CONSULT:
            raise Conflict("not_a_consultation", _("只有咨询类诉求可以当场答复。"))
        now = timezone.now()
        current.answer = text
        current.answered_at = now
        current.closed_at = now
        _move(
            current,
            "answer_directly",
            agent,
            at=now,
            update_fields=("answer", "answered_at", "closed_at"),
        )
    return _sync(ticket, current)
