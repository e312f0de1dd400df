"""Hotline pages of the handling department (承办单位): the worklist of the tickets now with the
user's departments and a ticket's page with its actions — 签收, 退单, 延期, 答复 — and the caller's
full number for a stated purpose.

Tickets come only through ``selectors.tickets_for_department``: a ticket with another department
(or one the user may not handle) is 404. The services decide; a ``DomainError`` they raise is shown
on the ticket page as a form error or a message, with its status (409, 422), never a 500. Pages
work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.models import Region
from yiwang.accounts.selectors import scope_q
from yiwang.core.deadlines import WarningLevel, compute_deadline
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.masking import Audience, mask_name
from yiwang.hotline import selectors, services
from yiwang.hotline.department_forms import (
    WORKLIST_STATUSES,
    AnswerForm,
    ExtendForm,
    ReturnForm,
    RevealPhoneForm,
    WorklistFilterForm,
)
from yiwang.hotline.models import Ticket, TicketEvent, TicketStatus, Urgency
from yiwang.hotline.states import TRANSITIONS
from yiwang.hotline.views.citizen import attachment_response

PAGE_SIZE = 20
HOTLINE_ACTIONS = frozenset(
    {
        "intake",
        "categorise",
        "dispatch",
        "redispatch",
        "insist",
        "refer",
        "merge",
        "supervise",
        "callback",
        "close",
        "reopen",
        "answer_directly",
        "approve_extension",
        "decline_extension",
    }
)
EXTRA_LABELS = {"intake": gettext_lazy("受理"), "categorise": gettext_lazy("确认分类")}
STATUS_TONES = {
    TicketStatus.DISPATCHED: "warning",
    TicketStatus.SIGNED: "info",
    TicketStatus.RETURNED: "danger",
    TicketStatus.ANSWERED: "success",
}
EVENT_TONES = {
    "return": "danger",
    "supervise": "warning",
    "extend": "warning",
    "request_extension": "warning",
    "approve_extension": "warning",
    "answer": "success",
    "close": "success",
    "sign": "info",
}
EXTENSION_TITLES = {
    "extend": gettext_lazy("延期%(amount)s个工作日"),
    "request_extension": gettext_lazy("申请延期%(amount)s个工作日"),
    "approve_extension": gettext_lazy("批准延期%(amount)s个工作日"),
    "decline_extension": gettext_lazy("不予延期（申请%(amount)s个工作日）"),
}
WARNING_ORDER = [WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.RED]


# --- presentation helpers ------------------------------------------------------------------------


def duration_text(delta: dt.timedelta) -> str:
    """``2天3小时`` / ``5小时10分钟`` / ``12分钟`` of an absolute duration."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s天%(hours)s小时") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s小时%(minutes)s分钟") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s分钟") % {"minutes": minutes}


def remaining_text(due: dt.datetime, now: dt.datetime) -> str:
    if due >= now:
        return _("剩余%(time)s") % {"time": duration_text(due - now)}
    return _("已超时%(time)s") % {"time": duration_text(now - due)}


@dataclass(frozen=True)
class ClockView:
    """One clock of a ticket as the pages show it: the deadline, its warning and the time left."""

    label: str
    due_at: dt.datetime
    state: str  # none | yellow | red (ui/components/deadline.html)
    text: str


def clock_view(
    label: str, start: dt.datetime | None, due: dt.datetime | None, now: dt.datetime
) -> ClockView | None:
    if due is None:
        return None
    state = selectors.clock_warning(start, due, now)
    return ClockView(label, due, str(state), remaining_text(due, now))


def return_due(ticket: Ticket) -> dt.datetime | None:
    """Until when the department may 退单 (the service's rule: ``RETURN_LIMIT`` after dispatch)."""
    if ticket.dispatched_at is None:
        return None
    return compute_deadline(ticket.dispatched_at, services.RETURN_LIMIT).due_at


def ticket_clocks(ticket: Ticket, now: dt.datetime) -> list[ClockView]:
    clocks: list[ClockView | None] = []
    if ticket.status == TicketStatus.DISPATCHED:
        clocks.append(clock_view(_("签收时限"), ticket.dispatched_at, ticket.sign_due_at, now))
    if ticket.status in (TicketStatus.DISPATCHED, TicketStatus.SIGNED):
        clocks.append(clock_view(_("办理时限"), ticket.dispatched_at, ticket.due_at, now))
    return [c for c in clocks if c is not None]


def next_clock(ticket: Ticket, now: dt.datetime) -> ClockView | None:
    """The clock the worklist shows: 签收 until signed, then 办理."""
    clocks = ticket_clocks(ticket, now)
    if not clocks:
        return None
    return max(
        clocks, key=lambda c: (WARNING_ORDER.index(WarningLevel(c.state)), -c.due_at.timestamp())
    )


def region_label(code: str) -> str:
    """``东湖区 · 湖滨街道 · 湖滨社区`` for a 12-digit code (its current ancestors), else the code."""
    candidates = sorted({code[:6] + "000000", code[:9] + "000", code})
    names = dict(
        Region.objects.filter(code__in=candidates, valid_to__isnull=True).values_list(
            "code", "name"
        )
    )
    parts = [names[c] for c in candidates if c in names and c[4:] != "0" * 8]
    return " · ".join(parts) or code


def event_label(action: str) -> str:
    if action in EXTRA_LABELS:
        return str(EXTRA_LABELS[action])
    transition = TRANSITIONS.get(action)
    return str(transition.label) if transition is not None else action


def staff_timeline(events: QuerySet[TicketEvent] | list[TicketEvent]) -> list[dict[str, Any]]:
    """The whole history for the departments: who (hotline or department, with the person's
    name), what, and the reason given."""
    rows = []
    for event in events:
        title = event_label(event.action)
        department = event.department.name if event.department is not None else ""
        if event.action in ("dispatch", "redispatch", "insist", "reopen") and department:
            title = _("%(action)s：%(department)s") % {"action": title, "department": department}
        amount = event.data.get("amount") if isinstance(event.data, dict) else None
        if amount and event.action in EXTENSION_TITLES:
            title = EXTENSION_TITLES[event.action] % {"amount": amount}
        if event.action in HOTLINE_ACTIONS:
            unit = _("12345热线") if event.actor is not None else _("来电人（网上提交）")
        else:
            unit = department
        person = event.actor.display_name if event.actor is not None else ""
        actor = f"{unit} · {person}" if unit and person else unit or person
        rows.append(
            {
                "at": event.at,
                "title": title,
                "actor": actor,
                "note": event.reason,
                "tone": EVENT_TONES.get(event.action, "neutral"),
            }
        )
    return rows


# --- access --------------------------------------------------------------------------------------


def _require_handler(user: Any) -> None:
    """The department pages exist only for users who handle 12345 tickets somewhere."""
    if scope_q(user, "department", capabilities=(services.HANDLE,)) is None:
        raise NotFound("not_found", _("页面不存在。"))


def _ticket_for(user: Any, number: str) -> Ticket:
    ticket = (
        selectors.tickets_for_department(user)
        .filter(number=str(number).replace("\x00", "")[:32])
        .first()
    )
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    return ticket


# --- the worklist --------------------------------------------------------------------------------


def _worklist_queryset(user: Any, filters: dict[str, str]) -> QuerySet[Ticket]:
    statuses = [value for value, _label in WORKLIST_STATUSES]
    qs = selectors.tickets_for_department(user).filter(status__in=statuses)
    if filters.get("urgency"):
        qs = qs.filter(urgency=filters["urgency"])
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(number__icontains=q) | Q(content__icontains=q) | Q(address__icontains=q))
    return qs


def _with_warning(qs: QuerySet[Ticket], warning: str, now: dt.datetime) -> QuerySet[Ticket]:
    """Keep the tickets whose worst clock is at ``warning``: computed on four columns of each
    ticket (one query), since the yellow line is a share of each ticket's own allowed time."""
    wanted = []
    for pk, status, dispatched_at, sign_due_at, due_at in qs.values_list(
        "pk", "status", "dispatched_at", "sign_due_at", "due_at"
    ):
        probe = Ticket(
            status=status, dispatched_at=dispatched_at, sign_due_at=sign_due_at, due_at=due_at
        )
        if selectors.ticket_warning(probe, now) == warning:
            wanted.append(pk)
    return qs.filter(pk__in=wanted)


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """待签收 / 办理中 / 退单中 / 已答复: the tickets now with the user's departments, the most
    urgent deadline first."""
    _require_handler(request.user)
    form = WorklistFilterForm(request.GET or None)
    filters = form.cleaned()
    now = timezone.now()
    base = _worklist_queryset(request.user, filters)
    counts = dict(base.order_by().values_list("status").annotate(n=Count("pk")))
    qs = base
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("warning"):
        qs = _with_warning(qs, filters["warning"], now)
    qs = qs.order_by(F("due_at").asc(nulls_last=True), "accepted_at", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "ticket": ticket,
            "status_label": dict(WORKLIST_STATUSES).get(ticket.status, ticket.status),
            "status_tone": STATUS_TONES.get(TicketStatus(ticket.status), "neutral"),
            "clock": next_clock(ticket, now),
        }
        for ticket in page
    ]
    tabs = [
        {
            "value": "",
            "label": _("全部"),
            "count": sum(counts.values()),
            "current": not filters.get("status"),
        },
        *(
            {
                "value": value,
                "label": label,
                "count": counts.get(value, 0),
                "current": filters.get("status") == value,
            }
            for value, label in WORKLIST_STATUSES
        ),
    ]
    return render(
        request,
        "hotline/department/worklist.html",
        {"form": form, "page_obj": page, "rows": rows, "tabs": tabs, "filters": filters},
    )


# --- a ticket ------------------------------------------------------------------------------------


def _ticket_context(
    request: HttpRequest, ticket: Ticket, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    status = TicketStatus(ticket.status)
    forms_: dict[str, forms.Form] = {
        "reveal_form": RevealPhoneForm(),
        "return_form": ReturnForm(),
        "extend_form": ExtendForm(),
        "answer_form": AnswerForm(),
    }
    forms_.update(bound or {})
    can_return = status in (TicketStatus.DISPATCHED, TicketStatus.SIGNED)
    return_until = return_due(ticket) if can_return else None
    return_open = return_until is None or now <= return_until
    extension_left = services.EXTENSION_LIMIT - ticket.extended_amount
    return {
        "ticket": ticket,
        "status_label": status.label,
        "status_tone": STATUS_TONES.get(status, "neutral"),
        "is_urgent": ticket.urgency != Urgency.NORMAL,
        "region": region_label(ticket.region_code),
        "caller_name": mask_name(ticket.caller_name, Audience.STAFF),
        "caller_phone": selectors.masked_caller_phone(user, ticket),
        "clocks": ticket_clocks(ticket, now),
        "warning": str(selectors.ticket_warning(ticket, now)),
        "attachments": list(ticket.attachments.all()),
        "events": staff_timeline(selectors.timeline(ticket)),
        "can_sign": status == TicketStatus.DISPATCHED,
        "can_return": can_return,
        "return_until": return_until,
        "return_open": return_open,
        "can_extend": status == TicketStatus.SIGNED,
        "extension_pending": ticket.extension_requested,
        "extension_left": extension_left,
        "extension_limit": services.EXTENSION_LIMIT,
        "crumbs": [
            (_("12345 承办工单"), reverse("hotline:department_worklist")),
            (ticket.number, None),
        ],
        "can_answer": status == TicketStatus.SIGNED,
        **forms_,
    }


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = _ticket_context(request, ticket, bound)
    context.update(extra or {})
    return render(request, "hotline/department/ticket.html", context, status=status)


def _refused(
    request: HttpRequest,
    ticket: Ticket,
    error: DomainError,
    name: str | None = None,
    form: forms.Form | None = None,
) -> HttpResponse:
    """A service's refusal on the ticket page, with the error's status: on the form's field when
    it names one (the form keeps what was typed), else as a message at the top of the page (the
    form may no longer be shown: the time limit passed, the state moved on)."""
    bound = {name: form} if form is not None and name is not None else None
    if form is not None and error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        messages.error(request, error.message)
    ticket.refresh_from_db()
    return _page(request, ticket, bound=bound, status=error.status)


def _done(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("hotline:department_ticket", number=ticket.number)


@login_required
@require_GET
def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, _ticket_for(request.user, number))


@login_required
@require_POST
def sign(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_for(request.user, number)
    try:
        services.sign(request.user, ticket)
    except DomainError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("已签收。请在办理时限内办理并答复。"))


def _act(
    request: HttpRequest,
    number: str,
    key: str,
    form_class: type[forms.Form],
    run: Callable[[Ticket, dict[str, Any]], str],
) -> HttpResponse:
    """Validate the action's form, run the service and say what happened; bad input stays on the
    form (422), a refusal by the rules or the state is shown with its status."""
    ticket = _ticket_for(request.user, number)
    form = form_class(request.POST)
    if not form.is_valid():
        return _page(request, ticket, bound={key: form}, status=422)
    try:
        done = run(ticket, form.cleaned_data)
    except DomainError as error:
        return _refused(request, ticket, error, key, form)
    return _done(request, ticket, done)


@login_required
@require_POST
def return_ticket(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.return_ticket(request.user, ticket, data["reason"])
        return _("已退单，等待12345热线审核（改派或维持）。")

    return _act(request, number, "return_form", ReturnForm, run)


@login_required
@require_POST
def extend(request: HttpRequest, number: str) -> HttpResponse:
    """申请延期: the hotline approves or declines (``services.decide_extension``)."""

    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.request_extension(request.user, ticket, data["amount"], data["reason"])
        return _("已申请延期%(amount)s个工作日，等待12345热线审核。") % {"amount": data["amount"]}

    return _act(request, number, "extend_form", ExtendForm, run)


@login_required
@require_POST
def answer(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.answer(request.user, ticket, data["text"])
        return _("已答复，12345热线将回访来电人。")

    return _act(request, number, "answer_form", AnswerForm, run)


@never_cache
@login_required
@require_POST
def reveal_phone(request: HttpRequest, number: str) -> HttpResponse:
    """显示完整号码: the full number on this answer only (never in a URL or the session); the
    reading is recorded with its purpose for the caller to see."""
    ticket = _ticket_for(request.user, number)
    form = RevealPhoneForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, bound={"reveal_form": form}, status=422)
    try:
        phone = selectors.reveal_caller_phone(request.user, ticket, form.cleaned_data["purpose"])
    except DomainError as error:
        return _refused(request, ticket, error, "reveal_form", form)
    return _page(request, ticket, extra={"revealed_phone": phone})


@login_required
@require_GET
def attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    ticket = _ticket_for(request.user, number)
    item = ticket.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise NotFound("attachment_not_found", _("附件不存在。"))
    return attachment_response(item)


urlpatterns: list[URLPattern] = [
    path("department/", worklist, name="department_worklist"),
    path("department/<str:number>/", ticket_page, name="department_ticket"),
    path("department/<str:number>/sign/", sign, name="department_sign"),
    path("department/<str:number>/return/", return_ticket, name="department_return"),
    path("department/<str:number>/extend/", extend, name="department_extend"),
    path("department/<str:number>/answer/", answer, name="department_answer"),
    path("department/<str:number>/phone/", reveal_phone, name="department_reveal_phone"),
    path(
        "department/<str:number>/attachments/<int:attachment_id>/",
        attachment,
        name="department_attachment",
    ),
]
