"""Forms of the bad-review pages (差评整改) of the rated departments and the supervising office:
the worklist's tab, the rater's phone for a stated purpose, and one form per step of the loop —
回访, 立即整改, 限期整改 (a plan and 1 to the deployment's limit of working days), 整改完成,
说明解释, 申诉恶意差评, and the supervisor's decision on an appeal. They check shape only; the
services decide (empty text, the state, who may act, the deadline's upper bound)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.ratings.selectors import MAX_PURPOSE_CHARS
from yiwang.ratings.services import MAX_NOTE, rectify_limit

TABS = (
    ("callback", _("待回访")),
    ("rectifying", _("整改中")),
    ("appeal", _("申诉审核")),
    ("closed", _("已办结")),
)


class WorklistFilterForm(forms.Form):
    tab = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *TABS])
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("办件或工单编号")}),
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
    """The review page holds several forms: each gets ids of its own (``<prefix>_note``)."""

    id_prefix = "action"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _text(label: Any, help_text: Any = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_NOTE,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RevealPhoneForm(ActionForm):
    id_prefix = "phone"

    purpose = forms.CharField(
        label=_("查看事由"),
        max_length=MAX_PURPOSE_CHARS,
        help_text=_("查看联系电话会记录在案，评价人可以在个人信息访问记录中看到。"),
        widget=forms.TextInput(attrs={"placeholder": _("如：差评回访，了解具体问题")}),
    )


class CallBackForm(ActionForm):
    id_prefix = "call_back"

    note = _text(_("回访情况"), _("与评价人沟通的情况：反映的问题、诉求和沟通结果。"))


class FixNowForm(ActionForm):
    id_prefix = "fix_now"

    note = _text(_("立即整改情况"), _("已当场解决的问题和措施，将告知评价人。"))


class StartRectificationForm(ActionForm):
    id_prefix = "start_rectification"

    plan = _text(_("整改措施"), _("需要一段时间整改的问题、措施和责任人。"))
    working_days = forms.IntegerField(label=_("整改期限（工作日）"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = rectify_limit().amount  # the deployment's limit, read on each use
        self.fields["working_days"] = forms.IntegerField(
            label=_("整改期限（工作日）"),
            min_value=1,
            max_value=limit,
            initial=limit,
            help_text=_("1至%(n)s个工作日，默认%(n)s个工作日。") % {"n": limit},
        )


class CompleteRectificationForm(ActionForm):
    id_prefix = "complete_rectification"

    report = _text(_("整改情况"), _("整改的结果，将告知评价人。"))


class ExplainForm(ActionForm):
    id_prefix = "explain"

    explanation = _text(_("说明解释"), _("无需整改的理由（如法律法规的要求），将告知评价人。"))


class AppealForm(ActionForm):
    id_prefix = "appeal"

    reason = _text(_("申诉理由"), _("认为属于恶意差评的事实和依据，由政务服务管理部门审核。"))


class DecideAppealForm(ActionForm):
    id_prefix = "decide"

    note = _text(_("审核意见"), _("申诉成立的，该评价不计入统计；不成立的，由部门继续整改或说明。"))
