"""Authorisation matrix entries for the 12345 agent's desk (话务员工作台): the intake screen and its
htmx panels, the queue, the agent's ticket page and every action on it (see tests/security/authz/).

Only a hotline agent whose centre covers the ticket's region may use them. Outsiders: the
handler of the department the ticket is dispatched to (he works on /hotline/department/…, never
here), an agent of another district's centre, the counter clerks, staff without a role, both
citizens and the auditor."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    Restricted,
    Scoped,
    World,
    register_persona,
)
from tests.security.authz.world import CITY, DISTRICT_A
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_department, make_role
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import DispatchRule, Ticket

DESK_AGENT = "desk_agent"  # 话务员 of the city's 12345 centre (hotline.intake, hotline.dispatch)
DESK_OTHER_AGENT = "desk_other_agent"  # 话务员 of district B's centre: another region
DESK_HANDLER = "desk_handler"  # 接诉即办专员 of department A (hotline.handle), where tickets go

PROPERTY = "010101"  # 物业服务质量
CONSULT = "120103"  # a consultation leaf (当场答复)
_serial = itertools.count(1)


def _centre(world: World) -> Department:
    cache = world.__dict__.setdefault("_hotline_agent_objects", {})
    if "centre" not in cache:
        cache["centre"] = make_department("示范市12345热线中心（授权矩阵）", region=CITY)
    return cache["centre"]


def _staff(username: str, name: str, capabilities: tuple[str, ...], department: Any) -> Any:
    def build(world: World) -> User:
        user = account_services.create_user_account(
            username, kind=User.Kind.STAFF, display_name=name, password=PASSWORD
        )
        role = make_role(Role.Scope.OWN_DEPARTMENT, capabilities=capabilities)
        account_services.grant_role(None, user, department(world), role)
        return user

    return build


AGENT_CAPABILITIES = ("hotline.intake", "hotline.dispatch")
register_persona(DESK_AGENT, _staff("lin.desk", "林话务", AGENT_CAPABILITIES, _centre))
register_persona(
    DESK_OTHER_AGENT,
    _staff("xu.desk", "许话务", AGENT_CAPABILITIES, lambda world: world.department("b")),
)
register_persona(
    DESK_HANDLER,
    _staff("shen.handler", "沈专员", ("hotline.handle",), lambda world: world.department("a")),
)

OUTSIDERS = (
    DESK_HANDLER,
    DESK_OTHER_AGENT,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    CITIZEN_A,
    CITIZEN_B,
    AUDITOR,
)
# Pages that are not about one ticket: every agent may use them (for his own centre).
NON_AGENTS = tuple(p for p in OUTSIDERS if p != DESK_OTHER_AGENT)


# --- the tickets ----------------------------------------------------------------------------------


def _rules(world: World) -> None:
    sync_categories()
    DispatchRule.objects.get_or_create(
        category_prefix="01", region_prefix="", defaults={"department": world.department("a")}
    )
    DispatchRule.objects.get_or_create(
        category_prefix="12", region_prefix="", defaults={"department": world.department("a")}
    )


def _intake(world: World, **overrides: Any) -> Ticket:
    _rules(world)
    values: dict[str, Any] = {
        "type": "complaint",
        "channel": "phone",
        "content": f"授权矩阵工单{next(_serial)}号：楼道垃圾一周无人清理",
        "region_code": DISTRICT_A,
        "caller_name": "来电市民",
        "caller_phone": "13800000000",
        "category_code": PROPERTY,
    }
    values.update(overrides)
    return services.intake(world.must(DESK_AGENT), **values)


def _accepted(world: World) -> Ticket:
    """A consultation, categorised and waiting for dispatch (every accepted-state action fits)."""
    return _intake(world, type="consult", category_code=CONSULT)


def _dispatched(world: World) -> Ticket:
    return services.dispatch(world.must(DESK_AGENT), _intake(world))


def _returned(world: World) -> Ticket:
    ticket = _dispatched(world)
    return services.return_ticket(world.must(DESK_HANDLER), ticket, "不属于本单位职责")


def _answered(world: World) -> Ticket:
    ticket = _dispatched(world)
    handler = world.must(DESK_HANDLER)
    services.sign(handler, ticket)
    return services.answer(handler, ticket, "已督促物业清理。")


def _extension_asked(world: World) -> Ticket:
    ticket = _dispatched(world)
    handler = world.must(DESK_HANDLER)
    services.sign(handler, ticket)
    return services.request_extension(handler, ticket, 3, "需现场勘查")


def _unsatisfied(world: World) -> Ticket:
    ticket = _answered(world)
    return services.callback(world.must(DESK_AGENT), ticket, resolved=False, satisfaction=2)


def _number(ticket: Any) -> dict[str, str]:
    return {"number": ticket.number}


def _marker(ticket: Any) -> str:
    """The demand's text, first words (the queue shows an excerpt; the number is in the URL)."""
    return ticket.content[:14]


def _accepted_actions(world: World, ticket: Ticket) -> dict[str, str]:
    primary = _intake(world, type="consult", category_code=CONSULT)
    return {
        "category_code": CONSULT,
        "department": "",
        "text": "可登录一网通办查询办理指南。",
        "primary": primary.number,
        "reason": "同一来电人重复反映",
    }


def _desk_form(world: World, persona: str) -> dict[str, str]:
    _rules(world)
    return {
        "caller_phone": "13800000000",
        "caller_name": "来电市民",
        "type": "complaint",
        "urgency": "normal",
        "content": "授权矩阵来电：楼道垃圾一周无人清理",
        "region_code": DISTRICT_A,
        "category_code": PROPERTY,
        "form_token": uuid.uuid4().hex,
        "action": "dispatch",
    }


QUERY = {"tab": "all"}  # the queue's tab that lists every state (harmless on the other URLs)

ENTRIES = [
    # The intake screen: agents only; a refused POST stores no ticket.
    Restricted(
        "hotline:agent_desk",
        allowed=(DESK_AGENT,),
        refused=NON_AGENTS,
        payloads={"POST": _desk_form},
        counts=(Ticket,),
    ),
    # Its htmx panels and the queue: agents only (the queue shows only the centre's tickets,
    # proven by the Scoped entries that name it).
    Restricted(
        (
            "hotline:agent_desk_caller",
            "hotline:agent_desk_suggest",
            "hotline:agent_desk_category",
            "hotline:agent_tickets",
        ),
        allowed=(DESK_AGENT,),
        refused=NON_AGENTS,
        query={"caller_phone": "13800000000", "content": "楼道垃圾", "category_search": PROPERTY},
    ),
    # The agent's ticket page, 显示完整号码 and 督办 (a dispatched ticket).
    Scoped(
        ("hotline:agent_ticket", "hotline:agent_ticket_phone", "hotline:agent_ticket_supervise"),
        make=_dispatched,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        lists=("hotline:agent_tickets",),
        marker=_marker,
        query=QUERY,
        payloads={"POST": {"purpose": "回访来电人", "note": "请加快办理"}},
    ),
    # Actions on an accepted ticket: confirm the category, dispatch, 当场答复, merge.
    Scoped(
        (
            "hotline:agent_ticket_categorise",
            "hotline:agent_ticket_dispatch",
            "hotline:agent_ticket_answer",
            "hotline:agent_ticket_merge",
        ),
        make=_accepted,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        lists=("hotline:agent_tickets",),
        marker=_marker,
        query=QUERY,
        payloads={"POST": _accepted_actions},
    ),
    # 审核退单 (改派/维持).
    Scoped(
        "hotline:agent_ticket_review",
        make=_returned,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"decision": "insist"}},
    ),
    # 延期审核 (批准/不予延期).
    Scoped(
        "hotline:agent_ticket_extension",
        make=_extension_asked,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"decision": "approve"}},
    ),
    # 回访.
    Scoped(
        "hotline:agent_ticket_callback",
        make=_answered,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"resolved": "yes", "satisfaction": "5"}},
    ),
    # 办结 and 重办 after an unsatisfied call-back.
    Scoped(
        ("hotline:agent_ticket_close", "hotline:agent_ticket_reopen"),
        make=_unsatisfied,
        owner=DESK_AGENT,
        outsiders=OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"reason": "来电人表示问题仍未解决"}},
    ),
]
