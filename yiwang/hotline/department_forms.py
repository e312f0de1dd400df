"""Forms of the handling department's pages (承办单位): the worklist's filters and the actions on a
ticket — 显示完整号码 (with a purpose), 退单 (with a reason), 延期 (1–10 working days and a
reason) and 答复. They check shape only; the services decide (empty text after HTML is stripped,
the 退单 time limit, the 延期 total)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.hotline.models import TicketStatus, Urgency
from yiwang.hotline.selectors import MAX_PURPOSE_CHARS
from yiwang.hotline.services import EXTENSION_LIMIT, MAX_CONTENT_CHARS

MAX_REASON_CHARS = 1000

# The statuses a ticket has while it is with the department, in the order of the tabs.
WORKLIST_STATUSES = (
    (TicketStatus.DISPATCHED.value, _("待签收")),
    (TicketStatus.SIGNED.value, _("办理中")),
    (TicketStatus.RETURNED.value, _("退单中")),
    (TicketStatus.ANSWERED.value, _("已答复")),
)
WARNINGS = (
    ("red", _("超期")),
    ("yellow", _("预警")),
    ("none", _("正常")),
)


class WorklistFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *WORKLIST_STATUSES]
    )
    warning = forms.ChoiceField(
        label=_("时限"), required=False, choices=[("", _("全部")), *WARNINGS]
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=[("", _("全部")), *Urgency.choices]
    )
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("工单编号或内容")}),
    )

    def cleaned(self) -> dict[str, str]:
        """The valid filters (an invalid one is ignored, as if it were not given)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: str(data.get(name) or "").replace("\x00", "").strip()
            for name in self.fields
            if name not in self.errors and data.get(name)
        }


class ActionForm(forms.Form):
    """The ticket page holds several forms: each gets ids of its own (``<prefix>_reason``)."""

    id_prefix = "action"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RevealPhoneForm(ActionForm):
    id_prefix = "reveal"

    purpose = forms.CharField(
        label=_("查看事由"),
        max_length=MAX_PURPOSE_CHARS,
        help_text=_("查看完整号码会记录在案，来电人可以看到。"),
        widget=forms.TextInput(attrs={"placeholder": _("如：联系来电人核实现场情况")}),
    )


class ReturnForm(ActionForm):
    id_prefix = "return"

    reason = forms.CharField(
        label=_("退单理由"),
        max_length=MAX_REASON_CHARS,
        help_text=_("说明为何不属于本单位职责，以及建议的承办单位。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtendForm(ActionForm):
    id_prefix = "extend"

    amount = forms.TypedChoiceField(
        label=_("延期天数（工作日）"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, EXTENSION_LIMIT + 1)],
    )
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(ActionForm):
    id_prefix = "answer"

    text = forms.CharField(
        label=_("答复内容"),
        max_length=MAX_CONTENT_CHARS,
        help_text=_("答复内容将告知来电人，请写明办理过程和结果。"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
