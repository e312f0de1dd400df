"""Admin for the catalogue (the system administrator maintains it, 三员分立).

Drafts are edited here; the form runs the quality rules (``yiwang.catalog.quality``) and shows
every rejecting rule on its field, flags as warnings after saving. Published, superseded and
retired versions are read-only: the actions "发布" / "起草新版本" / "暂停办理" / "取消" go through the
audited services, so versioning and the ledger hold for the admin too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.catalog import quality, services
from yiwang.catalog.models import Bundle, BundleMember, ItemStatus, Material, ServiceItem
from yiwang.catalog.search import index_text
from yiwang.core.errors import DomainError


class ServiceItemForm(forms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = (*services.ITEM_FIELDS, "department", "region")

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        self.quality_flags: list[quality.Issue] = []
        for issue in quality.check_item(self.instance):
            if issue.severity == quality.REJECT:
                field = issue.field if issue.field in self.fields else None
                self.add_error(field, issue.message)
            else:
                self.quality_flags.append(issue)


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ("order", *services.MATERIAL_FIELDS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        editable = obj is None or obj.status == ItemStatus.DRAFT
        return editable and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        editable = obj is None or obj.status == ItemStatus.DRAFT
        return editable and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        editable = obj is None or obj.status == ItemStatus.DRAFT
        return editable and super().has_delete_permission(request, obj)


def _run(request: HttpRequest, queryset: QuerySet[ServiceItem], action: Any, done: str) -> None:
    count = 0
    for item in queryset:
        try:
            action(item)
            count += 1
        except DomainError as error:
            messages.error(request, f"{item}：{error.message}")
    if count:
        messages.success(request, done % {"n": count})


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin[ServiceItem]):
    form = ServiceItemForm
    inlines = (MaterialInline,)
    list_display = (
        "name",
        "implementation_code",
        "version",
        "status",
        "department",
        "handling_type",
        "promised_limit",
        "legal_limit",
    )
    list_filter = ("status", "item_type", "handling_type", "online_depth")
    search_fields = ("name", "implementation_code", "base_code", "search_text")
    list_select_related = ("department",)
    autocomplete_fields = ()
    actions = ("publish", "new_version", "suspend", "retire")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ItemStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ItemStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ServiceItem, form: forms.ModelForm, change: bool
    ) -> None:
        if obj.pk is None:
            obj.status = ItemStatus.DRAFT
            latest = (
                services.ServiceItem.objects.filter(implementation_code=obj.implementation_code)
                .order_by("-version")
                .first()
            )
            obj.version = latest.version + 1 if latest else 1
        obj.search_text = index_text(obj.name, obj.keywords, obj.summary, obj.department.name)
        super().save_model(request, obj, form, change)
        services.record_item_event(
            request.user, obj, "updated" if change else "drafted", via="admin"
        )
        for issue in getattr(form, "quality_flags", []):
            messages.warning(request, issue.message)

    @admin.action(description=_("发布所选草稿"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        _run(
            request,
            queryset,
            lambda item: services.publish_item(request.user, item),
            gettext("已发布 %(n)s 个事项。"),
        )

    @admin.action(description=_("为所选事项起草新版本"), permissions=["add"])
    def new_version(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        _run(
            request,
            queryset,
            lambda item: services.draft_new_version(request.user, item.implementation_code),
            gettext("已起草 %(n)s 个新版本。"),
        )

    @admin.action(description=_("暂停办理所选事项"), permissions=["add"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        _run(
            request,
            queryset,
            lambda item: services.suspend_item(request.user, item, gettext("管理员暂停")),
            gettext("已暂停 %(n)s 个事项。"),
        )

    @admin.action(description=_("取消所选事项"), permissions=["add"])
    def retire(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        _run(
            request,
            queryset,
            lambda item: services.retire_item(request.user, item, gettext("管理员取消")),
            gettext("已取消 %(n)s 个事项。"),
        )


class BundleMemberInline(admin.TabularInline):
    model = BundleMember
    extra = 1
    fields = ("order", "implementation_code", "optional")


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin[Bundle]):
    inlines = (BundleMemberInline,)
    list_display = ("name", "code", "department", "promised_limit", "is_published")
    search_fields = ("name", "code")
    exclude = ("search_text",)

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        bundle = form.instance
        # Re-save through the service: members checked, search text rebuilt, ledger entry.
        data = {
            "code": bundle.code,
            "name": bundle.name,
            "summary": bundle.summary,
            "audience": bundle.audience,
            "department": bundle.department,
            "promised_limit": bundle.promised_limit,
            "is_published": bundle.is_published,
            "members": [
                {"implementation_code": m.implementation_code, "optional": m.optional}
                for m in bundle.members.all()
            ],
        }
        try:
            services.create_or_update_bundle(request.user, data)
        except DomainError as error:
            messages.warning(request, error.message)
