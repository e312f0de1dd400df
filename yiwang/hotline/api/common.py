"""What the hotline API's endpoints share: the router, ticket lookups through each audience's
selector, and the output builders."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Path, Router
from pydantic import BeforeValidator

from yiwang.accounts.auth import SessionOrTokenAuth
from yiwang.accounts.models import Department
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_from_error
from yiwang.hotline import selectors, services, states
from yiwang.hotline.models import Category, Ticket, TicketEvent, TicketStatus, TicketType
from yiwang.hotline.schemas import (
    TICKET_NUMBER_PATTERN,
    CategoryRefOut,
    DepartmentRefOut,
    SuggestionOut,
    TakeInOutcomeOut,
    TicketCreatedOut,
    TicketEventOut,
    TicketOut,
    TicketRowOut,
)

router = Router(tags=["hotline"], auth=SessionOrTokenAuth())

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SUMMARY_CHARS = 60


def _iso_only(value: object) -> object:
    """Accept only an ISO 8601 date-time: pydantic would take ``0.5`` for a Unix timestamp."""
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO 8601 date-time") from None
    elif not isinstance(value, dt.datetime):
        raise ValueError("not an ISO 8601 date-time")
    return value


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_only)]

EVENT_LABELS: dict[str, Any] = {
    "intake": gettext_lazy("受理"),
    "categorise": gettext_lazy("确认分类"),
    "follow": gettext_lazy("随主件办理"),
    **{action: t.label for action, t in states.TRANSITIONS.items()},
}
# What the caller sees of his ticket's timeline (internal steps such as 退单 and 督办 stay inside).
PUBLIC_ACTIONS = frozenset(
    {
        "intake",
        "refer",
        "dispatch",
        "redispatch",
        "insist",
        "sign",
        "approve_extension",
        "answer",
        "answer_directly",
        "callback",
        "close",
        "reopen",
        "merge",
        "follow",
    }
)


# --- helpers -------------------------------------------------------------------------------------


def _number_path() -> Any:
    return Path(..., max_length=32, pattern=TICKET_NUMBER_PATTERN, description="工单编号")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _one(queryset: QuerySet[Ticket], number: str) -> Ticket:
    ticket = queryset.filter(number=number).first()
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    return ticket


def _agent_ticket(request: HttpRequest, number: str) -> Ticket:
    return _one(selectors.tickets_for_agent(_user(request)), number)


def _department_ticket(request: HttpRequest, number: str) -> Ticket:
    return _one(selectors.tickets_for_department(_user(request)), number)


def _staff_ticket(request: HttpRequest, number: str) -> Ticket:
    user = _user(request)
    return _one(selectors.tickets_for_agent(user) | selectors.tickets_for_department(user), number)


def _department(department_id: int | None) -> Department | None:
    """An agent's choice of department for 派单/改派: any active department."""
    if department_id is None:
        return None
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise NotFound("department_not_found", _("承办单位不存在或已停用。"), field="department_id")
    return department


def _department_ref(department: Department | None) -> DepartmentRefOut | None:
    return None if department is None else DepartmentRefOut(id=department.pk, name=department.name)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _summary(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[:SUMMARY_CHARS] + "…"


def _label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


def _status_label(status: str) -> str:
    return str(TicketStatus(status).label) if status in TicketStatus.values else status


def row_out(user: Any, ticket: Ticket) -> TicketRowOut:
    category = ticket.category
    return TicketRowOut(
        id=ticket.pk,
        number=ticket.number,
        type=ticket.type,
        type_label=str(TicketType(ticket.type).label),
        channel=ticket.channel,
        urgency=ticket.urgency,
        status=ticket.status,
        status_label=_status_label(ticket.status),
        category=None
        if category is None
        else CategoryRefOut(code=category.code, name=category.name),
        region_code=ticket.region_code,
        address=ticket.address,
        summary=_summary(ticket.content),
        caller_name=ticket.caller_name,
        caller_phone=selectors.masked_caller_phone(user, ticket),
        department=_department_ref(ticket.department),
        accepted_at=ticket.accepted_at,
        dispatched_at=ticket.dispatched_at,
        sign_due_at=ticket.sign_due_at,
        signed_at=ticket.signed_at,
        due_at=ticket.due_at,
        answered_at=ticket.answered_at,
        closed_at=ticket.closed_at,
        supervised=ticket.supervised,
        warning=selectors.ticket_warning(ticket).value,  # type: ignore[arg-type]
    )


def _suggestion_out(code: str, confidence: float, category: Category) -> SuggestionOut:
    return SuggestionOut(
        code=code,
        name=category.name,
        confidence=float(confidence),
        not_accepted=category.not_accepted,
        referral=category.referral,
    )


def _suggestions(raw: list[dict[str, Any]]) -> list[SuggestionOut]:
    codes = [s.get("code", "") for s in raw]
    if not codes:
        return []
    found = {c.code: c for c in Category.objects.filter(code__in=codes)}
    return [
        _suggestion_out(s["code"], s.get("confidence", 0), found[s["code"]])
        for s in raw
        if s.get("code") in found
    ]


def _event_out(event: TicketEvent) -> TicketEventOut:
    return TicketEventOut(
        action=event.action,
        label=_label(event.action),
        at=event.at,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor.display_name if event.actor is not None else "",
        department=event.department.name if event.department is not None else "",
        reason=event.reason,
        data=event.data or {},
    )


def ticket_out(
    user: Any,
    ticket: Ticket,
    *,
    events: list[TicketEvent] | None = None,
    suggestions: list[SuggestionOut] | None = None,
) -> TicketOut:
    """The ticket with its timeline; ``events`` and ``suggestions`` when already at hand (a
    ticket just taken in), else read (one query each)."""
    if events is None:
        events = list(selectors.timeline(ticket))
    if suggestions is None:
        intake_data = next((e.data for e in events if e.action == "intake"), None) or {}
        suggestions = _suggestions(intake_data.get("suggestions") or [])
    return TicketOut(
        **row_out(user, ticket).model_dump(),
        content=ticket.content,
        latitude=_float(ticket.latitude),
        longitude=_float(ticket.longitude),
        first_department=_department_ref(ticket.first_department),
        answer=ticket.answer,
        resolved=ticket.resolved,
        satisfaction=ticket.satisfaction,
        extended_amount=ticket.extended_amount,
        return_count=ticket.return_count,
        reopen_count=ticket.reopen_count,
        suggestions=suggestions,
        timeline=[_event_out(e) for e in events],
    )


def created_out(user: Any, ticket: Ticket) -> TicketCreatedOut:
    """A ticket ``take_in`` returned, shown from what it wrote (no read-back)."""
    outcome = services.outcome_of(ticket)
    assert outcome is not None
    suggestions = [
        _suggestion_out(s.code, s.confidence, s.category)
        for s in outcome.suggestions
        if s.category is not None
    ]
    return TicketCreatedOut(
        **ticket_out(
            user, ticket, events=list(outcome.events), suggestions=suggestions
        ).model_dump(),
        outcome=TakeInOutcomeOut(
            reason=outcome.reason,  # type: ignore[arg-type]
            message=outcome.message,
            categorised_by=outcome.categorised_by,  # type: ignore[arg-type]
            confidence=outcome.confidence,
            threshold=outcome.threshold,
            dispatched=outcome.dispatched,
        ),
    )


def _page(queryset: QuerySet[Ticket], limit: int, offset: int) -> tuple[list[Ticket], int]:
    return list(queryset[offset : offset + limit]), queryset.count()


def _filtered(
    queryset: QuerySet[Ticket],
    *,
    status: str,
    category: str,
    department: int | None,
    since: dt.datetime | None,
) -> QuerySet[Ticket]:
    if status:
        if status not in TicketStatus.values:
            raise ValidationFailed("unknown_status", _("工单状态无效。"), field="status")
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category__code__startswith=category)
    if department is not None:
        queryset = queryset.filter(department_id=department)
    if since is not None:
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        queryset = queryset.filter(accepted_at__gte=since)
    return queryset


def _with_field_errors(call: Callable[[], Any], request: HttpRequest) -> Any:
    """Run ``call``; an invalid demand answers 422 with its problems as ``errors`` too."""
    try:
        return call()
    except ValidationFailed as error:
        problems = error.details.get("errors") if error.details else None
        if error.code != "ticket_invalid" or not isinstance(problems, dict):
            raise
        body = problem_from_error(error, request.path)
        body["errors"] = [
            {"field": field, "code": problem["code"], "message": problem["message"]}
            for field, problem in problems.items()
        ]
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), status=422, content_type=PROBLEM_CONTENT_TYPE
        )
