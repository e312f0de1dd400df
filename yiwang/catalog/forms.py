"""Forms of the catalogue pages: the public search (a GET form that works without JavaScript)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department
from yiwang.catalog.models import ItemStatus, ItemType


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索事项"),
        required=False,
        max_length=100,
        help_text=_("可输入事项名称、关键词、拼音或繁体字，例如“营业执照”或“yingyezhizhao”。"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    department = forms.ModelChoiceField(
        label=_("实施部门"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_("全部部门"),
    )
    type = forms.ChoiceField(
        label=_("事项类型"),
        required=False,
        choices=[("", _("全部类型")), *ItemType.choices],
    )
    audience = forms.ChoiceField(
        label=_("服务对象"),
        required=False,
        choices=[("", _("全部")), ("person", _("个人办事")), ("enterprise", _("法人办事"))],
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (
            Department.objects.filter(  # type: ignore[attr-defined]
                service_items__status=ItemStatus.PUBLISHED
            )
            .distinct()
            .order_by("name")
        )
