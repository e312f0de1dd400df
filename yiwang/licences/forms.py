"""Forms of the e-licence pages: share links, status changes, verification (by id or by file) and
by-hand issuance (a type selector, then a form built from the type's fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.licences import states, verification
from yiwang.licences.models import LicenceStatus, LicenceType

SHARE_DURATIONS = (
    (1, _("1 小时")),
    (24, _("1 天")),
    (24 * 7, _("7 天")),
    (24 * 30, _("30 天")),
)
CONTENT_PREFIX = "content_"


class ShareLinkForm(forms.Form):
    hours = forms.TypedChoiceField(
        label=_("有效期"), choices=SHARE_DURATIONS, coerce=int, initial=24
    )


class StatusChangeForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[(t.action, t.label) for t in states.TRANSITIONS.values()],
    )
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerifyForm(forms.Form):
    """Type a licence id, or upload the licence's PDF or JSON file (one of the two)."""

    licence_id = forms.CharField(
        label=_("证照标识"),
        max_length=120,
        required=False,
        help_text=_("例如 1.2.156.3005.2.…，见证照右下角或二维码下方。"),
    )
    file = forms.FileField(
        label=_("或上传证照文件"),
        required=False,
        help_text=_("本平台出具的 PDF 版式文件或 JSON 签名数据，不超过 5 MB。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.json,application/pdf,application/json"}
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        licence_id = (data.get("licence_id") or "").strip()
        upload = data.get("file")
        if not licence_id and not upload:
            raise forms.ValidationError(_("请输入证照标识，或上传证照文件。"))
        if licence_id and upload:
            raise forms.ValidationError(_("请只选择一种核验方式：输入证照标识或上传文件。"))
        if upload is not None and upload.size > verification.MAX_UPLOAD_BYTES:
            self.add_error("file", _("文件不能超过 %(limit)s MB。") % {"limit": 5})
        data["licence_id"] = licence_id
        return data


class IssueTypeForm(forms.Form):
    """Step one of by-hand issuance: which kind of licence."""

    type = forms.ModelChoiceField(
        label=_("证照类型"),
        queryset=LicenceType.objects.none(),
        to_field_name="code",
        empty_label=_("请选择"),
    )

    def __init__(self, *args: Any, types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types  # type: ignore[attr-defined]


def _content_field(spec: dict[str, Any]) -> forms.Field:
    kw: dict[str, Any] = {
        "label": spec.get("label") or spec.get("key"),
        "required": bool(spec.get("required")),
    }
    kind = spec.get("type")
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kw)
    if kind == "text":
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **kw)
    return forms.CharField(max_length=200, **kw)


def content_field_name(key: str) -> str:
    return CONTENT_PREFIX + key


class IssueForm(forms.Form):
    """Step two: the holder, the issuing department and the type's content fields."""

    type = forms.CharField(widget=forms.HiddenInput)
    form_token = forms.CharField(widget=forms.HiddenInput)
    holder_id = forms.CharField(
        label=_("持证主体证件号"),
        max_length=18,
        help_text=_("自然人填写居民身份证号，企业填写统一社会信用代码。"),
    )
    issuer = forms.TypedChoiceField(label=_("签发部门"), coerce=int, choices=())
    case_number = forms.CharField(
        label=_("关联办件编号"), max_length=64, required=False, help_text=_("可不填。")
    )

    def __init__(
        self, *args: Any, licence_type: LicenceType, issuers: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.licence_type = licence_type
        self.fields["issuer"].choices = [(d.pk, d.name) for d in issuers]  # type: ignore[attr-defined]
        if len(issuers) == 1:
            self.fields["issuer"].initial = issuers[0].pk
        for spec in licence_type.fields or []:
            self.fields[content_field_name(spec["key"])] = _content_field(spec)

    def content(self) -> dict[str, Any]:
        """The content fields as the service takes them (dates as ISO text, blanks left out)."""
        out: dict[str, Any] = {}
        for spec in self.licence_type.fields or []:
            value = self.cleaned_data.get(content_field_name(spec["key"]))
            if value in (None, ""):
                continue
            out[spec["key"]] = value.isoformat() if hasattr(value, "isoformat") else value
        return out

    def field_for_error(self, field: str | None) -> str | None:
        """The form field a service error names (``content.<key>``, ``holder_id``…), if any."""
        if not field:
            return None
        if field.startswith("content."):
            name = content_field_name(field.removeprefix("content."))
        else:
            name = {"holder": "holder_id", "licence_type": "type"}.get(field, field)
        return name if name in self.fields and name not in ("type", "form_token") else None


class ManageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *LicenceStatus.choices]
    )
    type = forms.ChoiceField(label=_("证照类型"), required=False, choices=())

    def __init__(self, *args: Any, types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("全部")), *((t.code, t.name) for t in types)]  # type: ignore[attr-defined]


class CaseLicenceLookupForm(forms.Form):
    """一证通办 for a clerk: whose licences (the applicant's or the applying enterprise's) and
    why (申请事由, bound to the case and shown to the holder)."""

    party = forms.ChoiceField(label=_("调取对象"), choices=())
    purpose = forms.CharField(
        label=_("申请事由"),
        max_length=200,
        initial=_("审查办件材料"),
        help_text=_("必填，不超过 200 字；持证人可在“我的证照”中看到每一次调用及事由。"),
    )

    def __init__(self, *args: Any, has_enterprise: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("applicant", _("申请人"))]
        if has_enterprise:
            choices.append(("enterprise", _("申请企业")))
        self.fields["party"].choices = choices  # type: ignore[attr-defined]
