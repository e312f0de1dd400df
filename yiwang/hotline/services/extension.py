"""延期 with approval: the handling department asks for more working days with a reason; the
hotline grants or declines (RULES.md 12345: 延期 ≤ 10 working days in all, approved).

While a request is pending the ticket keeps its deadline; one request at a time. A granted
extension moves the 办理 deadline (``dispatch.handling_due``); an answer, a 退单 or a 重办 makes a
pending request moot (the next decision is refused as an illegal transition or finds nothing
pending).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, ValidationFailed
from yiwang.hotline import states
from yiwang.hotline.models import Ticket
from yiwang.hotline.services.base import (
    EXTENSION_LIMIT,
    _locked,
    _move,
    _required_text,
    _sync,
    require_agent,
    require_handler,
)
from yiwang.hotline.services.dispatch import handling_due


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed("invalid_amount", _("延期天数应为正整数。"), field="amount")
    return value


def _within_limit(ticket: Ticket, amount: int) -> None:
    if ticket.extended_amount + amount > EXTENSION_LIMIT:
        raise Conflict(
            "extension_too_long",
            _("延期累计不得超过%(max)s个工作日（已延期%(used)s个工作日）。")
            % {"max": EXTENSION_LIMIT, "used": ticket.extended_amount},
        )


def request_extension(user: Any, ticket: Ticket, amount: int, reason: str) -> Ticket:
    """申请延期 by ``amount`` working days, for the hotline to decide."""
    reason = _required_text(reason, "reason")
    amount = _amount(amount)
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        if current.extension_requested:
            raise Conflict("extension_pending", _("已有延期申请待热线审核，请勿重复申请。"))
        _within_limit(current, amount)
        current.extension_requested = amount
        current.extension_reason = reason
        _move(
            current,
            "request_extension",
            user,
            reason=reason,
            data={"amount": amount},
            update_fields=("extension_requested", "extension_reason"),
        )
    return _sync(ticket, current)


def decide_extension(agent: Any, ticket: Ticket, *, approve: bool, note: str = "") -> Ticket:
    """批准 (the deadline moves by the amount asked) or 不予延期 (a note is required)."""
    require_agent(agent)
    if not isinstance(approve, bool):
        raise ValidationFailed("invalid_decision", _("请选择是否批准延期。"), field="approve")
    note = _required_text(note, "note") if not approve else (note or "").strip()
    with transaction.atomic():
        current = _locked(ticket)
        action = "approve_extension" if approve else "decline_extension"
        states.check_transition(current.status, action)
        amount = current.extension_requested
        if not amount:
            raise Conflict("no_extension_pending", _("该工单没有待审核的延期申请。"))
        fields: tuple[str, ...] = ("extension_requested", "extension_reason")
        if approve:
            _within_limit(current, amount)
            current.extended_amount += amount
            current.due_at = handling_due(current)
            fields = (*fields, "extended_amount", "due_at")
        current.extension_requested = 0
        current.extension_reason = ""
        _move(
            current,
            action,
            agent,
            reason=note,
            data={
                "amount": amount,
                "due_at": current.due_at.isoformat() if current.due_at else None,
            },
            update_fields=fields,
        )
    return _sync(ticket, current)
