"""Who sees which bad reviews (差评整改), with personas: the 好差评专员 of the rated department
(own department), a head office's handler whose role covers the departments below (subtree), the
supervising office (region), a handler of another department, the rater himself, staff without
the capability and the audit administrator; and the rater's phone for the call-back, shown only
to the rated department for a purpose and recorded for the rater."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import make_department, make_staff
from yiwang.cases.tests.factories import staff_with_role
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.ledger import verify
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import services as hotline_services
from yiwang.hotline.tests.factories import intake_kwargs
from yiwang.ratings import selectors, services
from yiwang.ratings.models import BadReview, BadReviewStatus
from yiwang.ratings.tests.factories import RatingCast, completed_case

pytestmark = pytest.mark.django_db

# --- helpers shared with test_views_department ----------------------------------------------------


def case_review(rcast: RatingCast, comment: str = "材料要求与指南不一致，跑了两趟。") -> BadReview:
    """A bad rating of a finished case of department A (市场监管局) by its applicant."""
    case = completed_case(rcast)
    rating = services.rate_case(
        rcast.cases.citizen,
        case,
        level=1,
        scores={"efficiency": 1, "guide": 2},
        comment=comment,
    )
    return rating.bad_review


def ticket_review(
    rcast: RatingCast,
    department: Department | None = None,
    comment: str = "答复敷衍，问题没有解决。",
) -> BadReview:
    """A bad rating of a closed 12345 ticket handled by ``department`` (住建局 by default), by its
    caller (a citizen with an account)."""
    h = rcast.hotline
    department = department or h.zj
    clerk = (
        h.clerk
        if department == h.zj
        else staff_with_role(department, "hotline_handler", ("hotline.handle",))
    )
    ticket = hotline_services.intake(h.agent, **intake_kwargs())
    ticket = hotline_services.dispatch(h.agent, ticket, department)
    hotline_services.sign(clerk, ticket)
    ticket = hotline_services.answer(clerk, ticket, "已处理。")
    ticket.caller = h.citizen.person
    ticket.save(update_fields=["caller"])
    ticket = hotline_services.callback(h.agent, ticket, resolved=True, satisfaction=4)
    ticket = hotline_services.close(h.agent, ticket)
    rating = services.rate_ticket(h.citizen, ticket, level=2, comment=comment)
    return rating.bad_review


def handler_of(department: Department, scope: str = Role.Scope.OWN_DEPARTMENT) -> User:
    # The role code names the scope: make_role reuses a role by its code.
    code = "rating_handler" if scope == Role.Scope.OWN_DEPARTMENT else f"rating_handler_{scope}"
    return staff_with_role(department, code, ("ratings.handle",), scope=scope)


def visible(user) -> set[int]:
    return set(selectors.reviews_visible_to(user).values_list("pk", flat=True))


# --- scopes ----------------------------------------------------------------------------------------


def test_a_handler_sees_the_bad_reviews_of_his_own_department_only(rcast):
    ours = case_review(rcast)
    theirs = ticket_review(rcast)

    assert visible(rcast.handler_a) == {ours.pk}
    assert visible(rcast.handler_b) == set()
    assert visible(handler_of(rcast.hotline.zj)) == {theirs.pk}
    assert selectors.get_review_for_user(rcast.handler_a, ours.pk) == ours
    with pytest.raises(NotFound) as raised:
        selectors.get_review_for_user(rcast.handler_a, theirs.pk)
    assert raised.value.code == "review_not_found"


def test_a_subtree_handler_sees_the_reviews_of_the_departments_below_his(rcast):
    head = make_department("市城市管理局", region="330100000000")
    branch = make_department("市城市管理局东湖分局", region="330100000000", parent=head)
    below = ticket_review(rcast, branch)
    elsewhere = ticket_review(rcast)

    subtree = handler_of(head, Role.Scope.DEPARTMENT_SUBTREE)
    own_only = handler_of(head)

    assert visible(subtree) == {below.pk}
    assert elsewhere.pk not in visible(subtree)
    assert visible(own_only) == set()
    assert visible(handler_of(branch)) == {below.pk}


def test_the_supervising_office_sees_every_department_within_its_region(rcast):
    a = case_review(rcast)
    zj = ticket_review(rcast)
    elsewhere = make_department("外市政务服务管理办公室", region="330200000000")
    other_city = staff_with_role(
        elsewhere, "rating_supervisor", ("ratings.supervise",), scope=Role.Scope.REGION_SUBTREE
    )

    assert visible(rcast.supervisor) == {a.pk, zj.pk}
    assert visible(other_city) == set()
    assert selectors.is_supervisor(rcast.supervisor)
    assert not selectors.is_supervisor(rcast.handler_a)


@pytest.mark.parametrize("who", ["rater", "other_citizen", "reviewer", "plain_staff", "auditor"])
def test_outsiders_and_the_auditor_see_nothing(rcast, who):
    review = case_review(rcast)
    users = {
        "rater": rcast.cases.citizen,
        "other_citizen": rcast.cases.other_citizen,
        "reviewer": rcast.cases.reviewer_a,  # works on the case, but holds no ratings capability
        "plain_staff": rcast.cases.outsider,
        "auditor": make_staff(rcast.cases.dept_a, admin_duty="audit"),
    }
    user = users[who]

    assert visible(user) == set()
    assert not selectors.is_rating_staff(user)
    with pytest.raises(NotFound):
        selectors.get_review_for_user(user, review.pk)


def test_a_malformed_or_unknown_id_is_not_found(rcast):
    case_review(rcast)
    for value in ("abc", None, -1, 0, 10**9):
        with pytest.raises(NotFound):
            selectors.get_review_for_user(rcast.handler_a, value)


def test_the_supervisor_decides_only_appeals_of_his_region(rcast):
    appealed = case_review(rcast, "第一条差评")
    services.call_back(rcast.handler_a, appealed, "已联系")
    services.appeal(rcast.handler_a, appealed, "评价人要求违规办理，被拒后恶意差评。")
    case_review(rcast, "第二条差评")

    assert list(selectors.appeals_to_decide(rcast.supervisor)) == [appealed]
    assert list(selectors.appeals_to_decide(rcast.handler_a)) == []


# --- deadlines -------------------------------------------------------------------------------------


def test_the_running_clock_is_the_call_back_then_the_rectification(rcast):
    review = case_review(rcast)

    kind, _start, due = selectors.next_deadline(review)
    assert (kind, due) == ("callback", review.callback_due_at)
    assert selectors.deadline_warning(review, review.opened_at) == "none"
    assert selectors.deadline_warning(review, due + dt.timedelta(minutes=1)) == "red"
    assert selectors.is_overdue(review, due + dt.timedelta(minutes=1))

    review = services.call_back(rcast.handler_a, review, "已联系")
    assert selectors.next_deadline(review)[0] == ""
    assert selectors.deadline_warning(review) == "none"

    review = services.start_rectification(rcast.handler_a, review, "重新核对指南", working_days=3)
    kind, _start, due = selectors.next_deadline(review)
    assert (kind, due) == ("rectification", review.rectification_due_at)


# --- the rater's phone -----------------------------------------------------------------------------


def _reads() -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(action="personal_data.read").order_by("seq"))


def test_the_handler_reads_the_raters_phone_for_a_purpose_and_the_rater_can_see_it(rcast):
    review = case_review(rcast)
    rater = rcast.cases.citizen.person
    assert selectors.masked_rater_phone(review) == "139****0000"

    phone = selectors.reveal_rater_phone(rcast.handler_a, review, "  差评回访  ")

    assert phone == rater.phone == "13900000000"
    entry = _reads()[-1]
    assert entry.actor == f"user:{rcast.handler_a.pk}"
    assert entry.object_type == "ratings.bad_review" and entry.object_id == str(review.pk)
    assert entry.payload["subject_person_id"] == rater.pk
    assert entry.payload["field"] == "phone"
    assert entry.payload["purpose"] == "差评回访"
    assert entry.payload["case"] == review.rating.case.number
    assert verify().ok


def test_a_ticket_raters_number_falls_back_to_the_one_he_gave_the_hotline(rcast):
    review = ticket_review(rcast)
    person = rcast.hotline.citizen.person
    person.phone = ""
    person.save(update_fields=["phone"])
    review = BadReview.objects.select_related("rating__rater", "rating__ticket").get(pk=review.pk)

    phone = selectors.reveal_rater_phone(handler_of(rcast.hotline.zj), review, "回访")

    assert phone == "13812345678"
    assert _reads()[-1].payload["ticket"] == review.rating.ticket.number


@pytest.mark.parametrize("purpose", ["", "   ", "x" * 201, "回\x00访"])
def test_no_purpose_no_number(rcast, purpose):
    review = case_review(rcast)

    with pytest.raises(ValidationFailed) as raised:
        selectors.reveal_rater_phone(rcast.handler_a, review, purpose)

    assert raised.value.field == "purpose"
    assert _reads() == []


def test_only_the_rated_department_may_read_the_number(rcast):
    review = case_review(rcast)

    with pytest.raises(PermissionDenied):
        selectors.reveal_rater_phone(rcast.supervisor, review, "督办")
    for outsider in (rcast.handler_b, rcast.cases.reviewer_a, rcast.cases.other_citizen):
        with pytest.raises(NotFound):
            selectors.reveal_rater_phone(outsider, review, "想看看")
    assert not selectors.can_reveal_phone(rcast.supervisor, review)
    assert selectors.can_reveal_phone(rcast.handler_a, review)
    assert _reads() == []


def test_the_number_is_not_read_once_the_review_is_closed(rcast):
    review = case_review(rcast)
    services.call_back(rcast.handler_a, review, "已联系")
    review = services.explain(rcast.handler_a, review, "法律规定须本人到场。")
    assert review.status == BadReviewStatus.CLOSED

    with pytest.raises(Conflict) as raised:
        selectors.reveal_rater_phone(rcast.handler_a, review, "回访")

    assert raised.value.code == "review_closed"
    assert not selectors.can_reveal_phone(rcast.handler_a, review)
    assert _reads() == []


def test_now_is_used_when_no_time_is_given(rcast):
    review = case_review(rcast)
    assert selectors.deadline_warning(review) == "none"
    assert not selectors.is_overdue(review, timezone.now())
