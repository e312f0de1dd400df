"""Authorisation matrix entries for the handling department's 12345 pages (承办单位): the worklist,
a ticket's page and its actions (签收, 退单, 申请延期, 答复, 显示完整号码) and the caller's
attachments. Only a clerk with ``hotline.handle`` for the ticket's department gets them; the clerk
of another department, the hotline agent, the caller and everyone else get 404 (see
tests/security/authz/)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from django.core.files.base import ContentFile

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    Listing,
    Scoped,
    World,
    register_persona,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_role
from yiwang.cases.tests.factories import PNG
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Ticket, TicketAttachment

# Named for this module, so that another hotline matrix module's personas never replace them.
HOTLINE_HANDLER_A = "hotline_dept_handler_a"  # 接诉即办专员 of department A (hotline.handle)
HOTLINE_HANDLER_B = "hotline_dept_handler_b"  # the same in department B (the sibling department)
HOTLINE_AGENT = "hotline_dept_agent"  # 话务员 of the city's 12345 centre (hotline.intake/dispatch)

STREET_A = "330102001001"  # a community in district A
PROPERTY = "010101"  # 物业服务质量


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
    HOTLINE_HANDLER_A,
    _staff("hana.handler", "甲承办", "a", ("hotline.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    HOTLINE_HANDLER_B,
    _staff("hugo.handler", "乙承办", "b", ("hotline.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    HOTLINE_AGENT,
    _staff(
        "alma.agent",
        "丙话务",
        "parent",
        ("hotline.intake", "hotline.dispatch"),
        Role.Scope.REGION_SUBTREE,
    ),
)

_serial = itertools.count(1)

# Everyone but the handler of department A: the caller (citizen A) included.
DEPARTMENT_OUTSIDERS = (
    HOTLINE_HANDLER_B,
    HOTLINE_AGENT,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    CITIZEN_A,
    CITIZEN_B,
    AUDITOR,
)


def dispatched_to_a(world: World, *, caller: User | None = None) -> Ticket:
    """A 物业 demand from district A (its caller: ``caller``'s person, else an anonymous phone
    caller who is no persona), dispatched by the agent to department A."""
    sync_categories()
    agent = world.must(HOTLINE_AGENT)
    values = {
        "type": "complaint",
        "content": f"授权矩阵工单{next(_serial)}：楼道灯坏了一个星期。",
        "region_code": STREET_A,
        "address": "上城区测试路1号",
        "caller_phone": "13812345678",
        "category_code": PROPERTY,
    }
    if caller is None:
        ticket = services.intake(agent, channel="phone", caller_name="授权矩阵来电人", **values)
    else:
        person = caller.person
        ticket = services.intake(
            None, channel="web", caller=person, caller_name=person.name, **values
        )
    return services.dispatch(agent, ticket, world.department("a"))


def _dispatched(world: World) -> Ticket:
    return dispatched_to_a(world)


def _signed(world: World) -> Ticket:
    return services.sign(world.must(HOTLINE_HANDLER_A), _dispatched(world))


def attach(ticket: Ticket, uploaded_by: User | None = None) -> TicketAttachment:
    item = TicketAttachment(
        ticket=ticket,
        name="授权矩阵现场照片.png",
        content_type="image/png",
        size=len(PNG),
        sha256="a" * 64,
        uploaded_by=uploaded_by,
    )
    item.file.save("a" * 64 + ".png", ContentFile(PNG), save=False)
    item.save()
    return item


def _attachment(world: World) -> TicketAttachment:
    return attach(_dispatched(world))


def _number(ticket: Ticket) -> dict[str, str]:
    return {"number": ticket.number}


def _content(ticket: Ticket) -> str:
    """What finds the ticket in a page (its number is in every URL of it, and the language
    switcher repeats the URL)."""
    return ticket.content


ENTRIES = [
    # The worklist: only for clerks who handle tickets; filtered to their departments (proven
    # by the Scoped entries that name it).
    Listing("hotline:department_worklist", personas=(HOTLINE_HANDLER_A,)),
    # A dispatched ticket: its page, 签收, 退单 and the caller's full number (with a purpose).
    Scoped(
        (
            "hotline:department_ticket",
            "hotline:department_sign",
            "hotline:department_return",
            "hotline:department_reveal_phone",
        ),
        make=_dispatched,
        owner=HOTLINE_HANDLER_A,
        outsiders=DEPARTMENT_OUTSIDERS,
        kwargs=_number,
        lists=("hotline:department_worklist",),
        marker=_content,
        payloads={
            "POST": {
                "reason": "授权矩阵测试：非本单位职责",
                "purpose": "授权矩阵测试：联系来电人",
            }
        },
    ),
    # A signed ticket: 申请延期 and 答复.
    Scoped(
        ("hotline:department_extend", "hotline:department_answer"),
        make=_signed,
        owner=HOTLINE_HANDLER_A,
        outsiders=DEPARTMENT_OUTSIDERS,
        kwargs=_number,
        lists=("hotline:department_worklist",),
        marker=_content,
        payloads={
            "POST": {"amount": "2", "reason": "授权矩阵测试：需协调", "text": "授权矩阵测试答复"}
        },
    ),
    # The caller's attachment, downloaded by the handling department.
    Scoped(
        "hotline:department_attachment",
        make=_attachment,
        owner=HOTLINE_HANDLER_A,
        outsiders=DEPARTMENT_OUTSIDERS,
        kwargs=lambda item: {"number": item.ticket.number, "attachment_id": item.pk},
    ),
]
