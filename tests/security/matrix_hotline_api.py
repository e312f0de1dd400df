"""Authorisation matrix entries for the hotline API (/api/v1/hotline): the agents' tickets and
steps, the handling department's steps, the citizen's own demands, and the agents' tools (see
tests/security/authz/).

Personas added here: a hotline agent of the city's 12345 centre (its region covers both
districts), an agent of another city's centre (an agent, but not of these tickets), and the
12345 handlers of department A (the responsible department by the rules) and of department B."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    Case,
    Endpoint,
    Listing,
    Owned,
    Parameterised,
    Restricted,
    Scoped,
    World,
    body,
    describe,
    register_persona,
    send,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_department, make_region, make_role
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import DispatchRule, Ticket, TicketEvent

HOTLINE_AGENT = "hotline_api_agent"  # 12345 centre of the city: hotline.intake + dispatch
FAR_AGENT = "hotline_api_far_agent"  # the same role in another city's centre
HANDLER_A = "hotline_api_handler_a"  # hotline.handle in department A
HANDLER_B = "hotline_api_handler_b"  # hotline.handle in department B

API = "/api/v1/hotline"
CITY = "330100000000"
STREET_A = "330102001001"  # a community of district A
FAR_CITY = "440300000000"
PROPERTY = "010101"  # 物业服务质量; the world's rules send 01 and 12 to department A
CONSULTATION = "120103"
_serial = itertools.count(1)


# --- the world's hotline -------------------------------------------------------------------------


def _hotline(world: World) -> dict[str, Any]:
    """The taxonomy, the city's 12345 centre and the rules 01, 12 → department A (once per
    world)."""
    cache = world.__dict__.setdefault("_hotline_api", {})
    if not cache:
        sync_categories()
        world.region(CITY)
        cache["centre"] = make_department("示范市12345政务服务便民热线中心", region=CITY)
        for prefix in ("01", "12"):
            DispatchRule.objects.create(category_prefix=prefix, department=world.department("a"))
    return cache


def _staff(
    username: str, name: str, department: Callable[[World], Department], *capabilities: str
) -> Callable[[World], User]:
    def build(world: World) -> User:
        user = account_services.create_user_account(
            username, kind=User.Kind.STAFF, display_name=name, password=PASSWORD
        )
        role = make_role(
            Role.Scope.OWN_DEPARTMENT, capabilities=capabilities, code=f"authz-{username}"
        )
        account_services.grant_role(None, user, department(world), role)
        user.refresh_from_db()
        return user

    return build


def _far_centre(world: World) -> Department:
    make_region(FAR_CITY)
    return make_department("深圳市12345热线中心", region=FAR_CITY)


register_persona(
    HOTLINE_AGENT,
    _staff(
        "hla.agent",
        "贺拉斯",
        lambda world: _hotline(world)["centre"],
        "hotline.intake",
        "hotline.dispatch",
    ),
)
register_persona(
    FAR_AGENT, _staff("hla.far", "菲奥娜", _far_centre, "hotline.intake", "hotline.dispatch")
)
register_persona(
    HANDLER_A, _staff("hla.handler.a", "汉娜", lambda w: w.department("a"), "hotline.handle")
)
register_persona(
    HANDLER_B, _staff("hla.handler.b", "亨利", lambda w: w.department("b"), "hotline.handle")
)


# --- tickets in each state -----------------------------------------------------------------------


def _demand(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "complaint",
        "channel": "phone",
        "content": f"授权矩阵热线诉求{next(_serial)}：小区物业不打扫楼道，垃圾堆了一周。",
        "region_code": STREET_A,
        "address": "上城区某路1号",
        "caller_name": "王先生",
        "caller_phone": "13812345678",
        "category_code": PROPERTY,
    }
    values.update(overrides)
    return values


def _agent(world: World) -> User:
    _hotline(world)
    return world.must(HOTLINE_AGENT)


def _accepted(world: World, **overrides: Any) -> Ticket:
    return services.intake(_agent(world), **_demand(**overrides))


def _consultation(world: World) -> Ticket:
    return _accepted(world, type="consult", category_code=CONSULTATION)


def _dispatched(world: World) -> Ticket:
    return services.dispatch(_agent(world), _accepted(world))


def _signed(world: World) -> Ticket:
    return services.sign(world.must(HANDLER_A), _dispatched(world))


def _extension_requested(world: World) -> Ticket:
    return services.extend(world.must(HANDLER_A), _signed(world), 2, "需要协调业委会")


def _returned(world: World) -> Ticket:
    return services.return_ticket(world.must(HANDLER_A), _dispatched(world), "非本单位职责")


def _answered(world: World) -> Ticket:
    return services.answer(world.must(HANDLER_A), _signed(world), "已督促物业清扫。")


def _called_back_unresolved(world: World) -> Ticket:
    return services.callback(_agent(world), _answered(world), resolved=False, satisfaction=2)


def _citizens_own(world: World) -> Ticket:
    person = world.must(CITIZEN_A).person
    return services.intake(
        None, caller=person, **_demand(channel="app", caller_name=person.name, category_code="")
    )


def _number(ticket: Ticket) -> dict[str, str]:
    return {"number": ticket.number}


def _marker(ticket: Ticket) -> str:
    """The demand's text (its number is in every URL, so problem+json ``instance`` repeats it)."""
    return ticket.content[:12]


# --- the agents' tools ----------------------------------------------------------------------------


@dataclass(eq=False)
class AgentTool(Parameterised):
    """``Parameterised``, and for ``blind`` personas (agents, but of another centre): 200 without
    the object's ``marker``."""

    blind: Sequence[str] = ()
    marker: Callable[[Any], str] | None = None

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        yield from super().cases(endpoints, index)
        for endpoint in endpoints:
            for persona in self.blind:
                yield Case("blind", self, endpoint, "GET", persona, ("session",))

    def run(self, case: Case, world: World) -> None:
        if case.check != "blind":
            super().run(case, world)
            return
        obj = world.obj(self)  # type: ignore[arg-type]
        world.everyone()
        response = send(
            world.client(case.persona), "GET", self.url_for(case.endpoint, obj), api=True
        )
        assert response.status_code == 200, f"{case}: expected 200, got {describe(response)}"
        assert self.marker is not None
        assert self.marker(obj) not in body(response), f"{case}: another centre's ticket shown"


def _agent_demand(world: World, persona: str) -> dict[str, Any]:
    _hotline(world)
    if persona == FAR_AGENT:  # his own city's demand
        return _demand(region_code="440305001001", category_code="")
    return _demand(category_code="")


def _citizen_demand(world: World, persona: str) -> dict[str, Any]:
    return {
        "type": "complaint",
        "channel": "app",
        "content": f"授权矩阵市民诉求{next(_serial)}：路灯坏了一周。",
        "region_code": STREET_A,
    }


# --- who is an outsider --------------------------------------------------------------------------

CORE_OUTSIDERS = (CLERK_A, CLERK_B, OUTSIDER_STAFF, CITIZEN_A, CITIZEN_B, AUDITOR)
# Agents' steps: the department (even the responsible one) and another city's agent are out.
AGENT_STEP_OUTSIDERS = (FAR_AGENT, HANDLER_A, HANDLER_B, *CORE_OUTSIDERS)
# The department's steps: the sibling department and the agents are out.
DEPARTMENT_STEP_OUTSIDERS = (HANDLER_B, HOTLINE_AGENT, FAR_AGENT, *CORE_OUTSIDERS)
NOT_AGENTS = (HANDLER_A, HANDLER_B, *CORE_OUTSIDERS)

ENTRIES = [
    # Lists filtered to the caller; proven by the Scoped/Owned entries below.
    Listing((f"GET {API}/tickets", f"GET {API}/department/tickets", f"GET {API}/my/tickets")),
    # One ticket: its centre's agents and the department that has it; not the sibling department.
    Scoped(
        f"GET {API}/tickets/{{number}}",
        make=_dispatched,
        owner=HOTLINE_AGENT,
        outsiders=(FAR_AGENT, HANDLER_B, *CORE_OUTSIDERS),
        kwargs=_number,
        lists=(f"GET {API}/tickets",),
        marker=_marker,
    ),
    # Agents' steps before dispatch: category, dispatch, 当场答复 (a consultation).
    Scoped(
        (
            f"POST {API}/tickets/{{number}}/category",
            f"POST {API}/tickets/{{number}}/dispatch",
            f"POST {API}/tickets/{{number}}/answer-directly",
        ),
        make=_consultation,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        lists=(f"GET {API}/tickets",),
        marker=_marker,
        payloads={"POST": {"category_code": PROPERTY, "text": "已当场答复办理方式。"}},
    ),
    Scoped(
        f"POST {API}/tickets/{{number}}/supervise",
        make=_dispatched,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"note": "请加快办理"}},
    ),
    Scoped(
        f"POST {API}/tickets/{{number}}/review",
        make=_returned,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"decision": "insist"}},
    ),
    Scoped(
        f"POST {API}/tickets/{{number}}/extension",
        make=_extension_requested,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"approve": True}},
    ),
    Scoped(
        f"POST {API}/tickets/{{number}}/callback",
        make=_answered,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"resolved": False, "satisfaction": 2}},
    ),
    Scoped(
        (f"POST {API}/tickets/{{number}}/close", f"POST {API}/tickets/{{number}}/reopen"),
        make=_called_back_unresolved,
        owner=HOTLINE_AGENT,
        outsiders=AGENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"reason": "来电人表示未解决"}},
    ),
    # The handling department's steps: department A's handler only.
    Scoped(
        (f"POST {API}/tickets/{{number}}/sign", f"POST {API}/tickets/{{number}}/return"),
        make=_dispatched,
        owner=HANDLER_A,
        outsiders=DEPARTMENT_STEP_OUTSIDERS,
        kwargs=_number,
        lists=(f"GET {API}/department/tickets",),
        marker=_marker,
        payloads={"POST": {"reason": "非本单位职责"}},
    ),
    Scoped(
        (f"POST {API}/tickets/{{number}}/extend", f"POST {API}/tickets/{{number}}/answer"),
        make=_signed,
        owner=HANDLER_A,
        outsiders=DEPARTMENT_STEP_OUTSIDERS,
        kwargs=_number,
        marker=_marker,
        payloads={"POST": {"amount": 1, "reason": "需要现场核实", "text": "已处理。"}},
    ),
    # The citizen's own demand: his alone through /my (agents use /tickets).
    Owned(
        f"GET {API}/my/tickets/{{number}}",
        make=_citizens_own,
        owner=CITIZEN_A,
        outsiders=(CITIZEN_B, HOTLINE_AGENT, HANDLER_A, CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR),
        kwargs=_number,
        lists=(f"GET {API}/my/tickets",),
        marker=_marker,
    ),
    Restricted(
        f"POST {API}/my/tickets",
        allowed=(CITIZEN_A, CITIZEN_B),
        refused=(HOTLINE_AGENT, HANDLER_A, CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR),
        payloads={"POST": _citizen_demand},
        counts=(Ticket, TicketEvent),
        idempotency=True,
    ),
    # 受理并派单: agents only; one agent's Idempotency-Key never replays for another.
    Restricted(
        f"POST {API}/tickets",
        allowed=(HOTLINE_AGENT, FAR_AGENT),
        refused=NOT_AGENTS,
        payloads={"POST": _agent_demand},
        counts=(Ticket, TicketEvent),
        idempotency=True,
    ),
    Restricted(
        f"GET {API}/suggestions",
        allowed=(HOTLINE_AGENT, FAR_AGENT),
        refused=NOT_AGENTS,
        query={"text": "小区物业不打扫楼道卫生"},
    ),
    # 来电人历史: agents only, and only their own centre's tickets.
    AgentTool(
        f"GET {API}/callers/{{phone}}/tickets",
        make=_accepted,
        kwargs=lambda ticket: {"phone": ticket.caller_phone},
        allowed=(HOTLINE_AGENT,),
        refused=NOT_AGENTS,
        blind=(FAR_AGENT,),
        marker=_marker,
    ),
]
