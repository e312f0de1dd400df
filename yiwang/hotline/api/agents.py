"""The hotline agents' endpoints: 受理并派单, the list, one ticket and every agent step."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Status

from yiwang.core.idempotency import idempotent
from yiwang.hotline import selectors, services
from yiwang.hotline.api.common import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    IsoDateTime,
    _agent_ticket,
    _department,
    _filtered,
    _number_path,
    _page,
    _staff_ticket,
    _suggestions,
    _user,
    _with_field_errors,
    created_out,
    router,
    row_out,
    ticket_out,
)
from yiwang.hotline.schemas import (
    NO_NUL,
    CallbackIn,
    CategoryIn,
    DispatchIn,
    ExtensionDecisionIn,
    NoteIn,
    ReasonIn,
    ReviewIn,
    SuggestionOut,
    TextIn,
    TicketCreatedOut,
    TicketIn,
    TicketOut,
    TicketPageOut,
    TicketRowOut,
)

# --- agents: intake and the list -----------------------------------------------------------------


@router.post(
    "/tickets",
    response={201: TicketCreatedOut},
    summary="受理并派单 (agents); send an Idempotency-Key",
    description="话务员受理诉求。未填 `category_code` 时由智能分类给出前三个建议；`dispatch` 为真"
    "（默认）且最可信建议的置信度达到部署设定（`YIWANG_HOTLINE_AUTO_CONFIDENCE`，默认0.6）时自动"
    "确认分类，并按派单规则派至承办单位。做不到的部分保留给话务员，`outcome.reason` 说明原因："
    "`dispatched` · `low_confidence` · `no_suggestion` · `no_dispatch_rule` · `not_accepted`"
    "（不予受理，已告知渠道）· `dispatch_not_requested`。输入有误时 422 `ticket_invalid`，"
    "`errors` 列出全部问题，且不保存任何数据。",
)
@idempotent
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    user = _user(request)

    def take_in() -> Status[TicketCreatedOut]:
        return Status(201, created_out(user, services.take_in(user, **payload.model_dump())))

    return _with_field_errors(take_in, request)


@router.get(
    "/tickets",
    response=TicketPageOut,
    summary="Tickets of my centre (agents), newest first",
    description="过滤：`status`、`category`（分类代码前缀，如 `01` 为城乡建设）、`department`"
    "（当前承办单位 id）、`since`（受理时间不早于）。非话务员得到空列表。",
)
def list_tickets(
    request: HttpRequest,
    status: str = Query("", max_length=12),
    category: str = Query("", max_length=6, pattern=r"^[0-9]*$"),
    department: int | None = Query(None, ge=1, le=2**31 - 1),
    since: IsoDateTime | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> TicketPageOut:
    user = _user(request)
    queryset = _filtered(
        selectors.tickets_for_agent(user),
        status=status,
        category=category,
        department=department,
        since=since,
    )
    rows, count = _page(queryset, limit, offset)
    return TicketPageOut(
        items=[row_out(user, t) for t in rows], count=count, limit=limit, offset=offset
    )


@router.get(
    "/suggestions",
    response=list[SuggestionOut],
    summary="The classifier's top three categories for a text (agents)",
)
def suggestions(
    request: HttpRequest,
    text: str = Query(..., max_length=10_000, description="诉求内容"),
) -> list[SuggestionOut]:
    services.require_agent(_user(request))
    return _suggestions(services.suggestions_for(text))


@router.get(
    "/callers/{phone}/tickets",
    response=list[TicketRowOut],
    summary="来电人历史: my centre's earlier tickets from a number (agents)",
)
def caller_tickets(
    request: HttpRequest, phone: str = Path(..., max_length=40, pattern=NO_NUL)
) -> list[TicketRowOut]:
    user = _user(request)
    services.require_agent(user)
    return [row_out(user, t) for t in selectors.caller_history(user, phone)]


# --- one ticket ----------------------------------------------------------------------------------


@router.get(
    "/tickets/{number}",
    response=TicketOut,
    summary="One ticket with its timeline (its centre's agents, its department)",
)
def get_ticket(request: HttpRequest, number: str = _number_path()) -> TicketOut:
    return ticket_out(_user(request), _staff_ticket(request, number))


@router.post(
    "/tickets/{number}/category",
    response=TicketOut,
    summary="确认或更正分类 (agents, before dispatch); a 不予受理 category refers the caller",
)
def confirm_category(
    request: HttpRequest, payload: CategoryIn, number: str = _number_path()
) -> TicketOut:
    user = _user(request)
    ticket = services.confirm_category(user, _agent_ticket(request, number), payload.category_code)
    return ticket_out(user, ticket)


@router.post(
    "/tickets/{number}/dispatch",
    response=TicketOut,
    summary="派单 by the rules, or to `department_id` (agents)",
)
def dispatch(request: HttpRequest, payload: DispatchIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    ticket = _agent_ticket(request, number)
    ticket = services.dispatch(user, ticket, _department(payload.department_id))
    return ticket_out(user, ticket)


@router.post(
    "/tickets/{number}/review",
    response=TicketOut,
    summary="退单审核: 改派 (`redispatch`, to `department_id` or by the rules) or 维持 (`insist`)",
)
def review(request: HttpRequest, payload: ReviewIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    ticket = _agent_ticket(request, number)
    ticket = services.review_return(
        user, ticket, payload.decision, _department(payload.department_id)
    )
    return ticket_out(user, ticket)


@router.post("/tickets/{number}/supervise", response=TicketOut, summary="督办 (agents)")
def supervise(request: HttpRequest, payload: NoteIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    return ticket_out(user, services.supervise(user, _agent_ticket(request, number), payload.note))


@router.post(
    "/tickets/{number}/extension",
    response=TicketOut,
    summary="延期审核: approve or decline the department's request (agents)",
)
def decide_extension(
    request: HttpRequest, payload: ExtensionDecisionIn, number: str = _number_path()
) -> TicketOut:
    user = _user(request)
    ticket = services.decide_extension(
        user, _agent_ticket(request, number), approve=payload.approve, note=payload.note
    )
    return ticket_out(user, ticket)


@router.post(
    "/tickets/{number}/callback",
    response=TicketOut,
    summary="回访: resolved or not, satisfaction 1–5 (agents)",
)
def callback(request: HttpRequest, payload: CallbackIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    ticket = services.callback(
        user,
        _agent_ticket(request, number),
        resolved=payload.resolved,
        satisfaction=payload.satisfaction,
    )
    return ticket_out(user, ticket)


@router.post("/tickets/{number}/close", response=TicketOut, summary="办结 (agents)")
def close(request: HttpRequest, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    return ticket_out(user, services.close(user, _agent_ticket(request, number)))


@router.post(
    "/tickets/{number}/reopen",
    response=TicketOut,
    summary="重办: back to the department when the caller was not helped (agents)",
)
def reopen(request: HttpRequest, payload: ReasonIn, number: str = _number_path()) -> TicketOut:
    user = _user(request)
    return ticket_out(user, services.reopen(user, _agent_ticket(request, number), payload.reason))


@router.post(
    "/tickets/{number}/answer-directly",
    response=TicketOut,
    summary="当场答复 a consultation and close it (agents)",
)
def answer_directly(
    request: HttpRequest, payload: TextIn, number: str = _number_path()
) -> TicketOut:
    user = _user(request)
    ticket = services.answer_directly(user, _agent_ticket(request, number), payload.text)
    return ticket_out(user, ticket)
