"""The state machine of a ``Case`` as a transition table (see the docstring of cases/models.py).

``TRANSITIONS`` maps an action to the statuses it may start from and the status it leads to.
Services move a case only through ``check_transition``; anything else is ``Conflict``
(``illegal_transition``). ``python -m yiwang.cases.states`` prints the table (docs/cases.md holds a
copy and the Mermaid diagram).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.errors import Conflict

SUBMITTED = "submitted"
CORRECTION = "correction"
FORWARDED = "forwarded"
NOT_ACCEPTED = "not_accepted"
IN_REVIEW = "in_review"
APPROVED = "approved"
DENIED = "denied"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"

FINAL_STATUSES = frozenset({NOT_ACCEPTED, DENIED, COMPLETED, WITHDRAWN})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: Any  # Chinese name of the action, lazily translated (the table and the timeline)


def _t(action: str, sources: tuple[str, ...], target: str, label: Any) -> Transition:
    return Transition(action, frozenset(sources), target, label)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("accept", (SUBMITTED,), IN_REVIEW, gettext_lazy("受理")),
        _t("accept_with_deficiency", (SUBMITTED,), IN_REVIEW, gettext_lazy("容缺受理")),
        _t("accept_with_commitment", (SUBMITTED,), IN_REVIEW, gettext_lazy("告知承诺受理")),
        _t("reject", (SUBMITTED,), NOT_ACCEPTED, gettext_lazy("不予受理")),
        _t(
            "request_correction", (SUBMITTED, IN_REVIEW), CORRECTION, gettext_lazy("一次性告知补正")
        ),
        _t("resubmit", (CORRECTION,), SUBMITTED, gettext_lazy("补正后重新提交")),
        _t("resubmit_in_review", (CORRECTION,), IN_REVIEW, gettext_lazy("补正后恢复审查")),
        _t("forward", (SUBMITTED,), FORWARDED, gettext_lazy("异地代收转递")),
        _t("receive", (FORWARDED,), SUBMITTED, gettext_lazy("接收转递件")),
        _t("suspend", (IN_REVIEW,), IN_REVIEW, gettext_lazy("挂起")),
        _t("resume", (IN_REVIEW,), IN_REVIEW, gettext_lazy("恢复计时")),
        _t("extend", (IN_REVIEW,), IN_REVIEW, gettext_lazy("延期")),
        _t("review", (IN_REVIEW,), IN_REVIEW, gettext_lazy("审查意见")),
        _t("approve", (IN_REVIEW,), APPROVED, gettext_lazy("准予许可")),
        _t("deny", (IN_REVIEW,), DENIED, gettext_lazy("不予许可")),
        _t("deliver", (APPROVED,), COMPLETED, gettext_lazy("送达办结")),
        _t("withdraw", (SUBMITTED, CORRECTION, FORWARDED), WITHDRAWN, gettext_lazy("撤回")),
        # Bundle parents (一件事): follow their members.
        _t("bundle_in_review", (SUBMITTED,), IN_REVIEW, gettext_lazy("一件事进入审查")),
        _t("bundle_complete", (SUBMITTED, IN_REVIEW), COMPLETED, gettext_lazy("一件事全部办结")),
    )
}


def check_transition(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; ``Conflict`` when it is not allowed."""
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        raise Conflict(
            "illegal_transition",
            _("办件当前状态不允许此操作。"),
            details={"status": status, "action": action},
        )
    return transition.target


def allowed_actions(status: str) -> list[str]:
    return [a for a, t in TRANSITIONS.items() if status in t.sources]


def transition_table() -> str:
    """The table as text (one row per action)."""
    rows = [("action", "from", "to", "名称")]
    for t in TRANSITIONS.values():
        rows.append((t.action, " | ".join(sorted(t.sources)), t.target, t.label))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(transition_table())
