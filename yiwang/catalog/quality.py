"""Quality rules of the service catalogue (RULES.md, "事项 catalogue"), as data.

Each rule looks at one item (a ``ServiceItem``, saved or not) and returns ``Issue``s. An issue is
either ``reject`` (the item cannot be saved through the services, the admin or an import) or
``flag`` (saved, but shown to the administrator so that it is fixed). ``check_item`` runs every
rule; ``enforce`` raises ``ValidationFailed`` (code ``item_quality``) listing every rejecting issue
in ``details["issues"]`` so that the API, the admin and the import report explain all of them at
once, not one at a time.

Rules from RULES.md (the codes are stable):

- ``immediate_needs_type``: 承诺时限 0 (即办) ⇒ 办件类型 即办件;
- ``immediate_needs_zero_limit``: 即办件 ⇒ 承诺时限 0 (and a 法定时限 other than 0 is flagged);
- ``online_iv_no_visits``: 网办深度 Ⅳ (全程网办) ⇒ 到现场次数 0;
- ``visit_reason_required``: 到现场次数 > 0 ⇒ 到现场原因;
- ``fee_basis_required``: 收费 ⇒ 收费依据;
- ``phones_differ``: 咨询电话 ≠ 投诉电话;
- ``licensing_steps``: 行政许可 ⇒ 办理流程 includes 受理, 审核, 审批, 办结 and 送达;
- ``result_sample_required``: 结果名称 ⇒ 结果样本;
- ``promised_within_legal``: 承诺时限 ≤ 法定时限.

Shape checks (the national schema's field formats): 基本编码 12 letters/digits, 实施编码 at most 36
and (flag) starting with the 基本编码, the 实施主体's 统一社会信用代码 valid, known 跨域通办 modes,
and well-formed form fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import validate_uscc

Severity = Literal["reject", "flag"]
REJECT: Severity = "reject"
FLAG: Severity = "flag"

LICENSING_STEP_WORDS: tuple[str, ...] = ("受理", "审核", "审批", "办结", "送达")
FIELD_TYPES: frozenset[str] = frozenset(
    {"text", "textarea", "date", "number", "choice", "phone", "id_number", "region", "boolean"}
)
_SOURCE_RE = re.compile(
    r"^(|person\.(name|id_number|phone|address)|enterprise\.(name|uscc)"
    r"|shared:[a-z0-9_]+\.[a-z0-9_]+)$"
)
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_BASE_CODE_RE = re.compile(r"^[0-9A-Z]{12}$")
_IMPLEMENTATION_CODE_RE = re.compile(r"^[0-9A-Z]{1,36}$")


@dataclass(frozen=True)
class Issue:
    code: str
    field: str
    message: str
    severity: Severity = REJECT

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


Rule = Callable[[Any], Iterable[Issue]]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _step_names(steps: Any) -> list[str]:
    if not isinstance(steps, list):
        return []
    names = []
    for step in steps:
        if isinstance(step, dict):
            names.append(str(step.get("name", "")))
        else:
            names.append(str(step))
    return names


# --- RULES.md -------------------------------------------------------------------------------------


@rule
def immediate_handling(item: Any) -> Iterable[Issue]:
    immediate = item.handling_type == "immediate"
    if item.promised_limit == 0 and not immediate:
        yield Issue(
            "immediate_needs_type",
            "handling_type",
            _("承诺时限为 0（即办）的事项，办件类型应为“即办件”。"),
        )
    if immediate and item.promised_limit != 0:
        yield Issue(
            "immediate_needs_zero_limit",
            "promised_limit",
            _("即办件的承诺时限应为 0。"),
        )
    if immediate and item.legal_limit != 0:
        yield Issue(
            "immediate_legal_limit",
            "legal_limit",
            _("即办件的法定时限通常为 0，请核对设定依据。"),
            FLAG,
        )


@rule
def online_depth_visits(item: Any) -> Iterable[Issue]:
    if int(item.online_depth or 0) == 4 and item.visits > 0:
        yield Issue(
            "online_iv_no_visits",
            "visits",
            _("网办深度为Ⅳ级（全程网办）的事项，到现场次数应为 0。"),
        )


@rule
def visit_reason(item: Any) -> Iterable[Issue]:
    if item.visits > 0 and not (item.visit_reason or "").strip():
        yield Issue(
            "visit_reason_required",
            "visit_reason",
            _("到现场次数大于 0 时，应说明必须到现场的原因。"),
        )


@rule
def fee_basis(item: Any) -> Iterable[Issue]:
    if item.charges and not (item.fee_basis or "").strip():
        yield Issue("fee_basis_required", "fee_basis", _("收费事项应填写收费依据。"))


@rule
def phones_differ(item: Any) -> Iterable[Issue]:
    consult, complaint = _digits(item.consult_phone), _digits(item.complaint_phone)
    if consult and consult == complaint:
        yield Issue("phones_differ", "complaint_phone", _("投诉电话不能与咨询电话相同。"))


@rule
def licensing_steps(item: Any) -> Iterable[Issue]:
    if item.item_type != "licensing":
        return
    names = _step_names(item.steps)
    missing = [w for w in LICENSING_STEP_WORDS if not any(w in n for n in names)]
    if missing:
        yield Issue(
            "licensing_steps",
            "steps",
            _(
                "行政许可事项的办理流程应至少包括受理、审核、审批、办结、送达环节，缺少：%(missing)s。"
            )
            % {"missing": "、".join(missing)},
        )


@rule
def result_sample(item: Any) -> Iterable[Issue]:
    if (item.result_name or "").strip() and not (item.result_sample or "").strip():
        yield Issue(
            "result_sample_required", "result_sample", _("填写了结果名称的事项应提供结果样本。")
        )


@rule
def promised_within_legal(item: Any) -> Iterable[Issue]:
    if item.promised_limit > item.legal_limit:
        yield Issue(
            "promised_within_legal",
            "promised_limit",
            _("承诺时限（%(promised)s）不能超过法定时限（%(legal)s）。")
            % {"promised": item.promised_limit, "legal": item.legal_limit},
        )


# --- shape checks ---------------------------------------------------------------------------------


@rule
def code_shapes(item: Any) -> Iterable[Issue]:
    base = item.base_code or ""
    code = item.implementation_code or ""
    if not _BASE_CODE_RE.fullmatch(base):
        yield Issue("invalid_base_code", "base_code", _("基本编码应为 12 位数字或大写字母。"))
    if not _IMPLEMENTATION_CODE_RE.fullmatch(code):
        yield Issue(
            "invalid_implementation_code",
            "implementation_code",
            _("实施编码应为 1 至 36 位数字或大写字母。"),
        )
    elif base and not code.startswith(base):
        yield Issue(
            "implementation_code_prefix",
            "implementation_code",
            _("实施编码通常以基本编码开头，请核对。"),
            FLAG,
        )
    if not (item.name or "").strip():
        yield Issue("name_required", "name", _("请填写事项名称。"))


@rule
def department_uscc(item: Any) -> Iterable[Issue]:
    department = getattr(item, "department", None) if item.department_id else None
    if department is None:
        yield Issue("department_required", "department", _("请选择实施主体。"))
        return
    try:
        validate_uscc(department.uscc, field="department")
    except ValidationFailed:
        yield Issue(
            "department_uscc_invalid",
            "department",
            _("实施主体的统一社会信用代码无效：%(uscc)s。") % {"uscc": department.uscc},
        )


@rule
def cross_region_modes(item: Any) -> Iterable[Issue]:
    modes = item.cross_region_modes or []
    known = {"online", "proxy", "joint"}
    if not isinstance(modes, list) or any(m not in known for m in modes):
        yield Issue(
            "invalid_cross_region_modes",
            "cross_region_modes",
            _("跨域通办方式只能是全程网办（online）、异地代收代办（proxy）、多地联办（joint）。"),
        )


@rule
def form_fields(item: Any) -> Iterable[Issue]:
    fields = item.form_fields or []
    if not isinstance(fields, list):
        yield Issue("invalid_form_fields", "form_fields", _("表单字段应为列表。"))
        return
    seen: set[str] = set()
    for index, spec in enumerate(fields, start=1):
        where = _("第 %(n)s 个表单字段") % {"n": index}
        if not isinstance(spec, dict):
            yield Issue("invalid_form_fields", "form_fields", _("%(w)s格式不正确。") % {"w": where})
            continue
        key = str(spec.get("key", ""))
        if not _KEY_RE.fullmatch(key):
            yield Issue(
                "invalid_form_fields",
                "form_fields",
                _("%(w)s的代码应为小写字母开头的字母、数字或下划线。") % {"w": where},
            )
        elif key in seen:
            yield Issue(
                "invalid_form_fields",
                "form_fields",
                _("表单字段代码重复：%(key)s。") % {"key": key},
            )
        seen.add(key)
        if not str(spec.get("label", "")).strip():
            yield Issue("invalid_form_fields", "form_fields", _("%(w)s缺少名称。") % {"w": where})
        if spec.get("type", "text") not in FIELD_TYPES:
            yield Issue(
                "invalid_form_fields",
                "form_fields",
                _("%(w)s的类型不受支持：%(type)s。") % {"w": where, "type": spec.get("type")},
            )
        if spec.get("type") == "choice" and not spec.get("choices"):
            yield Issue(
                "invalid_form_fields",
                "form_fields",
                _("%(w)s为选择题，应提供选项。") % {"w": where},
            )
        if not _SOURCE_RE.fullmatch(str(spec.get("source", "") or "")):
            yield Issue(
                "invalid_form_fields",
                "form_fields",
                _("%(w)s的预填来源不受支持：%(source)s。")
                % {"w": where, "source": spec.get("source")},
            )


# --- running the rules ----------------------------------------------------------------------------


def check_item(item: Any) -> list[Issue]:
    """Every issue of ``item``: rejecting ones first, in rule order."""
    issues = [issue for check in RULES for issue in check(item)]
    return sorted(issues, key=lambda i: i.severity != REJECT)


def rejecting(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == REJECT]


def enforce(item: Any) -> list[Issue]:
    """Run the rules; raise ``ValidationFailed`` listing every rejecting issue, else return the
    flags (to be shown to the administrator)."""
    issues = check_item(item)
    rejected = rejecting(issues)
    if rejected:
        raise ValidationFailed(
            "item_quality",
            _("事项未通过质量检查：%(messages)s")
            % {"messages": "；".join(i.message for i in rejected)},
            field=rejected[0].field,
            details={"issues": [i.as_dict() for i in issues]},
        )
    return issues
