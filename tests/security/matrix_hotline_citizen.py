"""Authorisation matrix entries for the caller's 12345 pages (市民): the web submission (real-name
citizens only), his list of tickets, a ticket's progress page and his attachments — his alone:
another citizen, the handling department's clerk, the hotline agent and all other staff get 404
(see tests/security/authz/)."""

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
    Listing,
    Owned,
    Restricted,
    World,
)
from tests.security.matrix_hotline_department import (
    HOTLINE_AGENT,
    HOTLINE_HANDLER_A,
    STREET_A,
    attach,
    dispatched_to_a,
)
from yiwang.accounts.tests.factories import make_region
from yiwang.hotline.models import Ticket, TicketAttachment

_serial = itertools.count(1)

# Everyone but the caller (citizen A): the department handling his ticket and the agent included.
CALLER_OUTSIDERS = (
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    AUDITOR,
    HOTLINE_HANDLER_A,
    HOTLINE_AGENT,
)


def _submission(world: World, persona: str) -> dict[str, Any]:
    """The web form, filled in (a fresh one-time token for each request)."""
    make_region(STREET_A)
    return {
        "form_token": uuid.uuid4().hex,
        "type": "complaint",
        "content": f"授权矩阵网上诉求{next(_serial)}：小区门口路灯不亮。",
        "region": STREET_A,
        "address": "上城区测试路2号",
        "latitude": "",
        "longitude": "",
        "phone": "13900000000",
    }


def _citizens_ticket(world: World) -> Ticket:
    """Citizen A's web demand, dispatched to department A (whose clerk sees it on his own pages,
    never on the caller's)."""
    return dispatched_to_a(world, caller=world.must(CITIZEN_A))


def _citizens_attachment(world: World) -> TicketAttachment:
    return attach(_citizens_ticket(world), uploaded_by=world.must(CITIZEN_A))


ENTRIES = [
    # 网上诉求: any real-name citizen; staff accounts (no person) are refused and store nothing.
    Restricted(
        "hotline:citizen_new",
        allowed=(CITIZEN_A, CITIZEN_B),
        refused=(CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR, HOTLINE_HANDLER_A, HOTLINE_AGENT),
        payloads={"POST": _submission},
        counts=(Ticket, TicketAttachment),
    ),
    # His tickets: filtered to the caller (proven by the Owned entry below).
    Listing("hotline:my_tickets"),
    Owned(
        "hotline:my_ticket",
        make=_citizens_ticket,
        owner=CITIZEN_A,
        outsiders=CALLER_OUTSIDERS,
        kwargs=lambda ticket: {"number": ticket.number},
        lists=("hotline:my_tickets",),
        marker=lambda ticket: ticket.content,
    ),
    Owned(
        "hotline:my_attachment",
        make=_citizens_attachment,
        owner=CITIZEN_A,
        outsiders=CALLER_OUTSIDERS,
        kwargs=lambda item: {"number": item.ticket.number, "attachment_id": item.pk},
    ),
]
