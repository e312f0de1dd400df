"""``/hotline/tickets/``: the agent's queue by tab, with search; constant queries per page."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import validate_contact_phone
from yiwang.hotline import selectors
from yiwang.hotline.forms import (
    QUEUE_TABS,
    AgentQueueForm,
)
from yiwang.hotline.models import Ticket, TicketStatus
from yiwang.hotline.views.agent.common import (
    PAGE_SIZE,
    STATUS_TONES,
    _require_agent,
    excerpt,
)


def _overdue_q(now: Any) -> Q:
    return Q(status__in=selectors.OPEN_FOR_DEPARTMENT, due_at__lt=now) | Q(
        status=TicketStatus.DISPATCHED, sign_due_at__lt=now
    )


def _tab_filters(now: Any) -> dict[str, Q]:
    return {
        "accepted": Q(status=TicketStatus.ACCEPTED),
        "returned": Q(status=TicketStatus.RETURNED),
        "extension": Q(status=TicketStatus.SIGNED, extension_requested__gt=0),
        "answered": Q(status=TicketStatus.ANSWERED),
        "called_back": Q(status=TicketStatus.CALLED_BACK),
        "overdue": _overdue_q(now),
    }


def _clock_state(ticket: Ticket, now: Any) -> str | None:
    """normal/yellow/red while the department holds the ticket (both clocks), else None."""
    if ticket.status not in selectors.OPEN_FOR_DEPARTMENT or ticket.due_at is None:
        return None
    level = str(selectors.ticket_warning(ticket, now))
    return level if level in ("yellow", "red") else "normal"


TAB_ORDER = {
    "accepted": ("accepted_at", "id"),
    "returned": ("updated_at", "id"),
    "extension": ("due_at", "id"),
    "answered": ("answered_at", "id"),
    "called_back": ("updated_at", "id"),
    "overdue": ("due_at", "id"),
    "all": ("-accepted_at", "-id"),
}


def _search_q(text: str) -> Q | None:
    text = text.strip()
    if not text:
        return None
    q = Q(number=text)
    if text.isdigit() and len(text) >= 4:
        q |= Q(number__contains=text)
    with contextlib.suppress(ValidationFailed):
        q |= Q(caller_phone=validate_contact_phone(text))
    return q


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _require_agent(request.user)
    form = AgentQueueForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "") if hasattr(form, "cleaned_data") else ""
    tab = form.cleaned_data.get("tab") or ("all" if query else "accepted")
    now = timezone.now()
    filters = _tab_filters(now)
    tickets = selectors.tickets_for_agent(request.user)
    search = _search_q(query)
    if search is not None:
        tickets = tickets.filter(search)
    counts = tickets.aggregate(**{key: Count("id", filter=q) for key, q in filters.items()})
    shown = tickets.filter(filters[tab]) if tab in filters else tickets
    page = Paginator(shown.order_by(*TAB_ORDER[tab]), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "ticket": t,
            "excerpt": excerpt(t.content),
            "tone": STATUS_TONES.get(t.status, "neutral"),
            "clock": _clock_state(t, now),
        }
        for t in page
    ]
    tabs = [
        {"key": key, "label": label, "count": counts.get(key), "current": key == tab}
        for key, label in QUEUE_TABS
    ]
    context = {"form": form, "tabs": tabs, "tab": tab, "query": query, "page_obj": page}
    return render(request, "hotline/agent/queue.html", {**context, "rows": rows})
