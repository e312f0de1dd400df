"""Admin for the working-day calendar.

Admins add the next year's holidays and make-up workdays (调休) when the State Council publishes
them, then confirm the year (action "确认所选年度"). Every change goes through the audited services
in ``yiwang.core.calendar``; an edited day is marked ``source=admin`` and no later seed undoes it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.core.calendar import (
    confirm_calendar_year,
    delete_calendar_day,
    set_calendar_day,
    special_day_counts,
    unconfirm_calendar_year,
)
from yiwang.core.errors import DomainError
from yiwang.core.ledger import record_event
from yiwang.core.models.calendar import WEEKDAY_NAMES, CalendarDay, CalendarYear


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


class YearFilter(admin.SimpleListFilter):
    title = _("年度")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarYear.objects.order_by("-year").values_list("year", flat=True)
        return [(str(y), str(y)) for y in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ("date", "weekday", "kind", "is_working_day", "holiday_name", "source", "note")
    list_filter = (YearFilter, "kind", "source", "is_working_day")
    date_hierarchy = "date"
    search_fields = ("holiday_name", "note")
    fields = ("date", "kind", "holiday_name", "note", "is_working_day", "source", "updated_at")
    ordering = ("-date",)
    list_per_page = 62

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAY_NAMES[obj.date.weekday()])

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> Any:
        readonly = ("is_working_day", "source", "updated_at")
        return ("date", *readonly) if obj is not None else readonly

    def save_model(
        self, request: HttpRequest, obj: CalendarDay, form: ModelForm[CalendarDay], change: bool
    ) -> None:
        saved = set_calendar_day(
            day=obj.date,
            kind=obj.kind,
            holiday_name=obj.holiday_name,
            note=obj.note,
            actor=_actor(request),
        )
        obj.pk = saved.pk
        obj.source = saved.source
        obj.is_working_day = saved.is_working_day

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        delete_calendar_day(day=obj.date, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset.values_list("date", flat=True):
            delete_calendar_day(day=day, actor=_actor(request))


class _YearChangeList(ChangeList):
    """Attaches each listed year's holiday and make-up day counts (one query for the page)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        counts = special_day_counts([obj.year for obj in self.result_list])
        for obj in self.result_list:
            obj.holiday_count, obj.makeup_count = counts.get(obj.year, (0, 0))


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    list_display = (
        "year",
        "confirmed",
        "holidays",
        "makeup_workdays",
        "confirmed_by",
        "confirmed_at",
        "note",
    )
    list_filter = ("confirmed",)
    fields = ("year", "note", "confirmed", "confirmed_by", "confirmed_at")
    readonly_fields = ("confirmed", "confirmed_by", "confirmed_at")
    actions = ("confirm_years", "unconfirm_years")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _YearChangeList

    @admin.display(description=_("节假日天数"))
    def holidays(self, obj: CalendarYear) -> int:
        return int(getattr(obj, "holiday_count", 0))

    @admin.display(description=_("调休上班天数"))
    def makeup_workdays(self, obj: CalendarYear) -> int:
        return int(getattr(obj, "makeup_count", 0))

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> Any:
        readonly = tuple(self.readonly_fields)
        return ("year", *readonly) if obj is not None else readonly

    def save_model(
        self, request: HttpRequest, obj: CalendarYear, form: ModelForm[CalendarYear], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        record_event(
            actor=_actor(request),
            action="calendar.year_saved",
            object_type="core.calendaryear",
            object_id=str(obj.year),
            payload={"note": obj.note},
        )

    def has_delete_permission(self, request: HttpRequest, obj: CalendarYear | None = None) -> bool:
        return False  # withdraw a confirmation instead; the row keeps the history of the year

    @admin.action(description=_("确认所选年度"), permissions=["change"])
    def confirm_years(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in queryset.order_by("year").values_list("year", flat=True):
            try:
                confirm_calendar_year(
                    year=year, actor=_actor(request), confirmed_by=request.user.get_username()
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request, gettext("%(year)s 年度日历已确认。") % {"year": year}, messages.SUCCESS
                )

    @admin.action(description=_("撤销所选年度的确认"), permissions=["change"])
    def unconfirm_years(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in queryset.order_by("year").values_list("year", flat=True):
            try:
                unconfirm_calendar_year(
                    year=year, actor=_actor(request), reason=gettext("管理员在后台撤销确认")
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request,
                    gettext("%(year)s 年度日历已改为暂定。") % {"year": year},
                    messages.SUCCESS,
                )
