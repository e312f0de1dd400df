"""The process definition spec (``ProcessDefinition.spec``): parsing and validation.

``parse_spec(raw)`` turns the JSON of the contract into frozen dataclasses or raises
``ValidationFailed`` with a Chinese message that names the stage at fault::

    {"stages": [{"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"],
                 "mode": "single", "after": [], "when": null,
                 "limit": {"amount": 3, "unit": "working_days"}}, ...],
     "auto_approval": {"enabled": true, "rules": [{"id": "R1", "name": "…", "when": {...}}]},
     "max_extension": 10}

The stages form a DAG through ``after``; cycles, unknown keys, empty department lists, bad units
and malformed conditions are refused. ``Spec.depths()`` gives each stage's depth (for layout) and
``Spec.order`` a topological order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from yiwang.core.deadlines import Unit
from yiwang.core.errors import ValidationFailed

ITEM_DEPARTMENT = "$item"
MODES = ("single", "all", "any")
COMPARISON_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in")
UNARY_OPS = ("exists", "missing", "true", "false")
OPS = COMPARISON_OPS + UNARY_OPS
COMBINATORS = ("all", "any", "not")
DEFAULT_MAX_EXTENSION = 10

_SPEC_KEYS = {"stages", "auto_approval", "max_extension"}
_STAGE_KEYS = {"key", "name", "role", "departments", "mode", "after", "when", "limit"}
_RULE_KEYS = {"id", "name", "when"}
_AUTO_KEYS = {"enabled", "rules"}
_LIMIT_KEYS = {"amount", "unit"}


@dataclass(frozen=True)
class StageLimit:
    amount: int
    unit: Unit


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    role: str
    departments: tuple[str, ...]
    mode: str = "single"
    after: tuple[str, ...] = ()
    when: Mapping[str, Any] | None = None
    limit: StageLimit | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    when: Mapping[str, Any]


@dataclass(frozen=True)
class AutoApproval:
    enabled: bool = False
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Spec:
    stages: tuple[Stage, ...]
    auto_approval: AutoApproval = AutoApproval()
    max_extension: int = DEFAULT_MAX_EXTENSION

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    @property
    def order(self) -> tuple[Stage, ...]:
        """The stages in a topological order (each after all the stages it waits for)."""
        depths = self.depths()
        index = {s.key: i for i, s in enumerate(self.stages)}
        return tuple(sorted(self.stages, key=lambda s: (depths[s.key], index[s.key])))

    def depths(self) -> dict[str, int]:
        """Depth of each stage: 0 for stages that start with the process, else 1 + max(after)."""
        result: dict[str, int] = {}

        def depth(key: str) -> int:
            if key not in result:
                stage = self.stage(key)
                result[key] = 1 + max((depth(a) for a in stage.after), default=-1)
            return result[key]

        for stage in self.stages:
            depth(stage.key)
        return result

    def successors(self, key: str) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if key in s.after)

    @property
    def final_stages(self) -> tuple[Stage, ...]:
        """Stages nothing waits for: the process ends after them."""
        waited = {a for s in self.stages for a in s.after}
        return tuple(s for s in self.stages if s.key not in waited)


def _fail(message: str, *, field: str = "spec", details: dict[str, Any] | None = None) -> None:
    raise ValidationFailed("invalid_process_spec", message, field=field, details=details)


def _unknown(keys: set[str], allowed: set[str]) -> list[str]:
    return sorted(k for k in keys if k not in allowed)


def validate_condition(cond: Any, where: str) -> None:
    """Raise ``ValidationFailed`` unless ``cond`` is a well-formed condition (see rules)."""
    if not isinstance(cond, Mapping) or not cond:
        _fail(_("%(where)s的条件必须是非空对象。") % {"where": where})
    keys = set(cond)
    combinator = keys & set(COMBINATORS)
    if combinator:
        if len(keys) != 1:
            _fail(_("%(where)s的条件组合（all/any/not）不能与其他键并列。") % {"where": where})
        name = next(iter(combinator))
        value = cond[name]
        if name == "not":
            validate_condition(value, where)
            return
        if not isinstance(value, list) or not value:
            _fail(_("%(where)s的条件“%(name)s”必须是非空列表。") % {"where": where, "name": name})
        for part in value:
            validate_condition(part, where)
        return
    unknown = _unknown(keys, {"field", "op", "value"})
    if unknown:
        _fail(
            _("%(where)s的条件包含未知的键：%(keys)s。")
            % {"where": where, "keys": "、".join(unknown)}
        )
    field = cond.get("field")
    if not isinstance(field, str) or not field or any(not p for p in field.split(".")):
        _fail(_("%(where)s的条件缺少有效的字段路径（field）。") % {"where": where})
    op = cond.get("op")
    if op not in OPS:
        _fail(
            _("%(where)s的条件运算符“%(op)s”无效，可用：%(ops)s。")
            % {"where": where, "op": op, "ops": "、".join(OPS)}
        )
    if op in COMPARISON_OPS:
        if "value" not in cond:
            _fail(
                _("%(where)s的条件运算符“%(op)s”需要比较值（value）。") % {"where": where, "op": op}
            )
        value = cond["value"]
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                _fail(
                    _("%(where)s的条件运算符“%(op)s”的值必须是列表。") % {"where": where, "op": op}
                )
        elif op in ("gt", "gte", "lt", "lte") and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            _fail(
                _("%(where)s的条件运算符“%(op)s”的值必须是数字、日期或文本。")
                % {"where": where, "op": op}
            )
    elif "value" in cond:
        _fail(_("%(where)s的条件运算符“%(op)s”不接受比较值。") % {"where": where, "op": op})


def _stage_label(raw: Mapping[str, Any], index: int) -> str:
    key = raw.get("key") if isinstance(raw.get("key"), str) else ""
    name = raw.get("name") if isinstance(raw.get("name"), str) else ""
    if key:
        return _("环节“%(name)s”（%(key)s）") % {"name": name or key, "key": key}
    return _("第%(n)d个环节") % {"n": index + 1}


def _parse_limit(raw: Any, label: str) -> StageLimit | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        _fail(_("%(stage)s的时限必须是对象。") % {"stage": label})
    unknown = _unknown(set(raw), _LIMIT_KEYS)
    if unknown:
        _fail(
            _("%(stage)s的时限包含未知的键：%(keys)s。")
            % {"stage": label, "keys": "、".join(unknown)}
        )
    amount = raw.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        _fail(_("%(stage)s的时限数量必须是非负整数。") % {"stage": label})
    try:
        unit = Unit(raw.get("unit", Unit.WORKING_DAYS))
    except ValueError:
        _fail(
            _("%(stage)s的时限单位“%(unit)s”无效，可用：working_days、calendar_days、hours。")
            % {"stage": label, "unit": raw.get("unit")}
        )
    return StageLimit(amount, unit)


def _parse_stage(raw: Any, index: int) -> Stage:
    if not isinstance(raw, Mapping):
        _fail(_("第%(n)d个环节必须是对象。") % {"n": index + 1})
    label = _stage_label(raw, index)
    unknown = _unknown(set(raw), _STAGE_KEYS)
    if unknown:
        _fail(_("%(stage)s包含未知的键：%(keys)s。") % {"stage": label, "keys": "、".join(unknown)})
    key = raw.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > 64:
        _fail(_("%(stage)s缺少环节代码（key，1–64个字符）。") % {"stage": label})
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        _fail(_("%(stage)s缺少环节名称（name，1–100个字符）。") % {"stage": label})
    role = raw.get("role")
    if not isinstance(role, str) or not role.strip() or len(role) > 50:
        _fail(_("%(stage)s缺少办理角色（role）。") % {"stage": label})
    departments = raw.get("departments")
    if not isinstance(departments, list) or not departments:
        _fail(_("%(stage)s必须至少指定一个办理部门（departments）。") % {"stage": label})
    if any(not isinstance(d, str) or not d.strip() for d in departments):
        _fail(_("%(stage)s的办理部门必须是“$item”或统一社会信用代码。") % {"stage": label})
    if len(set(departments)) != len(departments):
        _fail(_("%(stage)s的办理部门有重复。") % {"stage": label})
    mode = raw.get("mode", "single")
    if mode not in MODES:
        _fail(
            _("%(stage)s的会签方式“%(mode)s”无效，可用：single、all（会签）、any（或签）。")
            % {"stage": label, "mode": mode}
        )
    if mode == "single" and len(departments) != 1:
        _fail(_("%(stage)s有多个办理部门，请选择 all（会签）或 any（或签）。") % {"stage": label})
    after = raw.get("after", [])
    if not isinstance(after, list) or any(not isinstance(a, str) for a in after):
        _fail(_("%(stage)s的前置环节（after）必须是环节代码列表。") % {"stage": label})
    when = raw.get("when")
    if when is not None:
        validate_condition(when, label)
    return Stage(
        key=key,
        name=name.strip(),
        role=role.strip(),
        departments=tuple(d.strip() for d in departments),
        mode=mode,
        after=tuple(after),
        when=when,
        limit=_parse_limit(raw.get("limit"), label),
    )


def _check_graph(stages: list[Stage]) -> None:
    by_key = {s.key: s for s in stages}
    for stage in stages:
        label = _("环节“%(name)s”（%(key)s）") % {"name": stage.name, "key": stage.key}
        for dep in stage.after:
            if dep == stage.key:
                _fail(_("%(stage)s不能以自身为前置环节。") % {"stage": label})
            if dep not in by_key:
                _fail(_("%(stage)s的前置环节“%(dep)s”不存在。") % {"stage": label, "dep": dep})
        if len(set(stage.after)) != len(stage.after):
            _fail(_("%(stage)s的前置环节有重复。") % {"stage": label})
    # Kahn's algorithm: whatever cannot be ordered lies on a cycle.
    pending = {s.key: set(s.after) for s in stages}
    while True:
        ready = [k for k, deps in pending.items() if not deps]
        if not ready:
            break
        for key in ready:
            del pending[key]
        for deps in pending.values():
            deps.difference_update(ready)
    if pending:
        names = "、".join(f"“{by_key[k].name}”（{k}）" for k in sorted(pending))
        _fail(_("环节之间存在循环依赖：%(stages)s。") % {"stages": names})


def _parse_auto(raw: Any) -> AutoApproval:
    if raw is None:
        return AutoApproval()
    if not isinstance(raw, Mapping):
        _fail(_("智能秒办设置（auto_approval）必须是对象。"))
    unknown = _unknown(set(raw), _AUTO_KEYS)
    if unknown:
        _fail(_("智能秒办设置包含未知的键：%(keys)s。") % {"keys": "、".join(unknown)})
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        _fail(_("智能秒办的 enabled 必须是 true 或 false。"))
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        _fail(_("智能秒办规则（rules）必须是列表。"))
    if enabled and not rules_raw:
        _fail(_("启用智能秒办时至少需要一条规则。"))
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, rule in enumerate(rules_raw):
        if not isinstance(rule, Mapping):
            _fail(_("第%(n)d条秒办规则必须是对象。") % {"n": i + 1})
        rule_id = rule.get("id")
        where = (
            _("秒办规则“%(id)s”") % {"id": rule_id}
            if rule_id
            else _("第%(n)d条秒办规则") % {"n": i + 1}
        )
        unknown = _unknown(set(rule), _RULE_KEYS)
        if unknown:
            _fail(
                _("%(rule)s包含未知的键：%(keys)s。") % {"rule": where, "keys": "、".join(unknown)}
            )
        if not isinstance(rule_id, str) or not rule_id.strip() or len(rule_id) > 64:
            _fail(_("%(rule)s缺少规则编号（id，1–64个字符）。") % {"rule": where})
        if rule_id in seen:
            _fail(_("秒办规则编号“%(id)s”重复。") % {"id": rule_id})
        seen.add(rule_id)
        name = rule.get("name", "")
        if not isinstance(name, str):
            _fail(_("%(rule)s的名称必须是文本。") % {"rule": where})
        if "when" not in rule:
            _fail(_("%(rule)s缺少条件（when）。") % {"rule": where})
        validate_condition(rule["when"], where)
        rules.append(Rule(rule_id, name or rule_id, rule["when"]))
    return AutoApproval(enabled, tuple(rules))


def parse_spec(raw: Any) -> Spec:
    """Validate ``raw`` (the spec JSON) and return it as a ``Spec``."""
    if not isinstance(raw, Mapping):
        _fail(_("流程定义必须是 JSON 对象。"))
    unknown = _unknown(set(raw), _SPEC_KEYS)
    if unknown:
        _fail(_("流程定义包含未知的键：%(keys)s。") % {"keys": "、".join(unknown)})
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        _fail(_("流程定义至少需要一个环节（stages）。"))
    stages = [_parse_stage(s, i) for i, s in enumerate(stages_raw)]
    keys = [s.key for s in stages]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        _fail(_("环节代码重复：%(keys)s。") % {"keys": "、".join(duplicates)})
    _check_graph(stages)
    max_extension = raw.get("max_extension", DEFAULT_MAX_EXTENSION)
    if isinstance(max_extension, bool) or not isinstance(max_extension, int) or max_extension < 0:
        _fail(_("延期上限（max_extension）必须是非负整数。"))
    return Spec(tuple(stages), _parse_auto(raw.get("auto_approval")), max_extension)


def department_codes(spec: Spec) -> set[str]:
    """The USCCs the spec names (``$item`` excluded)."""
    return {d for s in spec.stages for d in s.departments if d != ITEM_DEPARTMENT}
