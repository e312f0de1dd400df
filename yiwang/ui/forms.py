"""A sample form for the design-system page: every kind of field the platform's forms use."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class SampleApplicationForm(forms.Form):
    name = forms.CharField(
        label=_("申请人姓名"), max_length=50, help_text=_("与身份证件上的姓名一致。")
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=11,
        validators=[RegexValidator(r"^1\d{10}$", _("请输入11位手机号。"))],
    )
    item_type = forms.ChoiceField(
        label=_("事项类型"),
        choices=[("", _("请选择")), ("permit", _("行政许可")), ("service", _("公共服务"))],
    )
    delivery = forms.ChoiceField(
        label=_("结果领取方式"),
        choices=[("online", _("电子证照")), ("post", _("邮寄送达")), ("window", _("窗口领取"))],
        widget=forms.RadioSelect,
        initial="online",
    )
    note = forms.CharField(label=_("补充说明"), required=False, widget=forms.Textarea)
    consent = forms.BooleanField(label=_("我承诺所填信息真实有效"))
