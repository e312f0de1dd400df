"""Authorisation matrix entries for the citizen's 好差评 pages: rating his finished case or his
closed 12345 ticket, re-rating after a bad review's loop closed, the signed SMS / QR-code link,
and "我的评价". Each object is citizen A's alone: another citizen, the clerk and the rating
handler of the rated department, the hotline staff and all other staff get 404; staff accounts
get 403 on "我的评价" (see tests/security/authz/)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    Endpoint,
    Owned,
    Page,
    Parameterised,
    Restricted,
    World,
    register_persona,
)
from tests.security.matrix_cases import CASE_CLERK_A
from tests.security.matrix_hotline_department import (
    HOTLINE_AGENT,
    HOTLINE_HANDLER_A,
    dispatched_to_a,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_role
from yiwang.cases import services as case_services
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import make_item
from yiwang.hotline import services as hotline_services
from yiwang.hotline.models import Ticket
from yiwang.ratings import services
from yiwang.ratings.models import BadReview, Rating
from yiwang.ratings.views.citizen import rating_link
from yiwang.workflow import services as wf

RATING_HANDLER_A = "rating_citizen_handler_a"  # 好差评专员 of department A (ratings.handle)


def _rating_handler(world: World) -> User:
    user = account_services.create_user_account(
        "rita.rating", kind=User.Kind.STAFF, display_name="甲好差评", password=PASSWORD
    )
    role = make_role(Role.Scope.OWN_DEPARTMENT, capabilities=("ratings.handle",))
    account_services.grant_role(None, user, world.department("a"), role)
    return user


register_persona(RATING_HANDLER_A, _rating_handler)

_serial = itertools.count(1)

# Everyone but citizen A: the rated department's clerk and rating handler included.
RATER_OUTSIDERS = (
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    AUDITOR,
    CASE_CLERK_A,
    RATING_HANDLER_A,
    HOTLINE_HANDLER_A,
    HOTLINE_AGENT,
)


def _finished_case(world: World) -> Case:
    """Citizen A's online application to department A, accepted and approved (办结)."""
    item = make_item(
        world.department("a"),
        name=f"授权矩阵评价事项{next(_serial)}",
        fields=[{"key": "shop_name", "label": "店铺名称", "type": "text"}],
        materials=[],
    )
    wf.publish_definition(
        item.implementation_code,
        item.name,
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    clerk = world.must(CASE_CLERK_A)
    case = case_services.submit_online(
        world.must(CITIZEN_A), item, {"shop_name": "授权矩阵小店"}, {}
    )
    case = case_services.accept(clerk, case)
    case = case_services.review(clerk, case, "approve", "同意")
    assert case.status == "completed", case.status
    return case


def _closed_ticket(world: World) -> Ticket:
    """Citizen A's web demand, answered by department A, called back and closed."""
    ticket = dispatched_to_a(world, caller=world.must(CITIZEN_A))
    handler, agent = world.must(HOTLINE_HANDLER_A), world.must(HOTLINE_AGENT)
    hotline_services.sign(handler, ticket)
    ticket = hotline_services.answer(handler, ticket, "已督促物业修复楼道灯。")
    ticket = hotline_services.callback(agent, ticket, resolved=True, satisfaction=4)
    return hotline_services.close(agent, ticket)


def _closed_bad_rating(world: World) -> Rating:
    """Citizen A's bad rating of his case, called back and fixed: open to re-rating."""
    case = _finished_case(world)
    rating = services.rate_case(
        world.must(CITIZEN_A), case, level=1, comment=f"授权矩阵差评{next(_serial)}：来回跑了三趟"
    )
    handler = world.must(RATING_HANDLER_A)
    review = services.call_back(handler, BadReview.objects.get(rating=rating), "已电话联系")
    services.fix_now(handler, review, "已当场补办并致歉。")
    rating.refresh_from_db()
    return rating


def _case_link(world: World) -> str:
    return rating_link(case=_finished_case(world), channel="sms").rstrip("/").rsplit("/", 1)[-1]


@dataclass(eq=False)
class _LinkEntry(Parameterised):
    """The signed link answers its rightful user with a redirect to the rating page."""

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        found = super().page(world, endpoint)
        return None if found is None else Page(found.persona, found.url, (302,))


def _rating(level: str, comment: str = "") -> Callable[..., dict[str, str]]:
    return lambda world, obj: {"level": level, "comment": comment}


ENTRIES = [
    # 我的评价: real-name citizens only; filtered to the rater (proven by the Owned entries).
    Restricted(
        "ratings:mine",
        allowed=(CITIZEN_A, CITIZEN_B),
        refused=(CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR, RATING_HANDLER_A),
    ),
    Owned(
        "ratings:rate_case",
        make=_finished_case,
        owner=CITIZEN_A,
        outsiders=RATER_OUTSIDERS,
        kwargs=lambda case: {"number": case.number},
        lists=("ratings:mine",),
        marker=lambda case: case.item.name,
        payloads={"POST": _rating("5")},
    ),
    Owned(
        "ratings:rate_ticket",
        make=_closed_ticket,
        owner=CITIZEN_A,
        outsiders=RATER_OUTSIDERS,
        kwargs=lambda ticket: {"number": ticket.number},
        lists=("ratings:mine",),
        marker=lambda ticket: ticket.content,
        payloads={"POST": _rating("4")},
    ),
    Owned(
        "ratings:rerate",
        make=_closed_bad_rating,
        owner=CITIZEN_A,
        outsiders=RATER_OUTSIDERS,
        kwargs=lambda rating: {"rating_id": rating.pk},
        lists=("ratings:mine",),
        marker=lambda rating: rating.comment,
        payloads={"POST": _rating("4", "问题已解决")},
    ),
    # The SMS / QR-code link: a valid token still needs the applicant's session; anyone else
    # who signs in with it gets 404 and no channel is stored for him.
    _LinkEntry(
        "ratings:link",
        make=_case_link,
        kwargs=lambda token: {"token": token},
        allowed=(CITIZEN_A,),
        refused=RATER_OUTSIDERS,
        expect={"GET": 302},
    ),
]
