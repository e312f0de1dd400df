"""Working-day calendar (工作日历): one row per day that an authority has decided, one row per year.

- ``CalendarDay``: the status of one date. Seeded from ``chinesecalendar`` (every day of the years
  it covers, ``source=seeded``); added or edited by admins (``source=admin``, never overwritten by a
  later seed). A date without a row in a *confirmed* year follows the weekday rule (Monday–Friday
  work), so an admin preparing a new year only enters its holidays and make-up workdays (调休).
- ``CalendarYear``: whether a year's arrangement is confirmed (the State Council has published it
  and an admin, or the seed, has entered it). A year that is missing or unconfirmed is
  *provisional*: its rows are drafts and are ignored; working days there are Monday–Friday.
  ``revision`` changes whenever a day of the year changes: the in-process cache of
  ``yiwang.core.calendar`` is keyed by it, so every process sees a change after one small query.

Writes go through ``yiwang.core.calendar`` (audited services); the signal receivers below only keep
``revision`` right when a row is saved or deleted some other way (shell, fixtures).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

__all__ = ["CalendarDay", "CalendarYear", "new_revision"]

WEEKDAY_NAMES = (
    _("星期一"),
    _("星期二"),
    _("星期三"),
    _("星期四"),
    _("星期五"),
    _("星期六"),
    _("星期日"),
)


def new_revision() -> str:
    return uuid.uuid4().hex


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        WORKDAY = "workday", _("工作日")
        WEEKEND = "weekend", _("周末休息日")
        HOLIDAY = "holiday", _("法定节假日")
        MAKEUP_WORKDAY = "makeup_workday", _("调休上班日")

    class Source(models.TextChoices):
        SEEDED = "seeded", _("初始数据（chinesecalendar）")
        ADMIN = "admin", _("管理员维护")

    WORKING_KINDS = frozenset({Kind.WORKDAY, Kind.MAKEUP_WORKDAY})

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    is_working_day = models.BooleanField(_("是否工作日"), editable=False)
    holiday_name = models.CharField(_("节日名称"), max_length=100, blank=True)
    source = models.CharField(
        _("来源"), max_length=16, choices=Source.choices, default=Source.SEEDED, editable=False
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历日期")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["workday", "makeup_workday"], is_working_day=True)
                    | models.Q(kind__in=["weekend", "holiday"], is_working_day=False)
                ),
                name="calendar_day_kind_matches_working",
            )
        ]

    def __str__(self) -> str:
        label = self.holiday_name or self.get_kind_display()
        return f"{self.date.isoformat()} {WEEKDAY_NAMES[self.date.weekday()]} {label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.is_working_day = self.kind in self.WORKING_KINDS
        super().save(*args, **kwargs)

    @property
    def year(self) -> int:
        return self.date.year

    def clean(self) -> None:
        super().clean()
        self.is_working_day = self.kind in self.WORKING_KINDS
        if self.date is None or not self.kind:
            return
        weekend = self.date.weekday() >= 5
        if self.kind == self.Kind.WORKDAY and weekend:
            raise ValidationError(
                {"kind": _("周六、周日上班应标为“调休上班日”。")}, code="workday_on_weekend"
            )
        if self.kind in (self.Kind.WEEKEND, self.Kind.MAKEUP_WORKDAY) and not weekend:
            raise ValidationError(
                {"kind": _("周一至周五不能标为“周末休息日”或“调休上班日”。")},
                code="weekend_kind_on_weekday",
            )


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    confirmed = models.BooleanField(_("已确认"), default=False)
    confirmed_by = models.CharField(_("确认人"), max_length=150, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(
        _("说明"), max_length=300, blank=True, help_text=_("例如国务院办公厅通知的文号。")
    )
    revision = models.CharField(_("版本标识"), max_length=32, default=new_revision, editable=False)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        state = _("已确认") if self.confirmed else _("暂定")
        return f"{self.year}（{state}）"


def touch_calendar_year(year: int, *, using: str = "default") -> None:
    """Give ``year`` a new revision (creating an unconfirmed year row if there is none)."""
    updated = CalendarYear.objects.using(using).filter(year=year).update(revision=new_revision())
    if not updated:
        CalendarYear.objects.using(using).get_or_create(year=year)


@receiver(post_save, sender=CalendarDay, dispatch_uid="core.calendar_day_saved")
def _calendar_day_saved(
    sender: type[CalendarDay], instance: CalendarDay, using: str, raw: bool = False, **_: Any
) -> None:
    if raw:  # loaddata: the fixture brings its own years
        return
    touch_calendar_year(_as_date(instance.date).year, using=using)


@receiver(post_delete, sender=CalendarDay, dispatch_uid="core.calendar_day_deleted")
def _calendar_day_deleted(
    sender: type[CalendarDay], instance: CalendarDay, using: str, **_: Any
) -> None:
    touch_calendar_year(_as_date(instance.date).year, using=using)


def _as_date(value: datetime.date | str) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value
