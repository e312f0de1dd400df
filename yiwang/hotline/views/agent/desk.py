"""``/hotline/desk/``: the intake screen, built for the keyboard (see the package docstring)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.core.errors import DomainError, PermissionDenied
from yiwang.core.idempotency import run_idempotent
from yiwang.hotline import selectors, services
from yiwang.hotline.forms import (
    AgentCategoryForm,
    AgentIntakeForm,
)
from yiwang.hotline.models import Channel, TicketStatus
from yiwang.hotline.views.agent.common import (
    _chosen_category,
    _partial,
    _put_errors,
    _referral_gate,
    _require_agent,
    caller_context,
    category_rows,
    centre_regions,
    leaf_categories,
    suggestion_rows,
)


def _desk_context(
    request: HttpRequest, form: AgentIntakeForm, *, show_help: bool = False, classify: bool = False
) -> dict[str, Any]:
    """The desk's panels; ``classify``: the agent asked for the suggestions (no-JS submit), so
    the chosen suggestion takes the focus."""
    data = form.data if form.is_bound else {}
    content = str(data.get("content", ""))
    region = str(data.get("region_code", ""))
    search = str(data.get("category_search", "")).strip()
    selected = "-" if search else str(data.get("category_code", ""))
    suggestions = suggestion_rows(content, region, selected) if content else []
    focus_suggestion = classify and any(row["checked"] for row in suggestions)
    form.set_focus(None if focus_suggestion else "category_search" if classify else "caller_phone")
    context: dict[str, Any] = {
        "form": form,
        "leaves": leaf_categories(),
        "show_help": show_help,
        **_suggestions_context(suggestions, content, form, focus=focus_suggestion),
        **caller_context(request.user, str(data.get("caller_phone", ""))),
    }
    if search:
        code = form.cleaned_data.get("category") if hasattr(form, "cleaned_data") else None
        context.update(_searched_context(code or "", region, search, form))
    last = request.GET.get("last", "")
    if last and not form.is_bound:
        context["last"] = selectors.tickets_for_agent(request.user).filter(number=last[:32]).first()
    return context


def _suggestions_context(
    rows: list[dict[str, Any]], content: str, form: forms.Form | None = None, focus: bool = False
) -> dict[str, Any]:
    return {
        "suggestions": rows,
        "content_given": bool(content.strip()),
        "suggestion_referral": any(row["category"].not_accepted for row in rows),
        "focus_suggestion": focus,
        "referral_told": bool(form is not None and form.data.get("referral_told")),
        "referral_errors": form.errors.get("referral_told") if form is not None else None,
    }


def _searched_context(
    code: str, region: str, search: str, form: forms.Form | None = None
) -> dict[str, Any]:
    rows = category_rows([(code, None)], region) if code else []
    return {
        "searched": rows,
        "search_given": bool(search.strip()),
        "searched_referral": bool(rows and rows[0]["category"].not_accepted),
        "referral_told": bool(form is not None and form.data.get("referral_told")),
        "referral_errors": form.errors.get("referral_told") if form is not None else None,
    }


def _render_desk(
    request: HttpRequest, form: AgentIntakeForm, status: int = 200, **extra: Any
) -> HttpResponse:
    if form.is_bound:  # a corrected form is a new submission
        data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
        data["form_token"] = uuid.uuid4().hex
        form.data = data
    context = _desk_context(request, form, **extra)
    return render(request, "hotline/agent/desk.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    _require_agent(request.user)
    regions = centre_regions(request.user)
    if request.method != "POST":
        form = AgentIntakeForm(regions=regions, initial={"form_token": uuid.uuid4().hex})
        return render(request, "hotline/agent/desk.html", _desk_context(request, form))
    form = AgentIntakeForm(request.POST, regions=regions)
    if not form.is_valid():
        return _render_desk(request, form, 422)
    action = form.cleaned_data["action"]
    category = _chosen_category(form)
    if action == "preview" or (action == "dispatch" and category is None):
        return _render_desk(request, form, show_help=action == "dispatch", classify=True)
    if not _referral_gate(form, category):
        return _render_desk(request, form, 422)
    made, problem = _intake_once(request, form, dispatch=action == "dispatch")
    if problem is not None:
        _put_errors(form, problem)
        return _render_desk(request, form, 422)
    number, note = made["number"], made["note"]
    if note:  # accepted, but the dispatch needs the agent (no rule, …)
        messages.warning(
            request,
            _("工单%(number)s已受理，但未能派单：%(why)s") % {"number": number, "why": note},
        )
        return redirect("hotline:agent_ticket", number=number)
    messages.success(request, _("工单%(number)s已提交。") % {"number": number})
    return redirect(f"{reverse('hotline:agent_desk')}?last={number}")


def _intake_once(
    request: HttpRequest, form: AgentIntakeForm, *, dispatch: bool
) -> tuple[dict[str, str], DomainError | None]:
    """受理 (and 派单) at most once per form: a second Enter replays the first answer."""
    data = form.cleaned_data

    def handler() -> HttpResponse:
        ticket = services.intake(
            request.user,
            type=data["type"],
            channel=Channel.PHONE,
            content=data["content"],
            region_code=data["region_code"],
            address=data["address"],
            caller_name=data["caller_name"],
            caller_phone=data["caller_phone"],
            category_code=data["category"],
            urgency=data["urgency"],
        )
        note = ""
        if dispatch and ticket.status == TicketStatus.ACCEPTED:
            try:
                services.dispatch(request.user, ticket)
            except PermissionDenied:
                raise
            except DomainError as error:  # no rule, inactive department: the agent decides
                note = error.message
        body = json.dumps({"number": ticket.number, "note": note}, ensure_ascii=False)
        return HttpResponse(body, status=201, content_type="application/json")

    token = data.get("form_token") or uuid.uuid4().hex
    request.META["HTTP_IDEMPOTENCY_KEY"] = f"hotline-desk-{token}"[:255]
    try:
        response = run_idempotent(request, handler)
    except DomainError as error:  # the page was submitted before with other values (Back)
        if error.code != "idempotency_key_reused":
            raise
        message = _("这张表单已经提交过；如需再次受理，请核对内容后重新提交。")
        return {}, DomainError(error.code, message)
    answer = json.loads(response.content or b"{}")
    if response.status_code == 201:
        return {"number": answer["number"], "note": answer.get("note", "")}, None
    if response.status_code in (401, 403):
        raise PermissionDenied(answer.get("code"), answer.get("detail"))
    error = DomainError(
        answer.get("code"),
        answer.get("detail", ""),
        field=(answer.get("errors") or [{}])[0].get("field"),
        details=answer.get("details") or {},
    )
    return {}, error


@login_required
@require_GET
def desk_caller(request: HttpRequest) -> HttpResponse:
    """htmx: the earlier tickets of the number typed."""
    _require_agent(request.user)
    context = caller_context(request.user, request.GET.get("caller_phone", ""))
    return _partial(request, "hotline/agent/partials/caller_history.html", context)


@login_required
@require_GET
def desk_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the top three categories for the content typed so far."""
    _require_agent(request.user)
    content = request.GET.get("content", "")
    selected = "-" if request.GET.get("category_search", "").strip() else ""
    selected = selected or request.GET.get("category_code", "")[:6]
    rows = suggestion_rows(content, request.GET.get("region_code", "")[:12], selected)
    context = _suggestions_context(rows, content)
    context["referral_told"] = bool(request.GET.get("referral_told"))  # kept across refreshes
    return _partial(request, "hotline/agent/partials/suggestions.html", context)


@login_required
@require_GET
def desk_category(request: HttpRequest) -> HttpResponse:
    """htmx: the leaf typed in the search box, its department by the rules and any referral."""
    _require_agent(request.user)
    form = AgentCategoryForm(request.GET)
    form.is_valid()
    search = request.GET.get("category_search", "")[:120]
    code = form.cleaned_data.get("category", "") if search.strip() else ""
    context = _searched_context(code, request.GET.get("region_code", "")[:12], search)
    context["referral_told"] = bool(request.GET.get("referral_told"))
    return _partial(request, "hotline/agent/partials/category_info.html", context)
