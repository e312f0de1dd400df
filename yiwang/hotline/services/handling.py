"""The handling department: 签收, 退单, 延期 and 答复."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.deadlines import compute_deadline
from yiwang.core.errors import Conflict
from yiwang.hotline import states
from yiwang.hotline.models import (
    Ticket,
)
from yiwang.hotline.services.base import (
    RETURN_LIMIT,
    _locked,
    _move,
    _required_text,
    _sync,
    require_handler,
)

# --------------------------------------------------------------------------- department side


def sign(user: Any, ticket: Ticket) -> Ticket:
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        now = timezone.now()
        current.signed_at = now
        late = current.sign_due_at is not None and now > current.sign_due_at
        _move(current, "sign", user, data={"late": late}, at=now, update_fields=("signed_at",))
    return _sync(ticket, current)


def return_ticket(user: Any, ticket: Ticket, reason: str) -> Ticket:
    """退单: the department says the ticket is not its own, within ``RETURN_LIMIT``."""
    reason = _required_text(reason, "reason")
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        states.check_transition(current.status, "return")
        now = timezone.now()
        assert current.dispatched_at is not None
        limit_at = compute_deadline(current.dispatched_at, RETURN_LIMIT).due_at
        if limit_at is not None and now > limit_at:
            raise Conflict(
                "return_too_late",
                _("已超过退单时限（派单后%(days)s个工作日），请继续办理。")
                % {"days": RETURN_LIMIT.amount},
            )
        current.return_count += 1
        _move(current, "return", user, reason=reason, at=now, update_fields=("return_count",))
    return _sync(ticket, current)


def answer(user: Any, ticket: Ticket, text: str) -> Ticket:
    text = _required_text(text, "text", "answer_required")
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        now = timezone.now()
        current.answer = text
        current.answered_at = now
        _move(
            current,
            "answer",
            user,
            data={"overdue": current.due_at is not None and now > current.due_at},
            at=now,
            update_fields=("answer", "answered_at"),
        )
        from yiwang.hotline.duplicates import follow  # 一次办理，答复全部 (merged tickets)

        follow(current, user, "answer")
    return _sync(ticket, current)
