"""12345 ticket services: intake (受理), classification confirmation, dispatch (派单), 签收, 退单 and
its review (改派/维持), 延期, 督办, 答复, 回访, 办结, 重办 and 当场答复.

Every write is one transaction that moves the ticket through ``states.check_transition``, records
a ``TicketEvent`` and a ledger entry. Who may act:

- hotline agents: a business role with ``hotline.intake`` or ``hotline.dispatch`` (any department;
  the hotline centre serves the whole city);
- the handling department: a role with ``hotline.handle`` whose scope covers the ticket's
  department (``staff_can``).

Clocks (RULES.md 12345): 签收 within ``SIGN_LIMIT`` of dispatch; 办理 within the category's limit
(hours on the wall clock or working days), overridden by the urgency (特急 2 h, 紧急 24 h); 退单 only
within ``RETURN_LIMIT`` of dispatch; 延期 at most ``EXTENSION_LIMIT`` in all.

One use case per module (base, intake, dispatch, handling, followup); this package re-exports
them so that callers write ``services.dispatch(...)``.
"""

from yiwang.hotline.services.base import (
    AGENT_CAPABILITIES,
    DISPATCH,
    EXTENSION_LIMIT,
    HANDLE,
    INTAKE,
    MAX_CONTENT_CHARS,
    REOPEN_SATISFACTION,
    RETURN_LIMIT,
    SATISFACTION_RANGE,
    SIGN_LIMIT,
    URGENCY_LIMITS,
    clean_content,
    is_agent,
    require_agent,
    require_handler,
)
from yiwang.hotline.services.dispatch import (
    dispatch,
    handling_due,
    handling_limit,
    responsible_department,
    review_return,
)
from yiwang.hotline.services.extension import decide_extension, request_extension
from yiwang.hotline.services.followup import (
    answer_directly,
    callback,
    close,
    needs_reopen,
    reopen,
    supervise,
)
from yiwang.hotline.services.handling import answer, return_ticket, sign
from yiwang.hotline.services.intake import (
    confirm_category,
    intake,
    leaf_category,
    suggestions_for,
)
from yiwang.hotline.services.pipeline import (
    TakeInOutcome,
    auto_confidence,
    outcome_of,
    take_in,
)

# 延期 is asked by the department and decided by the hotline (services.extension).
extend = request_extension

__all__ = [
    "AGENT_CAPABILITIES",
    "DISPATCH",
    "EXTENSION_LIMIT",
    "HANDLE",
    "INTAKE",
    "MAX_CONTENT_CHARS",
    "REOPEN_SATISFACTION",
    "RETURN_LIMIT",
    "SATISFACTION_RANGE",
    "SIGN_LIMIT",
    "URGENCY_LIMITS",
    "TakeInOutcome",
    "answer",
    "answer_directly",
    "auto_confidence",
    "callback",
    "clean_content",
    "close",
    "confirm_category",
    "decide_extension",
    "dispatch",
    "extend",
    "handling_due",
    "handling_limit",
    "intake",
    "is_agent",
    "leaf_category",
    "needs_reopen",
    "outcome_of",
    "reopen",
    "request_extension",
    "require_agent",
    "require_handler",
    "responsible_department",
    "return_ticket",
    "review_return",
    "sign",
    "suggestions_for",
    "supervise",
    "take_in",
]
