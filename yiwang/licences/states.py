"""The state machine of a ``Licence`` as a transition table (see yiwang/licences/models.py).

``python -m yiwang.licences.states`` prints it (docs/licences.md holds a copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.errors import Conflict

VALID = "valid"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: Any


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("revoke", frozenset({VALID}), "revoked", gettext_lazy("撤销")),
        Transition("cancel", frozenset({VALID}), "cancelled", gettext_lazy("注销")),
        Transition("withdraw", frozenset({VALID}), "withdrawn", gettext_lazy("吊销")),
        Transition("invalidate", frozenset({VALID}), "invalid", gettext_lazy("失效")),
    )
}


def check_transition(status: str, action: str) -> str:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Conflict("unknown_action", _("未知的证照状态变更：%(action)s") % {"action": action})
    if status not in transition.sources:
        raise Conflict(
            "illegal_transition",
            _("证照当前状态不允许%(label)s。") % {"label": transition.label},
        )
    return transition.target


def table() -> str:
    lines = ["action      from   → to"]
    for t in TRANSITIONS.values():
        lines.append(f"{t.action:<11} {','.join(sorted(t.sources)):<6} → {t.target}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(table())
