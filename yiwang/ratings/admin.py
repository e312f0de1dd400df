"""Admin for the counter windows (服务窗口): the system administrator maintains them (三员分立).
Ratings and bad reviews are not edited here: they change only through the audited services. A
window that was rated is deactivated, never deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yiwang.ratings.models import ServiceWindow


@admin.register(ServiceWindow)
class ServiceWindowAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "department__name")
    ordering = ("code",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
