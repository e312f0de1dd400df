"""The caller's endpoints: submit a demand and follow his own tickets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from yiwang.core.errors import PermissionDenied
from yiwang.core.idempotency import idempotent
from yiwang.hotline import selectors, services
from yiwang.hotline.api.common import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    PUBLIC_ACTIONS,
    _label,
    _number_path,
    _one,
    _page,
    _status_label,
    _summary,
    _user,
    _with_field_errors,
    router,
)
from yiwang.hotline.models import Ticket, TicketStatus
from yiwang.hotline.schemas import (
    MyTicketIn,
    MyTicketOut,
    MyTicketPageOut,
    MyTicketRowOut,
    ProgressOut,
)

# --- the citizen ---------------------------------------------------------------------------------


def _my_row(ticket: Ticket) -> MyTicketRowOut:
    return MyTicketRowOut(
        id=ticket.pk,
        number=ticket.number,
        type=ticket.type,
        status=ticket.status,
        status_label=_status_label(ticket.status),
        category=ticket.category.name if ticket.category is not None else "",
        summary=_summary(ticket.content),
        accepted_at=ticket.accepted_at,
        answered_at=ticket.answered_at,
    )


def my_ticket_out(user: Any, ticket: Ticket) -> MyTicketOut:
    progress = [
        ProgressOut(
            action=e.action,
            label=_label(e.action),
            at=e.at,
            status=e.to_status,
            status_label=_status_label(e.to_status),
        )
        for e in ticket.events.order_by("at", "id")
        if e.action in PUBLIC_ACTIONS
    ]
    referral = ""
    if ticket.status == TicketStatus.NOT_ACCEPTED and ticket.category is not None:
        referral = ticket.category.referral
    return MyTicketOut(
        **_my_row(ticket).model_dump(),
        channel=ticket.channel,
        content=ticket.content,
        region_code=ticket.region_code,
        address=ticket.address,
        caller_phone=selectors.masked_caller_phone(user, ticket),
        department=ticket.department.name if ticket.department is not None else "",
        dispatched_at=ticket.dispatched_at,
        due_at=ticket.due_at,
        answer=ticket.answer,
        closed_at=ticket.closed_at,
        referral=referral,
        progress=progress,
    )


@router.post(
    "/my/tickets",
    response={201: MyTicketOut},
    summary="Submit my own demand (citizens, web or app); send an Idempotency-Key",
    description="来电人为本人（实名信息中的姓名，联系电话默认取实名信息中的号码）。诉求由热线"
    "话务员确认分类后派单。输入有误时 422 `ticket_invalid`，`errors` 列出全部问题。",
)
@idempotent
def submit_my_ticket(request: HttpRequest, payload: MyTicketIn) -> Any:
    user = _user(request)
    person = getattr(user, "person", None)
    if person is None:
        raise PermissionDenied("caller_person_required", _("请以实名认证的个人账户提交诉求。"))

    def submit() -> Status[MyTicketOut]:
        ticket = services.intake(
            None,
            caller=person,
            type=payload.type,
            channel=payload.channel,
            content=payload.content,
            region_code=payload.region_code,
            address=payload.address,
            latitude=payload.latitude,
            longitude=payload.longitude,
            caller_name=person.name,
            caller_phone=payload.caller_phone or person.phone,
        )
        return Status(201, my_ticket_out(user, ticket))

    return _with_field_errors(submit, request)


@router.get("/my/tickets", response=MyTicketPageOut, summary="My demands, newest first")
def my_tickets(
    request: HttpRequest,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> MyTicketPageOut:
    rows, count = _page(selectors.tickets_of_caller(_user(request)), limit, offset)
    return MyTicketPageOut(
        items=[_my_row(t) for t in rows], count=count, limit=limit, offset=offset
    )


@router.get(
    "/my/tickets/{number}", response=MyTicketOut, summary="One of my demands and its progress"
)
def my_ticket(request: HttpRequest, number: str = _number_path()) -> MyTicketOut:
    user = _user(request)
    return my_ticket_out(user, _one(selectors.tickets_of_caller(user), number))


__all__ = ["router"]
