"""Hotline pages (insight): the 三率 per department or district for a period, and the hot spots
(未诉先办) with the department's accept and resolve forms.

Who sees them: hotline agents, leaders (``insight.view``) and the departments' 12345 handlers,
each within their scope (``rates.rates_scope``); anyone else gets 404. The 三率 table is the
source of truth; the ECharts bar chart beside it is drawn by a static script from the same
numbers (``json_script``) and is hidden from assistive technology and without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.models import User
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.hotline import hotspots, rates, selectors
from yiwang.hotline.models import HotSpot, Ticket

PAGE_SIZE = 20
DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_TICKETS_SHOWN = 100

STATUS_TONES = {
    HotSpot.Status.OPEN: "warning",
    HotSpot.Status.ACCEPTED: "info",
    HotSpot.Status.DONE: "success",
}
HISTORY_LABELS = {
    "hotline.hotspot.open": gettext_lazy("发现热点，派至承办单位"),
    "hotline.hotspot.extend": gettext_lazy("新增同类诉求"),
    "hotline.hotspot.accept": gettext_lazy("承办单位接收"),
    "hotline.hotspot.resolve": gettext_lazy("处置完毕"),
}


def _not_found() -> NotFound:
    return NotFound("not_found", _("页面不存在。"))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# --------------------------------------------------------------------------- 三率


class RatesFilterForm(forms.Form):
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
    by = forms.ChoiceField(
        label=gettext_lazy("统计维度"),
        required=False,
        choices=[
            (rates.BY_DEPARTMENT, gettext_lazy("按承办单位")),
            (rates.BY_DISTRICT, gettext_lazy("按区县")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ValidationError(_("起始日期不能晚于截止日期。"))
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError(_("统计期间最长%(days)s天。") % {"days": MAX_DAYS})
        data.update(start=start, end=end, by=data.get("by") or rates.BY_DEPARTMENT)
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _rate_rows(found: list[rates.Rates]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name or str(r.key),
            "rates": r,
            "response": percent(r.response_rate),
            "resolution": percent(r.resolution_rate),
            "satisfaction": percent(r.satisfaction_rate),
        }
        for r in found
    ]


def _chart(found: list[rates.Rates]) -> dict[str, Any]:
    def series(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v * 100, 1) for v in values]

    return {
        "labels": [r.name or str(r.key) for r in found],
        "series": [
            {"name": _("响应率"), "data": series([r.response_rate for r in found])},
            {"name": _("解决率"), "data": series([r.resolution_rate for r in found])},
            {"name": _("满意率"), "data": series([r.satisfaction_rate for r in found])},
        ],
        "unit": "%",
    }


@login_required
@require_GET
def rates_page(request: HttpRequest) -> HttpResponse:
    scope = rates.rates_scope(request.user)
    if scope is None:
        raise _not_found()
    form = RatesFilterForm(request.GET)
    if form.is_valid():
        start, end, by = (form.cleaned_data[k] for k in ("start", "end", "by"))
        status = 200
    else:
        end = timezone.localdate()
        start, by, status = end - dt.timedelta(days=DEFAULT_DAYS - 1), rates.BY_DEPARTMENT, 422
    since, until = _day_start(start), _day_start(end + dt.timedelta(days=1))
    found = rates.rates(since, until, by=by, scope=scope)
    context = {
        "form": form,
        "start": start,
        "end": end,
        "by": by,
        "group_label": _("承办单位") if by == rates.BY_DEPARTMENT else _("区县"),
        "rows": _rate_rows(found),
        "total": _rate_rows([rates.total(since, until, scope=scope)])[0],
        "chart": _chart(found),
        "satisfied_at": rates.SATISFIED_AT,
        "header_actions": [
            {"label": _("热点诉求"), "href": reverse("hotline:hot_spots"), "variant": "secondary"}
        ],
    }
    return render(request, "hotline/insight/rates.html", context, status=status)


# --------------------------------------------------------------------------- hot spots


class HotSpotFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *HotSpot.Status.choices],
    )


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=gettext_lazy("处置结果"),
        max_length=hotspots.MAX_RESULT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写明查明的原因、采取的措施和效果，将作为热点处置记录留存。"),
    )


def _due_state(hot_spot: HotSpot) -> str:
    if hot_spot.status == HotSpot.Status.DONE:
        return ""
    return str(selectors.clock_warning(hot_spot.created_at, hot_spot.due_at))


@login_required
@require_GET
def hot_spot_list(request: HttpRequest) -> HttpResponse:
    if not hotspots.can_view(request.user):
        raise _not_found()
    qs = hotspots.hot_spots_for(request.user)
    form = HotSpotFilterForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data["status"]:
        qs = qs.filter(status=form.cleaned_data["status"])
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    names = hotspots.area_names(h.region_code for h in page)
    rows = [
        {
            "hot_spot": h,
            "area": names.get(h.region_code, h.region_code),
            "tone": STATUS_TONES[HotSpot.Status(h.status)],
            "due_state": _due_state(h),
        }
        for h in page
    ]
    actions = []
    if rates.can_view(request.user):
        actions.append(
            {"label": _("三率统计"), "href": reverse("hotline:rates"), "variant": "secondary"}
        )
    return render(
        request,
        "hotline/insight/hot_spots.html",
        {"form": form, "page_obj": page, "rows": rows, "header_actions": actions},
    )


def _ticket_link(ticket: Ticket, agent: bool, handled: set[int]) -> str:
    """The ticket's page on the desk the user works at (the agent's or the department's)."""
    name = "agent_ticket" if agent else "department_ticket" if ticket.pk in handled else ""
    if not name:
        return ""
    try:
        return reverse(f"hotline:{name}", args=[ticket.number])
    except NoReverseMatch:  # pragma: no cover - the desks are other modules' routes
        return ""


def _history(hot_spot: HotSpot) -> list[dict[str, Any]]:
    entries = hotspots.history(hot_spot)
    ids = [int(e["actor"][5:]) for e in entries if str(e["actor"]).startswith("user:")]
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "display_name"))
    out = []
    for entry in entries:
        actor = str(entry["actor"])
        who = names.get(int(actor[5:]), "") if actor.startswith("user:") else _("系统")
        out.append(
            {
                "at": entry["created_at"],
                "title": HISTORY_LABELS.get(entry["action"], entry["action"]),
                "actor": who,
                "tone": "success" if entry["action"].endswith("resolve") else "info",
            }
        )
    return out


def _detail(
    request: HttpRequest, hot_spot: HotSpot, resolve_form: ResolveForm | None = None
) -> dict[str, Any]:
    user = request.user
    tickets = list(
        hot_spot.tickets.select_related("category", "department").order_by("-accepted_at", "-id")[
            :MAX_TICKETS_SHOWN
        ]
    )
    agent = selectors.agent_region_prefixes(user) != []
    handled = set(
        selectors.tickets_for_department(user)
        .filter(pk__in=[t.pk for t in tickets])
        .values_list("pk", flat=True)
    )
    can_handle = hotspots.can_handle(user, hot_spot)
    status = HotSpot.Status(hot_spot.status)
    return {
        "hot_spot": hot_spot,
        "area": hotspots.area_names([hot_spot.region_code]).get(
            hot_spot.region_code, hot_spot.region_code
        ),
        "status_label": status.label,
        "status_tone": STATUS_TONES[status],
        "due_state": _due_state(hot_spot),
        "tickets": [(t, _ticket_link(t, agent, handled)) for t in tickets],
        "more_tickets": max(hot_spot.tickets.count() - len(tickets), 0),
        "can_accept": can_handle and status == HotSpot.Status.OPEN,
        "resolve_form": (resolve_form or ResolveForm())
        if can_handle and status == HotSpot.Status.ACCEPTED
        else None,
        "history": _history(hot_spot),
    }


@login_required
@require_GET
def hot_spot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hot_spot = hotspots.get_hot_spot_for_user(request.user, pk)
    return render(request, "hotline/insight/hot_spot.html", _detail(request, hot_spot))


@login_required
@require_POST
def hot_spot_accept(request: HttpRequest, pk: int) -> HttpResponse:
    hot_spot = hotspots.get_hot_spot_for_user(request.user, pk)
    hotspots.accept(request.user, hot_spot)
    messages.success(request, _("已接收热点诉求，请尽快处置并填写处置结果。"))
    return redirect("hotline:hot_spot", pk=hot_spot.pk)


@login_required
@require_POST
def hot_spot_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    hot_spot = hotspots.get_hot_spot_for_user(request.user, pk)
    form = ResolveForm(request.POST)
    result = form.cleaned_data["result"] if form.is_valid() else request.POST.get("result", "")
    try:
        hotspots.resolve(request.user, hot_spot, str(result)[: hotspots.MAX_RESULT_CHARS + 1])
    except ValidationFailed as error:
        if not form.errors:
            form.add_error("result", error.message)
        context = _detail(request, hot_spot, form)
        return render(request, "hotline/insight/hot_spot.html", context, status=422)
    messages.success(request, _("热点诉求已处置完毕。"))
    return redirect("hotline:hot_spot", pk=hot_spot.pk)


urlpatterns: list[URLPattern] = [
    path("rates/", rates_page, name="rates"),
    path("hotspots/", hot_spot_list, name="hot_spots"),
    path("hotspots/<int:pk>/", hot_spot_detail, name="hot_spot"),
    path("hotspots/<int:pk>/accept/", hot_spot_accept, name="hot_spot_accept"),
    path("hotspots/<int:pk>/resolve/", hot_spot_resolve, name="hot_spot_resolve"),
]
