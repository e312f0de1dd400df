"""Forms of the 12345 agent's desk (话务员工作台): the intake form, the queue's filters and the
actions on a ticket (confirm the category, dispatch, review a 退单, 督办, 回访, 重办, 当场答复,
show the caller's number, merge a duplicate).

They check the shape of the input only; the services (``yiwang.hotline.services``) enforce the
rules and their ``ValidationFailed`` errors are put back on the fields by the views.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department
from yiwang.hotline.models import Category, TicketType, Urgency

MAX_NOTE_CHARS = 1000
_LEADING_CODE = re.compile(r"^\s*(\d{6})(?!\d)")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")

# 好差评 five levels (GB/T 39734, RULES.md): the 回访 satisfaction uses the same words.
SATISFACTION_CHOICES = (
    (5, _("非常满意（5分）")),
    (4, _("满意（4分）")),
    (3, _("基本满意（3分）")),
    (2, _("不满意（2分）")),
    (1, _("非常不满意（1分）")),
)
RESOLVED_CHOICES = (("yes", _("已解决")), ("no", _("未解决")))
REVIEW_CHOICES = (("redispatch", _("改派其他单位")), ("insist", _("维持原派单")))
DESK_ACTIONS = (
    ("dispatch", _("受理并派单")),
    ("intake", _("仅受理")),
    ("preview", _("查询来电记录与分类建议")),
)
QUEUE_TABS = (
    ("accepted", _("待派单")),
    ("returned", _("退单待审")),
    ("extension", _("延期待审")),
    ("answered", _("待回访")),
    ("called_back", _("已回访")),
    ("overdue", _("超期")),
    ("all", _("全部")),
)


def leaf_code_of(text: str) -> str | None:
    """The leaf category a typed search means: a leading 6-digit code ("010101 物业服务质量"),
    or a leaf's exact name ("物业服务质量"). None when nothing matches."""
    text = (text or "").strip()
    if not text:
        return None
    match = _LEADING_CODE.match(text)
    leaves = Category.objects.filter(level=3, is_active=True)
    if match:
        code = match.group(1)
        return code if leaves.filter(code=code).exists() else None
    found = list(leaves.filter(name=text[:100]).values_list("code", flat=True)[:2])
    return found[0] if len(found) == 1 else None


class _CategoryChoice(forms.Form):
    """A suggested category (radio ``category_code``) or any leaf typed in the search box
    (``category_search``); the search box wins when it is filled."""

    category_code = forms.CharField(label=_("分类建议"), required=False, max_length=6)
    category_search = forms.CharField(
        label=_("其他分类（输入代码或名称）"),
        required=False,
        max_length=120,
        help_text=_("填写后以此分类为准。"),
    )
    referral_told = forms.BooleanField(label=_("已向来电人告知转介渠道"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        search = (data.get("category_search") or "").strip()
        code = ""
        if search:
            found = leaf_code_of(search)
            if found is None:
                self.add_error(
                    "category_search", _("没有找到该分类，请输入6位分类代码或完整名称。")
                )
            else:
                code = found
        else:
            code = (data.get("category_code") or "").strip()
        data["category"] = code
        return data


class AgentIntakeForm(_CategoryChoice):
    """受理 a call: the caller, the demand, its category and place."""

    caller_phone = forms.CharField(
        label=_("来电号码"),
        required=False,
        max_length=40,
        help_text=_("手机或带区号的固定电话；离开此框后显示该号码的历史诉求。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(
        label=_("来电人"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    type = forms.ChoiceField(label=_("诉求类型"), choices=TicketType.choices)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    content = forms.CharField(
        label=_("诉求内容"),
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写诉求内容（须包含文字或数字）。")},
    )
    region_code = forms.ChoiceField(
        label=_("所在区域"),
        error_messages={"required": _("请选择诉求所在的行政区划。")},
    )
    address = forms.CharField(
        label=_("详细地址"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    action = forms.ChoiceField(choices=DESK_ACTIONS, required=False, widget=forms.HiddenInput)

    field_order = [
        "caller_phone",
        "caller_name",
        "type",
        "urgency",
        "content",
        "category_code",
        "category_search",
        "referral_told",
        "region_code",
        "address",
    ]

    def __init__(self, *args: Any, regions: Sequence[tuple[str, str]] = (), **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "type": TicketType.COMPLAINT,
            "urgency": Urgency.NORMAL,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = [("", _("请选择")), *regions]  # type: ignore[attr-defined]
        self._wire()

    def _wire(self) -> None:
        """htmx: the caller's history when the number is left, the suggestions as the content
        (or the region) changes, the searched leaf as it is typed. Without JavaScript the same
        panels come back with a submit."""
        suggest = reverse("hotline:agent_desk_suggest")
        classify = "#id_content, #id_region_code, #id_category_search, #suggestions input:checked"
        attrs = {
            "caller_phone": {
                "hx-get": reverse("hotline:agent_desk_caller"),
                "hx-trigger": "change",
                "hx-target": "#caller-history",
                "hx-sync": "this:replace",
            },
            "content": {
                "hx-get": suggest,
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#suggestions",
                "hx-include": classify,
                "hx-sync": "this:replace",
            },
            "region_code": {
                "hx-get": suggest,
                "hx-trigger": "change",
                "hx-target": "#suggestions",
                "hx-include": classify,
            },
            "category_search": {
                "list": "category-leaves",
                "autocomplete": "off",
                "hx-get": reverse("hotline:agent_desk_category"),
                "hx-trigger": "change, input changed delay:400ms",
                "hx-target": "#category-info",
                "hx-include": "#id_region_code, #category-info input:checked",
                "hx-sync": "this:replace",
            },
        }
        for name, extra in attrs.items():
            self.fields[name].widget.attrs.update(extra)

    def set_focus(self, default: str | None = "caller_phone") -> None:
        """The first field in error takes the focus when the page opens, else ``default``
        (None: a suggestion takes it)."""
        errors = self.errors if self.is_bound else {}
        focus = next((name for name in self.fields if name in errors), default)
        if focus in ("category_code", "form_token", "action"):
            focus = "category_search"
        if focus == "referral_told":  # the box itself, drawn with the referral (partials)
            focus = None
        if focus is not None:
            self.fields[focus].widget.attrs["autofocus"] = True

    def clean_form_token(self) -> str:
        """The form's one-time token (idempotency key); anything odd is dropped, not refused."""
        token = self.cleaned_data.get("form_token") or ""
        return token if _TOKEN.fullmatch(token) else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["action"] = data.get("action") or "dispatch"
        return data


class AgentCategoryForm(_CategoryChoice):
    """Confirm (or correct) the category of an accepted ticket."""


class AgentDispatchForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("承办单位"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("按派单规则"),
        help_text=_("不选则按派单规则派往首接单位；选择其他单位即为人工改派，会记录在案。"),
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class AgentReviewForm(forms.Form):
    """审核退单: 改派 to another department (chosen, or by the rules) or 维持."""

    decision = forms.ChoiceField(
        label=_("审核结论"), choices=REVIEW_CHOICES, widget=forms.RadioSelect, initial="redispatch"
    )
    department = forms.ModelChoiceField(
        label=_("改派至"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("按派单规则"),
        help_text=_("仅改派时使用。"),
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class AgentSuperviseForm(forms.Form):
    note = forms.CharField(
        label=_("督办意见"), max_length=MAX_NOTE_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )


EXTENSION_DECISIONS = (("approve", _("批准延期")), ("decline", _("不予延期")))


class AgentExtensionForm(forms.Form):
    """The hotline's decision on a department's 延期 request (a note is required to decline)."""

    decision = forms.ChoiceField(
        label=_("审核结论"), choices=EXTENSION_DECISIONS, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("审核意见"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AgentCallbackForm(forms.Form):
    """回访: whether the matter is resolved and the caller's satisfaction (five levels)."""

    resolved = forms.TypedChoiceField(
        label=_("诉求是否解决"),
        choices=RESOLVED_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), choices=SATISFACTION_CHOICES, coerce=int, widget=forms.RadioSelect
    )


class AgentReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("重办理由"), max_length=MAX_NOTE_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )


class AgentAnswerForm(forms.Form):
    """当场答复 a consultation."""

    text = forms.CharField(
        label=_("答复内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AgentRevealPhoneForm(forms.Form):
    purpose = forms.CharField(
        label=_("查看事由"),
        max_length=200,
        help_text=_("查看完整号码会记录在案，来电人可以看到。"),
        widget=forms.TextInput(attrs={"list": "reveal-purposes", "autocomplete": "off"}),
    )


class AgentMergeForm(forms.Form):
    """合并重复件: this ticket joins ``primary`` (one handling answers all)."""

    primary = forms.CharField(label=_("主工单编号"), max_length=32)
    reason = forms.CharField(label=_("合并说明"), required=False, max_length=MAX_NOTE_CHARS)


class AgentQueueForm(forms.Form):
    tab = forms.ChoiceField(choices=QUEUE_TABS, required=False)
    q = forms.CharField(label=_("工单编号或来电号码"), required=False, max_length=40)
