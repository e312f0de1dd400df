"""Admin for e-licence types (the system administrator maintains them, 三员分立).

Licences themselves are not edited here: issuance and status changes go through the audited
services (the staff pages under /licences/manage/). A type in use is never deleted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from yiwang.licences.models import LicenceType

FIELD_TYPES = ("string", "date", "text")


class LicenceTypeForm(forms.ModelForm):
    class Meta:
        model = LicenceType
        fields = (
            "code",
            "key",
            "name",
            "holder_kind",
            "validity_years",
            "fields",
            "description",
            "is_active",
        )

    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code") or "").strip().upper()
        if not code or not code.isalnum() or not code.isascii():
            raise forms.ValidationError(_("证照类型代码只能由数字和大写字母组成。"))
        return code

    def clean_fields(self) -> Any:  # the model field named "fields"
        value = self.cleaned_data.get("fields")
        if not isinstance(value, list):
            raise forms.ValidationError(_("内容字段应为列表。"))
        keys: set[str] = set()
        for i, spec in enumerate(value, start=1):
            if not isinstance(spec, dict) or not spec.get("key") or not spec.get("label"):
                raise forms.ValidationError(_("第 %(n)d 个字段须包含 key 和 label。") % {"n": i})
            if spec.get("type", "string") not in FIELD_TYPES:
                raise forms.ValidationError(
                    _("第 %(n)d 个字段的类型应为 string、date 或 text。") % {"n": i}
                )
            if spec["key"] in keys:
                raise forms.ValidationError(_("字段标识重复：%(key)s") % {"key": spec["key"]})
            keys.add(spec["key"])
        return value


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    form = LicenceTypeForm
    list_display = ("name", "code", "holder_kind", "validity_years", "is_active")
    list_filter = ("holder_kind", "is_active")
    search_fields = ("name", "code", "key")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
