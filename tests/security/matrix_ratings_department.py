"""Authorisation matrix entries for the bad-review pages (差评整改) of the rated departments and
the supervising office: the worklist, a review's page, a step of the loop (回访 stands for all of
``review_action``; the view tests cover each step and role) and the rater's phone.

Only the 好差评专员 of the rated department (``ratings.handle``) takes the steps and reads the
phone; the supervising office (``ratings.supervise`` over the city) sees the review and gets 403
on the department's steps; the handler of the sibling department, the 12345 agent, the counter
clerks, staff without a role, the citizens (the rater included: he is citizen A) and the auditor
get 404. That the rater's name and ID number never reach the department's pages is proven by
yiwang/ratings/tests/test_views_department.py (see tests/security/authz/ for the matrix)."""

from __future__ import annotations

from collections.abc import Callable

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
from tests.security.matrix_hotline_department import (
    HOTLINE_AGENT,
    HOTLINE_HANDLER_A,
    dispatched_to_a,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_role
from yiwang.hotline import services as hotline_services
from yiwang.ratings import services
from yiwang.ratings.models import BadReview

# Named for this module, so that another ratings matrix module's personas never replace them.
RATING_HANDLER_A = "ratings_dept_handler_a"  # 好差评专员 of department A (ratings.handle)
RATING_HANDLER_B = "ratings_dept_handler_b"  # the same in department B (the sibling)
RATING_SUPERVISOR = "ratings_dept_supervisor"  # 好差评督办员 over the city (ratings.supervise)


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
    RATING_HANDLER_A,
    _staff("rita.rating", "甲评价专员", "a", ("ratings.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    RATING_HANDLER_B,
    _staff("rudi.rating", "乙评价专员", "b", ("ratings.handle",), Role.Scope.OWN_DEPARTMENT),
)
register_persona(
    RATING_SUPERVISOR,
    _staff("sara.supervisor", "丙督办", "admin", ("ratings.supervise",), Role.Scope.REGION_SUBTREE),
)

# Never see a review of department A.
OUTSIDERS = (
    RATING_HANDLER_B,
    HOTLINE_AGENT,
    HOTLINE_HANDLER_A,  # handles department A's 12345 tickets, not its ratings
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    CITIZEN_A,  # the rater himself: the department's page is not his
    CITIZEN_B,
    AUDITOR,
)


def bad_review_of_a(world: World) -> BadReview:
    """Citizen A's 12345 demand, handled by department A and closed; he rates it 非常不满意
    with a comment of its own (the marker), which opens a bad review for department A."""
    citizen = world.must(CITIZEN_A)
    agent = world.must(HOTLINE_AGENT)
    clerk = world.must(HOTLINE_HANDLER_A)
    ticket = dispatched_to_a(world, caller=citizen)
    hotline_services.sign(clerk, ticket)
    ticket = hotline_services.answer(clerk, ticket, "授权矩阵测试：已修复楼道灯。")
    ticket = hotline_services.callback(agent, ticket, resolved=True, satisfaction=2)
    ticket = hotline_services.close(agent, ticket)
    rating = services.rate_ticket(
        citizen, ticket, level=1, comment=f"授权矩阵差评：{ticket.number}的灯还是坏的"
    )
    return rating.bad_review


def _marker(review: BadReview) -> str:
    """The ticket's number: in the worklist's row and the review's page, never in its URLs."""
    ticket = review.rating.ticket
    assert ticket is not None
    return ticket.number


def _id(review: BadReview) -> dict[str, int]:
    return {"review_id": review.pk}


ENTRIES = [
    # The worklist: only for staff who handle or supervise bad reviews; filtered to their scope
    # (proven by the Scoped entry that names it). Its leak checks: no rater's name or ID number.
    Listing("ratings:reviews", personas=(RATING_HANDLER_A, RATING_SUPERVISOR)),
    # A review's page: the rated department's handler (and the supervisor, who is no outsider).
    Scoped(
        "ratings:review",
        make=bad_review_of_a,
        owner=RATING_HANDLER_A,
        outsiders=OUTSIDERS,
        kwargs=_id,
        lists=("ratings:reviews",),
        marker=_marker,
    ),
    # A step of the loop (回访): the supervisor sees the review but gets 403.
    Scoped(
        "ratings:review_action",
        make=bad_review_of_a,
        owner=RATING_HANDLER_A,
        outsiders=(*OUTSIDERS, RATING_SUPERVISOR),
        kwargs=lambda review: {"review_id": review.pk, "action": "call_back"},
        marker=_marker,
        payloads={"POST": {"note": "授权矩阵测试：已回访评价人"}},
    ),
    # The rater's phone, for a purpose: the rated department only.
    Scoped(
        "ratings:review_phone",
        make=bad_review_of_a,
        owner=RATING_HANDLER_A,
        outsiders=(*OUTSIDERS, RATING_SUPERVISOR),
        kwargs=_id,
        marker=_marker,
        payloads={"POST": {"purpose": "授权矩阵测试：差评回访"}},
    ),
]
