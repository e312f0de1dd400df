"""A finished case, a closed 12345 ticket, and the staff who run the bad-review loop."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import make_department
from yiwang.cases import services as case_services
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import Cast, all_materials, full_form, make_cast, staff_with_role
from yiwang.hotline import services as hotline_services
from yiwang.hotline.models import Ticket
from yiwang.hotline.tests.factories import HotlineCast, answered_ticket, make_hotline_cast
from yiwang.workflow import services as wf

REVIEW_SPEC = {
    "stages": [{"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}],
}


@dataclass
class RatingCast:
    cases: Cast
    hotline: HotlineCast
    handler_a: User  # ratings.handle in the case's department
    handler_b: User  # ratings.handle in another department
    supervisor: User  # ratings.supervise over the whole city (政务服务管理办公室)
    office: Department


def make_rating_cast() -> RatingCast:
    cast = make_cast()
    wf.publish_definition(cast.item.implementation_code, cast.item.name, REVIEW_SPEC)
    hotline = make_hotline_cast()
    handler_a = staff_with_role(cast.dept_a, "rating_handler", ("ratings.handle",))
    handler_b = staff_with_role(cast.dept_b, "rating_handler", ("ratings.handle",))
    office = make_department("市政务服务管理办公室", region="330100000000")
    supervisor = staff_with_role(
        office, "rating_supervisor", ("ratings.supervise",), scope=Role.Scope.REGION_SUBTREE
    )
    return RatingCast(cast, hotline, handler_a, handler_b, supervisor, office)


def completed_case(rcast: RatingCast) -> Case:
    cast = rcast.cases
    case = case_services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    case = case_services.accept(cast.reviewer_a, case)
    return case_services.review(cast.reviewer_a, case, "approve", "符合条件")


def closed_ticket(rcast: RatingCast) -> Ticket:
    h = rcast.hotline
    ticket = answered_ticket(h)
    ticket.caller = h.citizen.person
    ticket.save(update_fields=["caller"])
    ticket = hotline_services.callback(h.agent, ticket, resolved=True, satisfaction=4)
    return hotline_services.close(h.agent, ticket)
