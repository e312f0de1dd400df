"""The state machine of a 12345 ``Ticket`` (工单) as a transition table.

    accepted ──dispatch──▶ dispatched ──sign──▶ signed ──answer──▶ answered ──callback──▶ called_back
      │ ├─refer (不予受理, referral)──▶ not_accepted          │                       ├─close──▶ closed
      │ ├─answer_directly (咨询当场答复)──▶ closed            │                       └─reopen (重办)──▶ dispatched
      │ └─merge (重复件)──▶ merged                            │
    dispatched/signed ──return (退单)──▶ returned ──redispatch (改派) / insist (维持)──▶ dispatched
    signed ──request_extension (申请延期)──▶ signed ──approve_extension / decline_extension──▶ signed
    any open ──supervise (督办)──▶ (same)

``python -m yiwang.hotline.states`` prints the table. Services move a ticket only through
``check_transition``; anything else is ``Conflict`` (``illegal_transition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.errors import Conflict

ACCEPTED = "accepted"
DISPATCHED = "dispatched"
SIGNED = "signed"
RETURNED = "returned"
ANSWERED = "answered"
CALLED_BACK = "called_back"
CLOSED = "closed"
NOT_ACCEPTED = "not_accepted"
MERGED = "merged"

FINAL_STATUSES = frozenset({CLOSED, NOT_ACCEPTED, MERGED})
OPEN_STATUSES = frozenset({ACCEPTED, DISPATCHED, SIGNED, RETURNED, ANSWERED, CALLED_BACK})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (督办, 延期)
    label: Any


def _t(action: str, sources: tuple[str, ...], target: str | None, label: Any) -> Transition:
    return Transition(action, frozenset(sources), target, label)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("dispatch", (ACCEPTED,), DISPATCHED, gettext_lazy("派单")),
        _t("refer", (ACCEPTED,), NOT_ACCEPTED, gettext_lazy("不予受理并告知渠道")),
        _t("answer_directly", (ACCEPTED,), CLOSED, gettext_lazy("当场答复")),
        _t("merge", (ACCEPTED, DISPATCHED, SIGNED), MERGED, gettext_lazy("合并重复件")),
        _t("sign", (DISPATCHED,), SIGNED, gettext_lazy("签收")),
        _t("return", (DISPATCHED, SIGNED), RETURNED, gettext_lazy("退单")),
        _t("redispatch", (RETURNED,), DISPATCHED, gettext_lazy("改派")),
        _t("insist", (RETURNED,), DISPATCHED, gettext_lazy("维持原派单")),
        _t("request_extension", (SIGNED,), None, gettext_lazy("申请延期")),
        _t("approve_extension", (SIGNED,), None, gettext_lazy("批准延期")),
        _t("decline_extension", (SIGNED,), None, gettext_lazy("不予延期")),
        _t("supervise", (DISPATCHED, SIGNED, RETURNED, ANSWERED), None, gettext_lazy("督办")),
        _t("answer", (SIGNED,), ANSWERED, gettext_lazy("答复")),
        _t("callback", (ANSWERED,), CALLED_BACK, gettext_lazy("回访")),
        _t("close", (CALLED_BACK,), CLOSED, gettext_lazy("办结")),
        _t("reopen", (CALLED_BACK,), DISPATCHED, gettext_lazy("重办")),
    )
}


def check_transition(status: str, action: str) -> str:
    """The status after ``action`` from ``status`` (unchanged for 督办/延期); Conflict otherwise."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Conflict("unknown_action", _("未知的工单操作：%(action)s") % {"action": action})
    if status not in transition.sources:
        raise Conflict(
            "illegal_transition",
            _("工单当前状态不允许%(label)s。") % {"label": transition.label},
        )
    return transition.target or status


def table() -> str:
    lines = ["action           from                                   → to"]
    for t in TRANSITIONS.values():
        sources = ",".join(sorted(t.sources))
        lines.append(f"{t.action:<16} {sources:<38} → {t.target or '(same)'}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(table())
