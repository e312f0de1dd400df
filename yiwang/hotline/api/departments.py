"""The handling department's endpoints: its list, 签收, 退单, 申请延期 and 答复."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query

from yiwang.hotline import selectors, services
from yiwang.hotline.api.common import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    IsoDateTime,
    _department_ticket,
    _filtered,
    _number_path,
    _page,
    _user,
    router,
    row_out,
    ticket_out,
)
from yiwang.hotline.schemas import (
    ExtendIn,
    ReasonIn,
    TextIn,
    TicketOut,
    TicketPageOut,
)

# --- the handling department ---------------------------------------------------------------------


@router.get(
    "/department/tickets",
    response=TicketPageOut,
    summary="Tickets now with my department (handlers), newest first",
)
def department_tickets(
    request: HttpRequest,
    status: str = Query("", max_length=12),
    category: str = Query("", max_length=6, pattern=r"^[0-9]*$"),
    since: IsoDateTime | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> TicketPageOut:
    user = _user(request)
    queryset = _filtered(
        selectors.tickets_for_department(user),
        status=status,
        category=category,
        department=None,
        since=since,
    )
    rows, count = _page(queryset, limit, offset)
    return TicketPageOut(
        items=[row_out(user, t) for t in rows], count=count, limit=limit, offset=offset
    )


@router.post("/tickets/{number}/sign", response=TicketOut, summary="签收 (the department)")
def sign(request: HttpRequest, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    return ticket_out(user, services.sign(user, _department_ticket(request, number)))


@router.post(
    "/tickets/{number}/return",
    response=TicketOut,
    summary="退单 with a reason, within 2 working days of dispatch (the department)",
)
def return_ticket(
    request: HttpRequest, payload: ReasonIn, number: str = _number_path()
) -> TicketOut:
    user = _user(request)
    ticket = services.return_ticket(user, _department_ticket(request, number), payload.reason)
    return ticket_out(user, ticket)


@router.post(
    "/tickets/{number}/extend",
    response=TicketOut,
    summary="申请延期 by working days, for the hotline to decide (the department)",
)
def extend(request: HttpRequest, payload: ExtendIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    ticket = services.extend(
        user, _department_ticket(request, number), payload.amount, payload.reason
    )
    return ticket_out(user, ticket)


@router.post("/tickets/{number}/answer", response=TicketOut, summary="答复 (the department)")
def answer(request: HttpRequest, payload: TextIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    ticket = services.answer(user, _department_ticket(request, number), payload.text)
    return ticket_out(user, ticket)
