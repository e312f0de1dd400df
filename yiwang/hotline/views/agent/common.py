"""Shared parts of the agent's pages: who may use them, regions and categories as the desk
shows them, excerpts, error placement and htmx fragments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Department, Region
from yiwang.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import region_parent_code
from yiwang.hotline import selectors, services, states
from yiwang.hotline.models import Category, Ticket, TicketStatus

PAGE_SIZE = 20
HISTORY_LIMIT = 10
EXCERPT_CHARS = 40
_LONG_DIGITS = re.compile(r"\d{7,}[\dXx]?")

STATUS_TONES: dict[str, str] = {
    TicketStatus.ACCEPTED: "info",
    TicketStatus.DISPATCHED: "info",
    TicketStatus.SIGNED: "info",
    TicketStatus.RETURNED: "warning",
    TicketStatus.ANSWERED: "success",
    TicketStatus.CALLED_BACK: "success",
    TicketStatus.CLOSED: "neutral",
    TicketStatus.NOT_ACCEPTED: "neutral",
    TicketStatus.MERGED: "neutral",
}
EVENT_LABELS: dict[str, Any] = {
    "intake": gettext_lazy("受理"),
    "categorise": gettext_lazy("确认分类"),
    "merged_in": gettext_lazy("并入重复件"),
    "follow": gettext_lazy("随主工单办理"),
    "warn": gettext_lazy("时限预警"),
    # 好差评 (written by yiwang.ratings)
    "rated": gettext_lazy("诉求人已评价"),
    "rerated": gettext_lazy("诉求人已重新评价"),
    "review_closed": gettext_lazy("差评整改已办结"),
    **{action: t.label for action, t in states.TRANSITIONS.items()},
}
EVENT_TONES = {
    "return": "warning",
    "refer": "warning",
    "supervise": "warning",
    "warn": "danger",
    "reopen": "danger",
    "answer": "success",
    "answer_directly": "success",
    "callback": "success",
    "close": "success",
}
REVEAL_PURPOSES = (gettext_lazy("回访来电人"), gettext_lazy("联系来电人核实诉求"))


# --- access ---------------------------------------------------------------------------------------


def _require_agent(user: Any) -> None:
    if not services.is_agent(user):
        raise PermissionDenied("hotline_agent_only", _("只有12345话务员可以使用此页面。"))


def _agent_ticket(user: Any, number: str) -> Ticket:
    """The ticket ``number`` of the agent's centre (404 otherwise)."""
    _require_agent(user)
    ticket = selectors.tickets_for_agent(user).filter(number=str(number)[:32]).first()
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    return ticket


def _ticket_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("hotline:agent_ticket", args=[ticket.number])
    return f"{url}#{anchor}" if anchor else url


# --- what the pages show --------------------------------------------------------------------------


def excerpt(text: str, length: int = EXCERPT_CHARS) -> str:
    """The start of a demand with long digit runs (phone and ID numbers) masked."""
    flat = " ".join((text or "").split())
    masked = _LONG_DIGITS.sub(lambda m: m.group()[:3] + "****" + m.group()[-2:], flat)
    return masked if len(masked) <= length else masked[: length - 1] + "…"


def centre_regions(user: Any) -> list[tuple[str, str]]:
    """(code, label) of the current regions of the agent's centres, e.g. ``339902001001 示范市 ·
    东湖区 · 湖滨街道 · 湖滨社区`` (the code first: typing it selects the option); one query."""
    prefixes = selectors.agent_region_prefixes(user)
    if not prefixes:
        return []
    q = Q()
    for prefix in prefixes:
        q |= Q(code__startswith=prefix)
    rows = list(
        Region.objects.filter(q, valid_to__isnull=True).order_by("code").values_list("code", "name")
    )
    names = dict(rows)
    choices = []
    for code, _name in rows:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current in names:
            chain.append(names[current])
            current = region_parent_code(current)
        choices.append((code, f"{code} {' · '.join(reversed(chain))}"))
    return choices


def region_label(code: str) -> str:
    region = Region.objects.filter(code=code, valid_to__isnull=True).first()
    return f"{region.name}（{code}）" if region else code


def category_path(category: Category) -> str:
    names = [category.name]
    parent = category.parent
    while parent is not None:
        names.append(parent.name)
        parent = parent.parent
    return " › ".join(reversed(names))


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(level=3, is_active=True).select_related("parent__parent")


def _rule_department(category: Category, region_code: str) -> Department | None:
    if category.not_accepted or not re.fullmatch(r"\d{12}", region_code or ""):
        return None
    try:
        return services.responsible_department(category, region_code)
    except NotFound:
        return None


def _percent(confidence: float | None) -> str:
    if confidence is None:
        return ""
    return "<1%" if confidence < 0.005 else f"{round(confidence * 100)}%"


def category_rows(
    scored: Iterable[tuple[str, float | None]], region_code: str, selected: str = ""
) -> list[dict[str, Any]]:
    """What a category choice shows: path, confidence, 不予受理 referral, the department the
    rules give for the region. ``selected`` is checked when listed, else the first row."""
    scored = list(scored)
    found = {c.code: c for c in leaf_categories().filter(code__in=[code for code, _ in scored])}
    rows: list[dict[str, Any]] = []
    for code, confidence in scored:
        category = found.get(code)
        if category is None:
            continue
        rows.append(
            {
                "category": category,
                "path": category_path(category),
                "confidence": _percent(confidence),
                "tone": "success" if (confidence or 0) >= 0.6 else "neutral",
                "department": _rule_department(category, region_code),
                "region_known": bool(region_code),
                "checked": False,
            }
        )
    if rows and selected != "-":
        chosen = next((r for r in rows if r["category"].code == selected), rows[0])
        chosen["checked"] = True
    return rows


def suggestion_rows(text: str, region_code: str, selected: str = "") -> list[dict[str, Any]]:
    text = (text or "")[: services.MAX_CONTENT_CHARS]
    if not any(ch.isalnum() for ch in text):
        return []
    scored = [(s["code"], s["confidence"]) for s in services.suggestions_for(text)]
    return category_rows(scored, region_code, selected)


def caller_context(user: Any, phone: str) -> dict[str, Any]:
    """The earlier tickets of the number, newest first, with masked excerpts."""
    phone = (phone or "").strip()[:40]
    if not phone:
        return {"caller_asked": False}
    try:
        tickets = selectors.caller_history(user, phone, limit=HISTORY_LIMIT)
    except ValidationFailed as error:
        return {"caller_asked": True, "caller_error": error.message}
    rows = [
        {"ticket": t, "excerpt": excerpt(t.content), "tone": STATUS_TONES.get(t.status, "neutral")}
        for t in tickets
    ]
    open_count = sum(1 for t in tickets if t.status in states.OPEN_STATUSES)
    return {"caller_asked": True, "caller_rows": rows, "caller_open": open_count}


def _chosen_category(form: forms.Form) -> Category | None:
    code = form.cleaned_data.get("category") or ""
    return services.leaf_category(code) if code else None


def _referral_gate(form: forms.Form, category: Category | None) -> bool:
    """A 不予受理 category needs the agent to confirm he told the caller where to go."""
    if category is None or not category.not_accepted or form.cleaned_data.get("referral_told"):
        return True
    form.add_error(
        "referral_told",
        _("该诉求不予受理：请先向来电人告知“%(referral)s”，再勾选“已告知”。")
        % {"referral": category.referral},
    )
    return False


def _put_errors(form: forms.Form, error: DomainError) -> None:
    """A service's refusal on the form: every field of ``details.errors``, else its field."""
    listed = (error.details or {}).get("errors")
    if isinstance(listed, dict) and listed:
        for field, problem in listed.items():
            message = problem.get("message", "") if isinstance(problem, dict) else str(problem)
            form.add_error(field if field in form.fields else None, message)
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _partial(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response
