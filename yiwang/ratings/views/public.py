"""The public 好差评 page (/ratings/public/): anyone, signed in or not, reads the indicators of a
period per department with the ranking, the best and worst rated items, and the method.

The department table is the source of truth; the ECharts charts under it are drawn by a static
script (``ratings/public_charts.js``) from the same numbers (``json_script``), hidden from
assistive technology and without JavaScript. Nothing personal is shown: no rater, no staff
member, no window clerk — only departments and items (staff indicators stay in
``yiwang.ratings.indicators`` for leaders' pages).

The page is the same for everyone: the numbers of a period are kept in the cache for
``YIWANG_RATING_PUBLIC_CACHE_SECONDS`` (300; 0 turns it off). A report computed inside a
transaction is kept only once that transaction commits (as ``yiwang.core.localcache`` does).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yiwang.ratings import indicators as ind

MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
ITEMS_SHOWN = 5
CACHE_VERSION = 1
CUSTOM = "custom"

PRESET_LABELS = {
    ind.MONTH: gettext_lazy("本月"),
    ind.LAST_MONTH: gettext_lazy("上月"),
    ind.QUARTER: gettext_lazy("本季度"),
    ind.YEAR: gettext_lazy("本年"),
}


def cache_seconds() -> int:
    return int(getattr(settings, "YIWANG_RATING_PUBLIC_CACHE_SECONDS", 300))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _chart_value(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


# --------------------------------------------------------------------------- the period


class PeriodForm(forms.Form):
    """A preset period (本月, 上月, 本季度, 本年) or two dates (both included)."""

    period = forms.ChoiceField(
        label=gettext_lazy("统计期间"),
        required=False,
        choices=[*PRESET_LABELS.items(), (CUSTOM, gettext_lazy("自定义"))],
    )
    start = forms.DateField(
        label=gettext_lazy("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        period = data.get("period") or ""
        start, end = data.get("start"), data.get("end")
        if period == CUSTOM or (not period and (start or end)):
            if not start or not end:
                raise ValidationError(_("自定义期间请填写起始日期和截止日期。"))
            if min(start, end) < EARLIEST or max(start, end) > LATEST:
                raise ValidationError(
                    _("日期须在%(earliest)s至%(latest)s之间。")
                    % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
                )
            if end < start:
                raise ValidationError(_("截止日期不能早于起始日期。"))
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(_("统计期间最长%(days)s天。") % {"days": MAX_DAYS})
            data.update(period=CUSTOM, first=start, last=end)
        else:
            period = period or ind.MONTH
            first, last = ind.preset_period(period, timezone.localdate())
            data.update(period=period, first=first, last=last)
        return data


def _default_period() -> tuple[str, dt.date, dt.date]:
    first, last = ind.preset_period(ind.MONTH, timezone.localdate())
    return ind.MONTH, first, last


# --------------------------------------------------------------------------- the report


def _compute(first: dt.date, last: dt.date) -> dict[str, Any]:
    start, end = ind.day_bounds(first, last)
    departments = ind.indicators(start, end, by=ind.BY_DEPARTMENT)
    items = ind.indicators(start, end, by=ind.BY_ITEM)
    minimum = ind.rank_minimum()
    top, bottom = ind.top_and_bottom(items, count=ITEMS_SHOWN, minimum=minimum)
    return {
        "ranking": ind.rank(departments, minimum=minimum),
        "total": ind.total(departments),
        "top_items": top,
        "bottom_items": bottom,
        "items_counted": len(items),
        "minimum": minimum,
    }


def public_report(first: dt.date, last: dt.date) -> dict[str, Any]:
    """The numbers of the days ``first``..``last``: from the cache, or computed and cached."""
    seconds = cache_seconds()
    if seconds <= 0:
        return _compute(first, last)
    key = f"ratings:public:v{CACHE_VERSION}:{first.isoformat()}:{last.isoformat()}"
    found = cache.get(key)
    if found is not None:
        return found
    report = _compute(first, last)
    if connection.in_atomic_block:
        # Kept once what it was read from is committed; a rollback forgets it.
        connection.on_commit(lambda: cache.set(key, report, seconds))
    else:
        cache.set(key, report, seconds)
    return report


def _department_row(ranked: ind.Ranked) -> dict[str, Any]:
    row = ranked.row
    return {
        "position": ranked.position,
        "name": row.name,
        "row": row,
        "good_rate": percent(row.good_rate),
        "active_good_rate": percent(row.active_good_rate),
        "unrated_rate": percent(row.unrated_rate),
        "rectification_rate": percent(row.rectification_rate),
        "callback_rate": percent(row.callback_rate),
    }


def _item_row(ranked: ind.Ranked) -> dict[str, Any]:
    return {
        "position": ranked.position,
        "name": ranked.row.name,
        "code": ranked.row.key,
        "ratings": ranked.row.ratings,
        "good_rate": percent(ranked.row.good_rate),
    }


def _charts(ranking: list[ind.Ranked]) -> dict[str, Any]:
    rows = [r.row for r in ranking]

    def series(name: str, values: list[float | None]) -> dict[str, Any]:
        return {"name": name, "data": [_chart_value(v) for v in values]}

    labels = [r.name for r in rows]
    return {
        "satisfaction": {
            "labels": labels,
            "unit": "%",
            "series": [
                series(_("好评率"), [r.good_rate for r in rows]),
                series(_("主动评价好评率"), [r.active_good_rate for r in rows]),
                series(_("未评价率"), [r.unrated_rate for r in rows]),
            ],
        },
        "rectification": {
            "labels": labels,
            "unit": "%",
            "series": [
                series(_("差评整改率"), [r.rectification_rate for r in rows]),
                series(_("回访及时率"), [r.callback_rate for r in rows]),
            ],
        },
    }


def _preset_links(current: str) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "href": "?" + urlencode({"period": key}),
            "current": key == current,
        }
        for key, label in PRESET_LABELS.items()
    ]


def _error_messages(form: PeriodForm) -> list[str]:
    """Each error with the name of its field (the form's own errors as they are)."""
    out: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out.extend(f"{label}：{error}" if label else str(error) for error in errors)
    return out


@require_GET
def public_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    if form.is_valid():
        period, first, last = (form.cleaned_data[k] for k in ("period", "first", "last"))
        status = 200
    else:
        (period, first, last), status = _default_period(), 422
    report = public_report(first, last)
    total = report["total"]
    context = {
        "form": form,
        "errors": _error_messages(form),
        "period": period,
        "period_label": PRESET_LABELS.get(period, _("自定义期间")),
        "first": first,
        "last": last,
        "presets": _preset_links(period),
        "rows": [_department_row(r) for r in report["ranking"]],
        "total": _department_row(ind.Ranked(None, total)),
        "top_items": [_item_row(r) for r in report["top_items"]],
        "bottom_items": [_item_row(r) for r in report["bottom_items"]],
        "items_counted": report["items_counted"],
        "minimum": report["minimum"],
        "charts": _charts(report["ranking"]),
    }
    return render(request, "ratings/public/index.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("public/", public_page, name="public"),
]
