"""Conditions and auto-approval rules (智能秒办) as data, evaluated safely (no ``eval``).

A condition reads the instance ``data`` through dotted paths (``applicant.age``; a numeric part
indexes a list)::

    {"field": "applicant.age", "op": "gte", "value": 60}
    {"all": [...]}   {"any": [...]}   {"not": {...}}

Operators: eq, ne, gt, gte, lt, lte, in, not_in, exists, missing, true, false. Comparisons are
type-safe: numbers compare with numbers (booleans are not numbers), text with text (ISO dates
order correctly as text); anything else is simply false and the explanation says why. A missing
field makes every comparison false (``ne`` and ``not_in`` included: nothing was seen).

``evaluate_condition`` returns ``(result, explanation)``; the explanation names each
sub-condition with the value seen and whether it held. ``evaluate_auto_approval`` runs a spec's
rules and returns which rule fired and why; ``simulate`` replays rules over past instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yiwang.workflow.spec import Spec, parse_spec

_MISSING = object()

_OP_TEXT = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "∈",
    "not_in": "∉",
}


def lookup(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``data``, or ``_MISSING``."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return _MISSING
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "other"


def _same(a: Any, b: Any) -> bool:
    """Type-safe equality: ``True`` ≠ ``1``, ``"1"`` ≠ ``1``."""
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka == "other":
        return False
    return bool(a == b)


def _show(value: Any) -> str:
    if value is _MISSING:
        return _("（缺失）")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return "[" + "、".join(_show(v) for v in value) + "]"
    return str(value)


def _verdict(ok: bool) -> str:
    return _("成立") if ok else _("不成立")


def _leaf(cond: Mapping[str, Any], data: Any) -> tuple[bool, str]:
    path, op = cond["field"], cond["op"]
    seen = lookup(data, path)
    expected = cond.get("value")
    note = ""
    if op == "exists":
        ok = seen is not _MISSING and seen is not None
        text = _("%(field)s 存在（值 %(seen)s）") % {"field": path, "seen": _show(seen)}
    elif op == "missing":
        ok = seen is _MISSING or seen is None
        text = _("%(field)s 缺失（值 %(seen)s）") % {"field": path, "seen": _show(seen)}
    elif op in ("true", "false"):
        ok = seen is (op == "true")
        text = _("%(field)s 为 %(want)s（值 %(seen)s）") % {
            "field": path,
            "want": op,
            "seen": _show(seen),
        }
    else:
        if seen is _MISSING:
            ok = False
            note = _("字段缺失")
        elif op in ("eq", "ne"):
            equal = _same(seen, expected)
            ok = equal if op == "eq" else (not equal and _kind(seen) == _kind(expected))
            if _kind(seen) != _kind(expected):
                ok, note = False, _("类型不同")
        elif op in ("in", "not_in"):
            member = any(_same(seen, v) for v in expected)
            ok = member if op == "in" else not member
        else:
            ks, ke = _kind(seen), _kind(expected)
            if ks != ke or ks not in ("number", "text"):
                ok, note = False, _("类型不同，无法比较")
            elif op == "gt":
                ok = seen > expected
            elif op == "gte":
                ok = seen >= expected
            elif op == "lt":
                ok = seen < expected
            else:
                ok = seen <= expected
        text = _("%(field)s %(op)s %(value)s（值 %(seen)s）") % {
            "field": path,
            "op": _OP_TEXT[op],
            "value": _show(expected),
            "seen": _show(seen),
        }
    suffix = f"，{note}" if note else ""
    return ok, f"{text}：{_verdict(ok)}{suffix}"


def evaluate_condition(cond: Mapping[str, Any] | None, data: Any) -> tuple[bool, str]:
    """Evaluate ``cond`` (validated by ``spec.validate_condition``) on ``data``.

    ``None`` means "no condition" and is true. The explanation lists every sub-condition with the
    value seen and whether it held, e.g. ``全部满足：[applicant.age ≥ 60（值 65）：成立]：成立``.
    """
    if cond is None:
        return True, _("无条件：成立")
    if "all" in cond or "any" in cond:
        name = "all" if "all" in cond else "any"
        parts = [evaluate_condition(c, data) for c in cond[name]]
        ok = all(p[0] for p in parts) if name == "all" else any(p[0] for p in parts)
        head = _("全部满足") if name == "all" else _("任一满足")
        inner = "；".join(p[1] for p in parts)
        return ok, f"{head}：[{inner}]：{_verdict(ok)}"
    if "not" in cond:
        inner_ok, inner = evaluate_condition(cond["not"], data)
        ok = not inner_ok
        return ok, f"{_('非')}：[{inner}]：{_verdict(ok)}"
    return _leaf(cond, data)


# --- auto-approval ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoResult:
    decision: str  # "approve" | "manual"
    rule_id: str  # the first rule that fired, "" when none
    reasons: list[dict[str, Any]]  # per rule: id, name, fired, explanation

    @property
    def approved(self) -> bool:
        return self.decision == "approve"


def evaluate_auto_approval(spec: Spec, data: Any) -> AutoResult:
    """Run the spec's auto-approval rules over ``data``: the first rule that holds approves.

    Every rule is evaluated so the record shows why each one did or did not fire. Disabled
    auto-approval yields ``manual`` with a reason saying so.
    """
    if not spec.auto_approval.enabled:
        return AutoResult(
            "manual", "", [{"id": "", "fired": False, "explanation": _("未启用智能秒办")}]
        )
    reasons: list[dict[str, Any]] = []
    fired = ""
    for rule in spec.auto_approval.rules:
        ok, explanation = evaluate_condition(rule.when, data)
        reasons.append({"id": rule.id, "name": rule.name, "fired": ok, "explanation": explanation})
        if ok and not fired:
            fired = rule.id
    return AutoResult("approve" if fired else "manual", fired, reasons)


# --- simulation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedInstance:
    business_key: str
    old: str  # "auto" | "manual"
    new: str
    rule_id: str  # the rule that would fire now
    explanation: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class SimulationReport:
    rows: list[SimulatedInstance] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def would_auto_approve(self) -> int:
        """Instances handled by people that the rules would now approve at once."""
        return sum(1 for r in self.rows if r.old == "manual" and r.new == "auto")

    @property
    def would_stop_auto_approving(self) -> int:
        return sum(1 for r in self.rows if r.old == "auto" and r.new == "manual")

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.rows if not r.changed)

    @property
    def summary(self) -> str:
        return _(
            "共 %(total)d 件：将新增秒办 %(n)d 件，将不再秒办 %(m)d 件，不变 %(same)d 件。"
        ) % {
            "total": self.total,
            "n": self.would_auto_approve,
            "m": self.would_stop_auto_approving,
            "same": self.unchanged,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "would_auto_approve": self.would_auto_approve,
            "would_stop_auto_approving": self.would_stop_auto_approving,
            "unchanged": self.unchanged,
            "summary": self.summary,
            "instances": [
                {
                    "business_key": r.business_key,
                    "old": r.old,
                    "new": r.new,
                    "changed": r.changed,
                    "rule_id": r.rule_id,
                    "explanation": r.explanation,
                }
                for r in self.rows
            ],
        }


def _spec_of(definition_or_spec: Any) -> Spec:
    if isinstance(definition_or_spec, Spec):
        return definition_or_spec
    raw = getattr(definition_or_spec, "spec", definition_or_spec)
    return parse_spec(raw)


def _old_outcome(instance: Any) -> str:
    """How the instance was handled: ``auto`` if an AutoDecision approved it, else ``manual``.

    Uses a prefetched ``auto_decisions`` when present (see selectors.instances_for_simulation).
    """
    decisions: Sequence[Any] = list(instance.auto_decisions.all())
    return "auto" if any(d.decision == "approve" for d in decisions) else "manual"


def simulate(definition_or_spec: Any, instances: Iterable[Any]) -> SimulationReport:
    """Replay ``definition_or_spec``'s rules over the stored ``data`` of past ``instances``.

    For each instance: the old outcome (auto when an AutoDecision approved it, else manual), the
    outcome the rules would give now, which rule would fire and the explanation. Nothing is
    written. Totals: "would now auto-approve N, would stop auto-approving M".
    """
    spec = _spec_of(definition_or_spec)
    report = SimulationReport()
    for instance in instances:
        result = evaluate_auto_approval(spec, instance.data)
        if result.rule_id:
            explanation = next(
                r["explanation"] for r in result.reasons if r["id"] == result.rule_id
            )
        else:
            explanation = "；".join(r["explanation"] for r in result.reasons)
        report.rows.append(
            SimulatedInstance(
                business_key=instance.business_key,
                old=_old_outcome(instance),
                new="auto" if result.approved else "manual",
                rule_id=result.rule_id,
                explanation=explanation,
            )
        )
    return report
