"""好差评 services: who rates what, once; the bad-review loop with its deadlines; re-rating."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.cases import selectors as case_selectors
from yiwang.cases.models import CaseEvent, Notification
from yiwang.core.calendar import add_working_days
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.core.ledger import verify
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline.models import TicketEvent
from yiwang.ratings import services
from yiwang.ratings.models import BadReview, BadReviewStatus, Outcome, Rating
from yiwang.ratings.tests.factories import RatingCast, closed_ticket, completed_case

BAD = {
    "level": 1,
    "scores": {"efficiency": 1, "guide": 2},
    "comment": "材料要求与指南不一致，跑了两趟。",
}


def bad_review(rcast: RatingCast) -> BadReview:
    case = completed_case(rcast)
    rating = services.rate_case(rcast.cases.citizen, case, **BAD)
    return rating.bad_review


# --- rating ----------------------------------------------------------------------------------------


def test_the_applicant_rates_his_finished_case_once(rcast):
    case = completed_case(rcast)
    rating = services.rate_case(
        rcast.cases.citizen, case, level=5, scores={"efficiency": 5, "operation": 4}
    )

    assert (rating.level, rating.is_bad, rating.is_current) == (5, False, True)
    assert rating.department == case.department
    assert rating.item_code == case.item.implementation_code
    assert rating.setting == "online" and rating.scores == {"efficiency": 5, "operation": 4}
    assert not BadReview.objects.exists()
    event = CaseEvent.objects.filter(case=case, kind="rated").get()
    assert event.data == {"rating_id": rating.pk, "level": 5, "bad": False}
    assert event.actor is None  # the department reads the timeline: no rater on it
    shown = [e for e in case_selectors.timeline(case) if e.title == "申请人已评价"]
    assert len(shown) == 1 and shown[0].actor == "系统"  # not the rater's name
    entry = LedgerEntry.objects.filter(action="rating.create").get()
    assert entry.payload["rater_person_id"] == rcast.cases.citizen.person.pk
    assert verify().ok
    with pytest.raises(Conflict) as raised:
        services.rate_case(rcast.cases.citizen, case, level=4)
    assert raised.value.code == "already_rated"


def test_only_the_applicant_may_rate(rcast):
    case = completed_case(rcast)
    for user in (rcast.cases.other_citizen, rcast.cases.reviewer_a, rcast.handler_a):
        with pytest.raises(PermissionDenied):
            services.rate_case(user, case, level=5)
    assert not Rating.objects.exists()


def test_an_unfinished_case_cannot_be_rated(rcast):
    cast = rcast.cases
    from yiwang.cases import services as case_services
    from yiwang.cases.tests.factories import all_materials, full_form

    case = case_services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    with pytest.raises(Conflict) as raised:
        services.rate_case(cast.citizen, case, level=5)
    assert raised.value.code == "not_finished"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"level": 0}, "level"),
        ({"level": 6}, "level"),
        ({"level": True}, "level"),
        ({"level": "5"}, "level"),
        ({"level": 4, "scores": {"attitude": 5}}, "scores"),  # a counter dimension, online case
        ({"level": 4, "scores": {"efficiency": 9}}, "scores"),
        ({"level": 4, "scores": ["efficiency"]}, "scores"),
        ({"level": 2, "comment": "  "}, "comment"),  # a bad rating says why
        ({"level": 4, "comment": "长" * 501}, "comment"),
        ({"level": 4, "comment": "a\x00b"}, "comment"),
    ],
)
def test_bad_input_is_refused_with_the_field(rcast, fields, field):
    case = completed_case(rcast)
    with pytest.raises(ValidationFailed) as raised:
        services.rate_case(rcast.cases.citizen, case, **fields)
    assert field in raised.value.details["errors"]
    assert not Rating.objects.exists()


def test_the_caller_rates_his_closed_ticket_for_the_handling_department(rcast):
    ticket = closed_ticket(rcast)
    with pytest.raises(PermissionDenied):
        services.rate_ticket(rcast.cases.citizen, ticket, level=5)
    rating = services.rate_ticket(
        rcast.hotline.citizen, ticket, level=2, scores={"resolution": 2}, comment="只答复未解决"
    )
    assert rating.department == ticket.department and rating.setting == "hotline"
    assert rating.bad_review.department == ticket.department
    assert TicketEvent.objects.filter(ticket=ticket, action="rated").exists()


# --- the bad-review loop ---------------------------------------------------------------------------


def test_a_bad_rating_opens_a_review_due_for_call_back_within_one_working_day(rcast):
    review = bad_review(rcast)
    assert review.status == BadReviewStatus.AWAITING_CALLBACK
    assert review.department == rcast.cases.dept_a
    opened = timezone.localtime(review.opened_at)
    due = timezone.localtime(review.callback_due_at)
    assert due.date() == add_working_days(opened.date(), 1)


def test_call_back_rectify_tell_the_rater_and_let_him_rate_again(rcast):
    review = bad_review(rcast)
    citizen = rcast.cases.citizen
    with pytest.raises(Conflict):  # no rectification before the call-back
        services.start_rectification(rcast.handler_a, review, "整改")

    review = services.call_back(rcast.handler_a, review, "已电话联系申请人，核实情况属实。")
    assert review.status == BadReviewStatus.CALLED_BACK and review.called_back_at is not None
    review = services.start_rectification(rcast.handler_a, review, "修订办事指南材料清单。")
    assert review.status == BadReviewStatus.RECTIFYING
    due = timezone.localtime(review.rectification_due_at).date()
    assert due == add_working_days(timezone.localdate(), 15)
    with pytest.raises(services.Conflict):  # the rater waits for the outcome
        services.rerate(citizen, review.rating, level=4)

    review = services.complete_rectification(rcast.handler_a, review, "指南已修订并公示。")
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.RECTIFIED)
    assert review.rater_notified_at is not None
    told = Notification.objects.filter(user=citizen, channel="in_app").latest("pk")
    assert review.rating.case.number in told.title and "重新评价" in told.body

    again = services.rerate(citizen, review.rating, level=4, comment="已改进")
    assert again.revision == 2 and again.supersedes_id == review.rating_id
    first = Rating.objects.get(pk=review.rating_id)
    assert (first.is_current, again.is_current) == (False, True)
    with pytest.raises(Conflict):
        services.rerate(citizen, first, level=5)
    with pytest.raises(Conflict):
        services.rerate(citizen, again, level=5)  # no bad review behind it
    actions = list(review.events.values_list("action", flat=True))
    assert actions == ["open", "call_back", "start_rectification", "complete_rectification"]
    assert verify().ok


def test_a_bad_re_rating_opens_a_new_review(rcast):
    review = bad_review(rcast)
    review = services.call_back(rcast.handler_a, review, "已回访")
    review = services.explain(rcast.handler_a, review, "该材料为法定要求，已向申请人说明。")
    assert review.outcome == Outcome.EXPLAINED
    again = services.rerate(rcast.cases.citizen, review.rating, level=2, comment="仍不满意")
    assert again.bad_review.status == BadReviewStatus.AWAITING_CALLBACK


def test_only_the_rated_departments_handlers_run_the_loop(rcast):
    review = bad_review(rcast)
    for user in (rcast.handler_b, rcast.cases.reviewer_a, rcast.cases.citizen, rcast.supervisor):
        with pytest.raises(PermissionDenied):
            services.call_back(user, review, "回访")
    assert BadReview.objects.get(pk=review.pk).status == BadReviewStatus.AWAITING_CALLBACK


def test_an_upheld_appeal_takes_the_rating_out_of_the_count_and_a_rejected_one_sends_it_back(rcast):
    review = bad_review(rcast)
    review = services.call_back(rcast.handler_a, review, "已回访，评价人拒绝说明原因。")
    review = services.appeal(rcast.handler_a, review, "评价内容与办件无关，系恶意差评。")
    assert review.status == BadReviewStatus.APPEALED
    with pytest.raises(PermissionDenied):  # the department does not judge its own appeal
        services.decide_appeal(rcast.handler_a, review, upheld=True, note="成立")
    review = services.decide_appeal(rcast.supervisor, review, upheld=False, note="证据不足")
    assert review.status == BadReviewStatus.CALLED_BACK
    review = services.appeal(rcast.handler_a, review, "补充通话录音，评价人承认误评。")
    review = services.decide_appeal(rcast.supervisor, review, upheld=True, note="申诉成立")
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.APPEAL_UPHELD)
    assert Rating.objects.get(pk=review.rating_id).is_excluded


def test_a_step_needs_its_note(rcast):
    review = bad_review(rcast)
    with pytest.raises(ValidationFailed):
        services.call_back(rcast.handler_a, review, "   ")
    review = services.call_back(rcast.handler_a, review, "已回访")
    with pytest.raises(ValidationFailed):
        services.start_rectification(rcast.handler_a, review, "计划", working_days=16)
    review = services.start_rectification(rcast.handler_a, review, "计划", working_days=3)
    due = timezone.localtime(review.rectification_due_at).date()
    assert due == add_working_days(timezone.localdate(), 3)


# --- overdue ---------------------------------------------------------------------------------------


def test_an_overdue_call_back_and_then_an_overdue_rectification_are_escalated_once_each(rcast):
    review = bad_review(rcast)
    assert services.escalate_overdue(review.callback_due_at - dt.timedelta(minutes=1)) == 0
    late = review.callback_due_at + dt.timedelta(minutes=1)
    assert services.escalate_overdue(late) == 1
    assert services.escalate_overdue(late + dt.timedelta(hours=5)) == 0
    review.refresh_from_db()
    assert (review.escalation_level, review.escalated_at) == (1, late)

    review = services.call_back(rcast.handler_a, review, "已回访", at=late)
    review = services.start_rectification(rcast.handler_a, review, "计划", working_days=1, at=late)
    assert services.escalate_overdue(review.rectification_due_at - dt.timedelta(seconds=1)) == 0
    assert services.escalate_overdue(review.rectification_due_at + dt.timedelta(seconds=1)) == 1
    review.refresh_from_db()
    assert review.escalation_level == 2
    assert list(review.events.filter(action="escalate").values_list("data__level", flat=True)) == [
        1,
        2,
    ]
