"""``/hotline/tickets/<number>/``: the ticket for agents and every action its state allows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.models import Department
from yiwang.accounts.selectors import user_departments
from yiwang.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from yiwang.hotline import duplicates, selectors, services, states
from yiwang.hotline.forms import (
    SATISFACTION_CHOICES,
    AgentAnswerForm,
    AgentCallbackForm,
    AgentCategoryForm,
    AgentDispatchForm,
    AgentExtensionForm,
    AgentMergeForm,
    AgentReopenForm,
    AgentRevealPhoneForm,
    AgentReviewForm,
    AgentSuperviseForm,
)
from yiwang.hotline.models import Ticket, TicketEvent, TicketStatus, TicketType
from yiwang.hotline.views.agent.common import (
    EVENT_LABELS,
    EVENT_TONES,
    REVEAL_PURPOSES,
    STATUS_TONES,
    _agent_ticket,
    _put_errors,
    _rule_department,
    _ticket_url,
    category_path,
    category_rows,
    leaf_categories,
    region_label,
)
from yiwang.hotline.views.agent.desk import (
    _searched_context,
    _suggestions_context,
)


def _override_departments(user: Any) -> QuerySet[Department]:
    """Departments an agent may dispatch to by hand: the active ones of his centres' regions."""
    q = Q()
    for prefix in selectors.agent_region_prefixes(user):
        q |= Q(region__code__startswith=prefix)
    own = [d.pk for d in user_departments(user)]
    return Department.objects.filter(q, is_active=True).exclude(pk__in=own).order_by("name")


def _event_rows(events: Iterable[TicketEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        actor = event.actor.display_name if event.actor else _("来电人或系统")
        if event.department:
            actor = f"{actor} · {event.department.name}"
        note = event.reason
        if event.action == "callback":
            level = dict(SATISFACTION_CHOICES).get(event.data.get("satisfaction"), "")
            solved = _("已解决") if event.data.get("resolved") else _("未解决")
            note = f"{solved} · {level}"
        elif event.action in ("dispatch", "redispatch", "insist") and event.data.get("override"):
            note = _("人工指定承办单位")
        rows.append(
            {
                "at": event.at,
                "title": EVENT_LABELS.get(event.action, event.action),
                "actor": actor,
                "note": note,
                "tone": EVENT_TONES.get(event.action, "info"),
            }
        )
    return rows


def _clock(start: Any, due: Any, running: bool) -> dict[str, Any]:
    level = selectors.clock_warning(start, due) if running else None
    state = {"red": "red", "yellow": "yellow"}.get(str(level), "normal")
    return {"due": due, "running": running and due is not None, "state": state}


def _can(ticket: Ticket, action: str) -> bool:
    return ticket.status in states.TRANSITIONS[action].sources


def _ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    bound: dict[str, forms.Form] | None = None,
    revealed_phone: str = "",
) -> dict[str, Any]:
    user = request.user
    bound = bound or {}
    events = list(selectors.timeline(ticket))
    departments = _override_departments(user)
    status = ticket.status
    context: dict[str, Any] = {
        "ticket": ticket,
        "status_tone": STATUS_TONES.get(status, "neutral"),
        "events": _event_rows(events),
        "region": region_label(ticket.region_code),
        "category_path": category_path(ticket.category) if ticket.category else "",
        "masked_phone": selectors.masked_caller_phone(user, ticket),
        "revealed_phone": revealed_phone,
        "reveal_form": bound.get("reveal") or AgentRevealPhoneForm(),
        "reveal_purposes": REVEAL_PURPOSES,
        "sign_clock": _clock(ticket.dispatched_at, ticket.sign_due_at, status == "dispatched"),
        "handling_clock": _clock(
            ticket.dispatched_at, ticket.due_at, status in selectors.OPEN_FOR_DEPARTMENT
        ),
        "referral": next((e.reason for e in events if e.action == "refer"), ""),
        "duplicates_of": list(ticket.duplicates.all()) if status != "merged" else [],
        "candidates": None,
    }
    if status == TicketStatus.ACCEPTED:
        intake = next((e for e in events if e.action == "intake"), None)
        suggested = (intake.data.get("suggestions") if intake else None) or []
        selected = ticket.category.code if ticket.category else ""
        scored = [(s.get("code", ""), s.get("confidence")) for s in suggested]
        if ticket.category and selected not in {code for code, _c in scored}:
            scored.insert(0, (selected, None))
        form = bound.get("category") or AgentCategoryForm()
        search = str(form.data.get("category_search", "")).strip() if form.is_bound else ""
        rows = category_rows(scored, ticket.region_code, "-" if search else selected)
        context.update(_suggestions_context(rows, ticket.content, form))
        if search:
            code = form.cleaned_data.get("category", "") if hasattr(form, "cleaned_data") else ""
            context.update(_searched_context(code, ticket.region_code, search, form))
        context["category_form"] = form
        context["leaves"] = leaf_categories()
        context["dispatch_form"] = bound.get("dispatch") or AgentDispatchForm(
            departments=departments
        )
        if ticket.category is not None:
            context["rule_department"] = _rule_department(ticket.category, ticket.region_code)
        if ticket.type == TicketType.CONSULT:
            context["answer_form"] = bound.get("answer") or AgentAnswerForm()
    if _can(ticket, "merge"):
        context["candidates"] = duplicates.candidates(ticket)
        context["merge_form"] = bound.get("merge")
    if status == TicketStatus.RETURNED:
        context["return_event"] = next((e for e in reversed(events) if e.action == "return"), None)
        context["review_form"] = bound.get("review") or AgentReviewForm(departments=departments)
    if status == TicketStatus.SIGNED and ticket.extension_requested:
        context["extension_event"] = next(
            (e for e in reversed(events) if e.action == "request_extension"), None
        )
        context["extension_form"] = bound.get("extension") or AgentExtensionForm()
    if _can(ticket, "supervise"):
        context["supervise_form"] = bound.get("supervise") or AgentSuperviseForm()
    if status == TicketStatus.ANSWERED:
        context["callback_form"] = bound.get("callback") or AgentCallbackForm()
    if status == TicketStatus.CALLED_BACK:
        levels: dict[int | None, Any] = dict(SATISFACTION_CHOICES)
        context["satisfaction_label"] = levels.get(ticket.satisfaction, "")
        context["can_close"] = True
        if services.needs_reopen(ticket):
            context["reopen_form"] = bound.get("reopen") or AgentReopenForm()
    return context


def _render_ticket(
    request: HttpRequest, ticket: Ticket, status: int = 200, **kwargs: Any
) -> HttpResponse:
    context = _ticket_context(request, ticket, **kwargs)
    return render(request, "hotline/agent/ticket.html", context, status=status)


@login_required
@require_GET
def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    return _render_ticket(request, _agent_ticket(request.user, number))


def _act(
    request: HttpRequest,
    number: str,
    key: str,
    make_form: Callable[[Any, Ticket], forms.Form],
    run: Callable[[Ticket, dict[str, Any]], str],
    *,
    anchor: str = "",
) -> HttpResponse:
    """Validate the action's form, run the service, say what happened; errors stay on the form
    (422 for bad input, 409 when the ticket's state or the rules refuse)."""
    ticket = _agent_ticket(request.user, number)
    form = make_form(request.POST, ticket)
    status = 422
    if form.is_valid():
        try:
            done = run(ticket, form.cleaned_data)
        except PermissionDenied:
            raise
        except DomainError as error:
            if error.field in form.fields or (error.details or {}).get("errors"):
                _put_errors(form, error)
            else:  # the ticket's state or the rules refused: said above the page
                messages.error(request, error.message)
            status = 422 if isinstance(error, ValidationFailed) else 409
        else:
            messages.success(request, done)
            return redirect(_ticket_url(ticket, anchor))
    ticket.refresh_from_db()
    return _render_ticket(request, ticket, status, bound={key: form})


@login_required
@require_POST
def ticket_categorise(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        category = services.leaf_category(data["category"]) if data["category"] else None
        if category is None:
            raise ValidationFailed(
                "category_required", _("请选择诉求分类。"), field="category_code"
            )
        if category.not_accepted and not data["referral_told"]:
            raise ValidationFailed(
                "referral_not_told",
                _("该诉求不予受理：请先向来电人告知“%(referral)s”，再勾选“已告知”。")
                % {"referral": category.referral},
                field="referral_told",
            )
        done = services.confirm_category(request.user, ticket, category.code)
        if done.status == TicketStatus.NOT_ACCEPTED:
            return _("已确认分类为“%(name)s”，不予受理并已告知转介渠道。") % {"name": category.name}
        return _("已确认分类为“%(name)s”。") % {"name": category.name}

    return _act(request, number, "category", lambda d, t: AgentCategoryForm(d), run)


@login_required
@require_POST
def ticket_dispatch(request: HttpRequest, number: str) -> HttpResponse:
    departments = _override_departments(request.user)

    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        done = services.dispatch(request.user, ticket, data["department"])
        return _("已派单至%(department)s。") % {"department": done.department}

    return _act(
        request, number, "dispatch", lambda d, t: AgentDispatchForm(d, departments=departments), run
    )


@login_required
@require_POST
def ticket_review(request: HttpRequest, number: str) -> HttpResponse:
    departments = _override_departments(request.user)

    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        department = data["department"] if data["decision"] == "redispatch" else None
        done = services.review_return(request.user, ticket, data["decision"], department)
        if data["decision"] == "insist":
            return _("已维持原派单，%(department)s须继续办理。") % {"department": done.department}
        return _("已改派至%(department)s。") % {"department": done.department}

    return _act(
        request, number, "review", lambda d, t: AgentReviewForm(d, departments=departments), run
    )


@login_required
@require_POST
def ticket_supervise(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.supervise(request.user, ticket, data["note"])
        return _("已督办。")

    return _act(request, number, "supervise", lambda d, t: AgentSuperviseForm(d), run)


@login_required
@require_POST
def ticket_extension(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        approve = data["decision"] == "approve"
        services.decide_extension(request.user, ticket, approve=approve, note=data["note"])
        return _("已批准延期，办理时限已顺延。") if approve else _("已决定不予延期。")

    return _act(
        request, number, "extension", lambda d, t: AgentExtensionForm(d), run, anchor="extension"
    )


@login_required
@require_POST
def ticket_callback(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.callback(
            request.user, ticket, resolved=data["resolved"], satisfaction=data["satisfaction"]
        )
        return _("回访结果已记录。")

    return _act(request, number, "callback", lambda d, t: AgentCallbackForm(d), run)


@login_required
@require_POST
def ticket_close(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.close(request.user, ticket)
        return _("工单已办结。")

    return _act(request, number, "close", lambda d, t: forms.Form(d), run)


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        done = services.reopen(request.user, ticket, data["reason"])
        return _("已重办，工单退回%(department)s重新办理。") % {"department": done.department}

    return _act(request, number, "reopen", lambda d, t: AgentReopenForm(d), run)


@login_required
@require_POST
def ticket_answer(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        services.answer_directly(request.user, ticket, data["text"])
        return _("已当场答复并办结。")

    return _act(request, number, "answer", lambda d, t: AgentAnswerForm(d), run)


@login_required
@require_POST
def ticket_merge(request: HttpRequest, number: str) -> HttpResponse:
    def run(ticket: Ticket, data: dict[str, Any]) -> str:
        try:
            primary = _agent_ticket(request.user, data["primary"])
        except NotFound as error:
            raise ValidationFailed(error.code, error.message, field="primary") from error
        duplicates.merge(request.user, ticket, primary, data["reason"])
        return _("已合并至主工单%(number)s，随主工单办理和答复。") % {"number": primary.number}

    return _act(request, number, "merge", lambda d, t: AgentMergeForm(d), run)


@login_required
@require_POST
def ticket_phone(request: HttpRequest, number: str) -> HttpResponse:
    """显示完整号码 for a stated purpose; the reading is recorded for the caller to see."""
    ticket = _agent_ticket(request.user, number)
    form = AgentRevealPhoneForm(request.POST)
    if form.is_valid():
        try:
            phone = selectors.reveal_caller_phone(
                request.user, ticket, form.cleaned_data["purpose"]
            )
        except ValidationFailed as error:
            _put_errors(form, error)
        else:
            response = _render_ticket(request, ticket, revealed_phone=phone)
            response["Cache-Control"] = "no-store"
            return response
    return _render_ticket(request, ticket, 422, bound={"reveal": form})
