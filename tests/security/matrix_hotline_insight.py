"""Authorisation matrix entries for the 12345 insight pages: the 三率 (agents, leaders with
``insight.view`` and the departments' 12345 handlers, each within their scope) and the hot
spots (未诉先办): seen by the agents, the leaders and the responsible department's handlers,
accepted and resolved by those handlers only. Anyone else gets 404 (the agent and the leader,
who see a hot spot, get 403 for its actions) — see tests/security/authz/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    CORE_PERSONAS,
    OUTSIDER_STAFF,
    Listing,
    Restricted,
    Scoped,
    World,
    register_persona,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_role
from yiwang.hotline import hotspots
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Category, HotSpot

# Named for this module, so that another hotline matrix module's personas never replace them.
INSIGHT_HANDLER_A = "insight_handler_a"  # 接诉即办专员 of department A (hotline.handle)
INSIGHT_HANDLER_B = "insight_handler_b"  # the same in department B (the sibling department)
INSIGHT_AGENT = "insight_agent"  # 话务员 of the city (hotline.intake/dispatch, region subtree)
INSIGHT_LEADER = "insight_leader"  # 领导 of the city (insight.view, region subtree)

STREET_AREA_A = "330102001000"  # a street in district A
STREETLIGHTS = "100301"  # 路灯照明


def _staff(
    username: str, name: str, department: str, capabilities: tuple[str, ...], scope: str
) -> Callable[[World], User]:
    def build(world: World) -> User:
        user = account_services.create_user_account(
            username, kind=User.Kind.STAFF, display_name=name, password=PASSWORD
        )
        role = make_role(scope, capabilities=capabilities)
        account_services.grant_role(None, user, world.department(department), role)
        user.refresh_from_db()
        return user

    return build


register_persona(
    INSIGHT_HANDLER_A,
    _staff("ines.handler", "甲热点", "a", ("hotline.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    INSIGHT_HANDLER_B,
    _staff("igor.handler", "乙热点", "b", ("hotline.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    INSIGHT_AGENT,
    _staff(
        "ivy.agent",
        "丙热线",
        "parent",
        ("hotline.intake", "hotline.dispatch"),
        Role.Scope.REGION_SUBTREE,
    ),
)
register_persona(
    INSIGHT_LEADER,
    _staff("ida.leader", "丁领导", "admin", ("insight.view",), Role.Scope.REGION_SUBTREE),
)


def _hot_spot(world: World) -> HotSpot:
    """An open hot spot of streetlights in a street of district A, for department A."""
    sync_categories()
    now = timezone.now()
    return HotSpot.objects.create(
        category=Category.objects.get(code=STREETLIGHTS),
        region_code=STREET_AREA_A,
        department=world.department("a"),
        window_start=now - dt.timedelta(hours=24),
        window_end=now,
        count=6,
        due_at=now + dt.timedelta(days=3),
    )


def _accepted_hot_spot(world: World) -> HotSpot:
    hot_spot = _hot_spot(world)
    return hotspots.accept(world.must(INSIGHT_HANDLER_A), hot_spot)


def _marker(hot_spot: HotSpot) -> str:
    return hot_spot.category.name


# Everyone but the handler of department A and the agent and leader (who may look).
OUTSIDERS = (INSIGHT_HANDLER_B, CLERK_A, CLERK_B, OUTSIDER_STAFF, CITIZEN_A, CITIZEN_B, AUDITOR)
# The actions: the agent and the leader see the hot spot but may not act on it.
ACTION_OUTSIDERS = (*OUTSIDERS, INSIGHT_AGENT, INSIGHT_LEADER)

ENTRIES = [
    # 三率: agents, leaders and handlers (each counts only the tickets in his scope).
    Restricted(
        "hotline:rates",
        allowed=(INSIGHT_AGENT, INSIGHT_LEADER, INSIGHT_HANDLER_A),
        refused=CORE_PERSONAS,
    ),
    # The list of hot spots, filtered to the user's scope (proven by the entries below).
    Listing(
        "hotline:hot_spots",
        personas=(INSIGHT_AGENT, INSIGHT_LEADER, INSIGHT_HANDLER_A, INSIGHT_HANDLER_B),
    ),
    Scoped(
        "hotline:hot_spot",
        make=_hot_spot,
        owner=INSIGHT_HANDLER_A,
        outsiders=OUTSIDERS,
        lists=("hotline:hot_spots",),
        marker=_marker,
    ),
    Scoped(
        "hotline:hot_spot_accept",
        make=_hot_spot,
        owner=INSIGHT_HANDLER_A,
        outsiders=ACTION_OUTSIDERS,
        payloads={"POST": {}},
    ),
    Scoped(
        "hotline:hot_spot_resolve",
        make=_accepted_hot_spot,
        owner=INSIGHT_HANDLER_A,
        outsiders=ACTION_OUTSIDERS,
        payloads={"POST": {"result": "已更换书香路一带的路灯灯具并逐盏检查。"}},
    ),
]
