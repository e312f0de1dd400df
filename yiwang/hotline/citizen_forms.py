"""The citizen's web submission of a 12345 demand (网上诉求).

Validated at the edge, field by field, so that every problem is listed at once: the content (HTML
stripped; empty, emoji-only or longer than ``MAX_CONTENT_CHARS`` refused), the region (one of the
current regions in the select), the address, the contact phone, the coordinates (both or neither,
numbers in range) and up to ``MAX_ATTACHMENTS`` photos or PDFs, each checked by its content with
``core.uploads.check_upload`` (the name and the declared type decide nothing). The intake service
checks the text fields again when it stores the ticket.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Person, Region
from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import validate_contact_phone
from yiwang.core.uploads import MIB, CheckedUpload, check_upload, sanitize_filename
from yiwang.hotline.models import TicketType
from yiwang.hotline.services import MAX_CONTENT_CHARS, clean_content

MAX_ATTACHMENTS = 3
ATTACHMENT_MAX_BYTES = 10 * MIB
ATTACHMENT_KINDS = frozenset({"jpeg", "png", "pdf"})
MAX_ADDRESS_CHARS = 255
ACCEPT = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` gives a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def region_choices(extra: Region | None = None) -> list[tuple[str, Any]]:
    """The current districts, townships and villages, grouped by district (one query)."""
    regions = list(
        Region.objects.filter(
            valid_to__isnull=True,
            level__in=(Region.Level.DISTRICT, Region.Level.TOWNSHIP, Region.Level.VILLAGE),
        ).order_by("code")
    )
    if extra is not None and extra.level != Region.Level.CITY and extra not in regions:
        regions.append(extra)
    names = {r.code: r.name for r in regions}
    groups: dict[str, list[tuple[str, str]]] = {}
    for region in sorted(regions, key=lambda r: r.code):
        district = region.code[:6] + "000000"
        group = names.get(district, district)
        if region.level == Region.Level.DISTRICT:
            label = _("%(name)s（全区）") % {"name": region.name}
        elif region.level == Region.Level.TOWNSHIP:
            label = region.name
        else:
            township = names.get(region.code[:9] + "000", "")
            label = f"{township} · {region.name}" if township else region.name
        groups.setdefault(group, []).append((region.code, label))
    return [("", gettext_lazy("请选择")), *groups.items()]


def _coordinate(value: str, low: int, high: int) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not low <= number <= high:
        return None
    return number


class TicketSubmissionForm(forms.Form):
    form_token = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$")],
        error_messages={"required": gettext_lazy("页面已过期，请重新提交。")},
    )
    type = forms.ChoiceField(
        label=gettext_lazy("诉求类型"),
        choices=TicketType.choices,
        widget=forms.RadioSelect,
        initial=TicketType.COMPLAINT,
    )
    content = forms.CharField(
        label=gettext_lazy("诉求内容"),
        help_text=gettext_lazy("请写明发生了什么、在哪里、从何时开始，以及您希望如何解决。"),
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        error_messages={"required": gettext_lazy("请填写诉求内容（须包含文字或数字）。")},
    )
    region = forms.ChoiceField(
        label=gettext_lazy("所在区域"),
        error_messages={"required": gettext_lazy("请选择诉求发生的区域。")},
    )
    address = forms.CharField(
        label=gettext_lazy("详细地址"),
        required=False,
        help_text=gettext_lazy("如：湖滨路18号3幢楼下。"),
        widget=forms.TextInput(attrs={"maxlength": MAX_ADDRESS_CHARS}),
    )
    latitude = forms.CharField(
        label=gettext_lazy("纬度（选填）"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.CharField(
        label=gettext_lazy("经度（选填）"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("经纬度须同时填写，如 30.274150 和 120.155150。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("联系电话"),
        max_length=30,
        help_text=gettext_lazy("承办单位可能需要联系您核实情况；号码对工作人员部分隐藏。"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"required": gettext_lazy("请填写联系电话。")},
    )
    attachments = MultipleFileField(
        label=gettext_lazy("照片或材料（选填）"),
        required=False,
        error_messages={"empty": gettext_lazy("文件是空的，请重新选择。")},
        help_text=gettext_lazy("最多3个文件，支持 JPEG、PNG 图片和 PDF，每个不超过 10 MB。"),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ChoiceField)
        region_field.choices = region_choices(person.region)
        self.checked_uploads: list[tuple[Any, CheckedUpload]] = []

    def clean_content(self) -> str:
        raw = self.cleaned_data.get("content") or ""
        if len(raw) > MAX_CONTENT_CHARS * 10:  # never run the HTML stripping over megabytes
            raise forms.ValidationError(
                _("诉求内容过长，最多%(max)s个字。") % {"max": MAX_CONTENT_CHARS}
            )
        text = clean_content(raw)
        if len(text) > MAX_CONTENT_CHARS:
            raise forms.ValidationError(
                _("诉求内容过长，最多%(max)s个字。") % {"max": MAX_CONTENT_CHARS}
            )
        if not any(ch.isalnum() for ch in text):  # letters, digits and CJK; emoji are not
            raise forms.ValidationError(_("请填写诉求内容（须包含文字或数字）。"))
        return text

    def clean_address(self) -> str:
        address = clean_content(self.cleaned_data.get("address") or "")
        if len(address) > MAX_ADDRESS_CHARS:
            raise forms.ValidationError(
                _("地址过长，最多%(max)s个字。") % {"max": MAX_ADDRESS_CHARS}
            )
        return address

    def clean_phone(self) -> str:
        try:
            return validate_contact_phone(self.cleaned_data.get("phone"), field="phone")
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from error

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("最多上传%(max)s个文件。") % {"max": MAX_ATTACHMENTS})
        problems: list[str] = []
        checked: list[tuple[Any, CheckedUpload]] = []
        for upload in files:
            try:
                result = check_upload(
                    upload,
                    allowed=ATTACHMENT_KINDS,
                    max_bytes=ATTACHMENT_MAX_BYTES,
                    field="attachments",
                )
            except ValidationFailed as error:
                problems.append(
                    _("%(name)s：%(message)s")
                    % {"name": _display_name(upload), "message": error.message}
                )
            else:
                checked.append((upload, result))
        if problems:
            raise forms.ValidationError(problems)
        self.checked_uploads = checked
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        latitude = (data.get("latitude") or "").strip()
        longitude = (data.get("longitude") or "").strip()
        data["latitude"] = data["longitude"] = None
        if bool(latitude) != bool(longitude):
            self.add_error(
                "latitude" if not latitude else "longitude",
                _("经纬度须同时填写或同时不填。"),
            )
        elif latitude:
            lat = _coordinate(latitude, -90, 90)
            lon = _coordinate(longitude, -180, 180)
            if lat is None:
                self.add_error("latitude", _("纬度应为−90至90之间的数字。"))
            if lon is None:
                self.add_error("longitude", _("经度应为−180至180之间的数字。"))
            data["latitude"], data["longitude"] = lat, lon
        return data

    # Names of the service's error fields → the form's fields.
    SERVICE_FIELDS = {"region_code": "region", "caller_phone": "phone"}

    def field_for_error(self, name: str | None) -> str | None:
        name = self.SERVICE_FIELDS.get(name or "", name or "")
        return name if name in self.fields else None


def _display_name(upload: Any) -> str:
    return sanitize_filename(getattr(upload, "name", ""))
