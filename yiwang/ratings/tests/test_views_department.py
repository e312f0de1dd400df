"""The bad-review pages (差评整改) with personas: the 好差评专员 of the rated department
(市场监管局), the one of another department (卫健委), the supervising office (政务服务管理办公室),
the rater himself, a reviewer without the capability and an anonymous visitor. The worklist, a
review's page and each step — 回访, 立即整改, 限期整改, 整改完成, 说明解释, 申诉, 申诉成立/不成立 —
and the rater's phone, with their refusals and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.accounts.selectors import decrypt_id_number
from yiwang.accounts.tests.factories import login_as
from yiwang.core.models.ledger import LedgerEntry
from yiwang.ratings import services
from yiwang.ratings.models import BadReview, BadReviewEvent, BadReviewStatus, Outcome, Rating
from yiwang.ratings.tests.factories import RatingCast
from yiwang.ratings.tests.test_selectors import case_review, ticket_review
from yiwang.ratings.views import department as views

pytestmark = pytest.mark.django_db

WORKLIST = "/ratings/reviews/"


def url(review: BadReview, action: str = "") -> str:
    return f"/ratings/reviews/{review.pk}/" + (f"{action}/" if action else "")


def as_user(user) -> Client:
    return login_as(Client(), user)


def page(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def called_back(rcast: RatingCast, comment: str = "材料要求与指南不一致，跑了两趟。") -> BadReview:
    review = case_review(rcast, comment)
    return services.call_back(rcast.handler_a, review, "已电话联系评价人，了解了情况。")


def appealed(rcast: RatingCast, comment: str = "态度恶劣，一星。") -> BadReview:
    review = called_back(rcast, comment)
    return services.appeal(rcast.handler_a, review, "评价人要求违规办理，被拒后恶意差评。")


def overdue(review: BadReview, days: int = 3) -> BadReview:
    shift = dt.timedelta(days=days)
    BadReview.objects.filter(pk=review.pk).update(
        opened_at=review.opened_at - shift, callback_due_at=review.callback_due_at - shift
    )
    services.escalate_overdue()
    review.refresh_from_db()
    return review


# --- the worklist ----------------------------------------------------------------------------------


def test_the_handler_sees_his_departments_bad_reviews_with_the_call_back_deadline(rcast):
    ours = case_review(rcast)
    theirs = ticket_review(rcast)

    html = page(as_user(rcast.handler_a), WORKLIST)
    text = text_of(html)

    assert ours.rating.case.number in text and rcast.cases.item.name in text
    assert theirs.rating.ticket.number not in text
    assert "非常不满意" in text and "待回访" in text
    assert "回访时限：剩余" in text and "正常" in text
    assert f'href="/ratings/reviews/{ours.pk}/"' in html
    rater = rcast.cases.citizen.person
    assert rater.name not in html and decrypt_id_number(rater) not in html


def test_an_overdue_review_is_red_with_its_escalation_level(rcast):
    review = overdue(case_review(rcast))
    assert review.escalation_level == 1

    text = text_of(page(as_user(rcast.handler_a), WORKLIST))

    assert "超期" in text and "回访时限：已超时" in text and "督办1次" in text
    assert "badge--danger badge--deadline" in page(as_user(rcast.handler_a), WORKLIST)


def test_the_tabs_filter_by_step_and_count_each(rcast):
    waiting = case_review(rcast, "第一条")
    rectifying = called_back(rcast, "第二条")
    services.start_rectification(rcast.handler_a, rectifying, "修改指南", working_days=5)
    closed = called_back(rcast, "第三条")
    services.explain(rcast.handler_a, closed, "法律规定须本人到场。")
    client = as_user(rcast.handler_a)

    def numbers(tab: str) -> set[str]:
        html = page(client, f"{WORKLIST}?tab={tab}")
        found = set(re.findall(r'href="/ratings/reviews/(\d+)/"', html))
        return {int(pk) for pk in found}

    assert numbers("callback") == {waiting.pk}
    assert numbers("rectifying") == {rectifying.pk}
    assert numbers("closed") == {closed.pk}
    assert numbers("") == {waiting.pk, rectifying.pk, closed.pk}
    assert numbers("nonsense") == {waiting.pk, rectifying.pk, closed.pk}  # ignored
    text = text_of(page(client, WORKLIST))
    assert "待回访 ： 1" in text and "整改中 ： 1" in text and "已办结 ： 1" in text
    assert "整改时限：剩余" in text
    assert "申诉审核" not in text  # nothing appealed and no supervisor: no such tab


def test_the_search_finds_a_review_by_its_number(rcast):
    one = case_review(rcast, "第一条")
    two = case_review(rcast, "第二条")
    html = page(as_user(rcast.handler_a), f"{WORKLIST}?q={two.rating.case.number}")
    assert f"/ratings/reviews/{two.pk}/" in html and f"/ratings/reviews/{one.pk}/" not in html


def test_the_worklist_is_paginated(rcast, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    case_review(rcast, "第一条")
    case_review(rcast, "第二条")
    client = as_user(rcast.handler_a)

    first = page(client, WORKLIST)
    second = page(client, f"{WORKLIST}?page=2")

    assert "共 2 条 · 第 1 / 2 页" in text_of(first)
    ids = [set(re.findall(r'href="/ratings/reviews/(\d+)/"', h)) for h in (first, second)]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]
    last = page(client, f"{WORKLIST}?page=999")  # out of range: the last page
    assert set(re.findall(r'href="/ratings/reviews/(\d+)/"', last)) == ids[1]


def test_the_supervisor_sees_the_appeals_to_decide(rcast):
    to_decide = appealed(rcast)
    other = ticket_review(rcast)

    html = page(as_user(rcast.supervisor), f"{WORKLIST}?tab=appeal")
    text = text_of(html)

    assert "申诉审核" in text and "待您审核" in text
    assert to_decide.rating.case.number in text and rcast.cases.dept_a.name in text
    assert other.rating.ticket.number not in text
    assert other.rating.ticket.number in text_of(page(as_user(rcast.supervisor), WORKLIST))


def test_the_worklist_does_not_query_per_row(rcast):
    case_review(rcast, "第一条")
    client = as_user(rcast.supervisor)
    page(client, WORKLIST)
    with CaptureQueriesContext(connection) as one:
        page(client, WORKLIST)
    appealed(rcast, "第二条")
    case_review(rcast, "第三条")
    with CaptureQueriesContext(connection) as three:
        page(client, WORKLIST)
    assert len(three) == len(one)


@pytest.mark.parametrize("who", ["rater", "reviewer", "plain_staff"])
def test_the_worklist_does_not_exist_for_others(rcast, who):
    users = {
        "rater": rcast.cases.citizen,
        "reviewer": rcast.cases.reviewer_a,
        "plain_staff": rcast.cases.outsider,
    }
    page(as_user(users[who]), WORKLIST, 404)


def test_an_anonymous_visitor_is_sent_to_sign_in(rcast):
    review = case_review(rcast)
    for path in (WORKLIST, url(review)):
        response = Client().get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().post(url(review, "call_back"), {"note": "x"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == BadReviewStatus.AWAITING_CALLBACK


# --- the review page -------------------------------------------------------------------------------


def test_the_review_page_shows_the_rating_but_hides_the_rater(rcast):
    review = case_review(rcast)
    rater = rcast.cases.citizen.person

    html = page(as_user(rcast.handler_a), url(review))
    text = text_of(html)

    assert "非常不满意" in text and "办事效率：1" in text and "指南准确：2" in text
    assert "材料要求与指南不一致" in text
    assert "评价人（已隐藏）" in text
    assert rater.name not in html and decrypt_id_number(rater) not in html
    assert rater.phone not in html and "139****0000" in text
    assert "收到差评，转本单位回访整改" in text and "系统" in text
    # Only 回访 (and the phone) now.
    assert f'action="/ratings/reviews/{review.pk}/call_back/"' in html
    assert "/fix_now/" not in html and "/uphold_appeal/" not in html
    assert f'action="/ratings/reviews/{review.pk}/phone/"' in html


def test_after_the_call_back_the_four_ways_are_offered(rcast):
    review = called_back(rcast)
    html = page(as_user(rcast.handler_a), url(review))
    for action in ("fix_now", "start_rectification", "explain", "appeal"):
        assert f"/ratings/reviews/{review.pk}/{action}/" in html
    assert "/call_back/" not in html
    assert 'value="15"' in html  # the default rectification limit
    assert "已电话联系评价人" in text_of(html)


def test_the_supervisor_reads_the_review_without_the_departments_forms(rcast):
    review = case_review(rcast)
    html = page(as_user(rcast.supervisor), url(review))
    assert "/call_back/" not in html and "/phone/" not in html
    assert "部门提出申诉后由您审核" in text_of(html)


@pytest.mark.parametrize("who", ["handler_b", "rater", "reviewer", "plain_staff"])
def test_a_review_outside_the_users_scope_is_not_found(rcast, who):
    review = case_review(rcast)
    users = {
        "handler_b": rcast.handler_b,
        "rater": rcast.cases.citizen,
        "reviewer": rcast.cases.reviewer_a,
        "plain_staff": rcast.cases.outsider,
    }
    client = as_user(users[who])
    html = page(client, url(review), 404)
    assert "材料要求与指南不一致" not in html
    response = client.post(url(review, "call_back"), {"note": "我来回访"})
    assert response.status_code == 404
    response = client.post(url(review, "phone"), {"purpose": "回访"})
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.status == BadReviewStatus.AWAITING_CALLBACK


def test_an_unknown_review_or_step_is_not_found(rcast):
    review = case_review(rcast)
    client = as_user(rcast.handler_a)
    page(client, "/ratings/reviews/999999/", 404)
    assert client.post(url(review, "delete"), {"note": "x"}).status_code == 404
    assert client.get(url(review, "call_back")).status_code == 405


# --- the steps -------------------------------------------------------------------------------------


def post(client: Client, review: BadReview, action: str, data: dict):
    return client.post(url(review, action), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_call_back(rcast):
    review = case_review(rcast)
    response = post(as_user(rcast.handler_a), review, "call_back", {"note": "已联系，问题属实。"})

    assert response.redirect_chain == [(url(review), 302)]
    assert any("已记录回访情况" in m for m in messages_of(response))
    review.refresh_from_db()
    assert review.status == BadReviewStatus.CALLED_BACK
    assert review.callback_note == "已联系，问题属实。" and review.called_back_at is not None
    event = BadReviewEvent.objects.filter(review=review, action="call_back").get()
    assert event.actor == rcast.handler_a
    assert "已联系，问题属实。" in text_of(response.content.decode())


def test_fix_now(rcast):
    review = called_back(rcast)
    response = post(as_user(rcast.handler_a), review, "fix_now", {"note": "当场更正了指南。"})
    assert any("已立即整改" in m for m in messages_of(response))
    review.refresh_from_db()
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.FIXED_NOW)
    assert "已办结（立即整改）" in text_of(response.content.decode())


def test_start_rectification_with_the_default_and_with_fewer_days(rcast):
    review = called_back(rcast, "第一条")
    post(
        as_user(rcast.handler_a),
        review,
        "start_rectification",
        {"plan": "修订指南", "working_days": "15"},
    )
    review.refresh_from_db()
    assert review.status == BadReviewStatus.RECTIFYING and review.rectification_plan == "修订指南"

    quick = called_back(rcast, "第二条")
    response = post(
        as_user(rcast.handler_a),
        quick,
        "start_rectification",
        {"plan": "培训窗口人员", "working_days": "3"},
    )
    quick.refresh_from_db()
    assert quick.rectification_due_at < review.rectification_due_at
    text = text_of(response.content.decode())
    assert "整改时限：剩余" in text and "限期整改，整改时限" in text
    assert f"/ratings/reviews/{quick.pk}/complete_rectification/" in response.content.decode()


@pytest.mark.parametrize("days", ["0", "16", "-1", "abc", ""])
def test_a_rectification_needs_one_to_fifteen_working_days(rcast, days):
    review = called_back(rcast)
    response = as_user(rcast.handler_a).post(
        url(review, "start_rectification"), {"plan": "修订指南", "working_days": days}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "提交未成功" in html and 'id="start_rectification_working_days"' in html
    assert "修订指南" in html  # what was typed stays
    review.refresh_from_db()
    assert review.status == BadReviewStatus.CALLED_BACK


def test_the_deployments_shorter_limit_is_the_upper_bound(rcast, settings):
    settings.YIWANG_RATING_RECTIFY_WORKING_DAYS = 10
    review = called_back(rcast)
    client = as_user(rcast.handler_a)
    assert 'value="10"' in page(client, url(review))
    response = client.post(url(review, "start_rectification"), {"plan": "p", "working_days": "11"})
    assert response.status_code == 422


def test_complete_rectification(rcast):
    review = called_back(rcast)
    services.start_rectification(rcast.handler_a, review, "修订指南")
    response = post(
        as_user(rcast.handler_a), review, "complete_rectification", {"report": "指南已修订发布。"}
    )
    assert any("整改完成" in m for m in messages_of(response))
    review.refresh_from_db()
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.RECTIFIED)
    assert review.rectification_report == "指南已修订发布。"


def test_explain(rcast):
    review = called_back(rcast)
    post(as_user(rcast.handler_a), review, "explain", {"explanation": "法律规定须本人到场。"})
    review.refresh_from_db()
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.EXPLAINED)


def test_appeal(rcast):
    review = called_back(rcast)
    response = post(as_user(rcast.handler_a), review, "appeal", {"reason": "恶意差评"})
    assert any("已提出申诉" in m for m in messages_of(response))
    review.refresh_from_db()
    assert review.status == BadReviewStatus.APPEALED
    assert "等待政务服务管理部门审核" in text_of(response.content.decode())


def test_the_supervisor_upholds_an_appeal(rcast):
    review = appealed(rcast)
    client = as_user(rcast.supervisor)
    html = page(client, url(review))
    assert f"/ratings/reviews/{review.pk}/uphold_appeal/" in html
    assert f"/ratings/reviews/{review.pk}/reject_appeal/" in html

    response = post(client, review, "uphold_appeal", {"note": "经核实，属恶意差评。"})

    assert any("申诉成立" in m for m in messages_of(response))
    review.refresh_from_db()
    assert (review.status, review.outcome) == (BadReviewStatus.CLOSED, Outcome.APPEAL_UPHELD)
    assert Rating.objects.get(pk=review.rating_id).is_excluded


def test_the_supervisor_rejects_an_appeal(rcast):
    review = appealed(rcast)
    post(as_user(rcast.supervisor), review, "reject_appeal", {"note": "证据不足。"})
    review.refresh_from_db()
    assert review.status == BadReviewStatus.CALLED_BACK
    assert review.appeal_decision_note == "证据不足。"
    assert not Rating.objects.get(pk=review.rating_id).is_excluded


STEP_DATA = {
    "call_back": {"note": "已联系"},
    "fix_now": {"note": "已整改"},
    "start_rectification": {"plan": "修订指南", "working_days": "5"},
    "complete_rectification": {"report": "已完成"},
    "explain": {"explanation": "依法办理"},
    "appeal": {"reason": "恶意差评"},
    "uphold_appeal": {"note": "成立"},
    "reject_appeal": {"note": "不成立"},
}
# For each step, a review in a status from which the step is not allowed.
WRONG_STATUS = {
    "call_back": called_back,
    "fix_now": case_review,
    "start_rectification": case_review,
    "complete_rectification": called_back,
    "explain": case_review,
    "appeal": case_review,
    "uphold_appeal": called_back,
    "reject_appeal": called_back,
}


@pytest.mark.parametrize("action", list(STEP_DATA))
def test_a_step_in_the_wrong_status_is_a_conflict_shown_on_the_page(rcast, action):
    review = WRONG_STATUS[action](rcast)
    user = rcast.supervisor if action in ("uphold_appeal", "reject_appeal") else rcast.handler_a
    before = review.status

    response = as_user(user).post(url(review, action), STEP_DATA[action])

    assert response.status_code == 409
    assert "不能进行此操作" in text_of(response.content.decode())
    review.refresh_from_db()
    assert review.status == before


@pytest.mark.parametrize("action", list(STEP_DATA))
def test_a_step_of_another_role_is_forbidden_with_a_clear_page(rcast, action):
    supervising = action in ("uphold_appeal", "reject_appeal")
    review = appealed(rcast) if supervising else case_review(rcast)
    # The handler sees the review but may not decide appeals; the supervisor sees it but may
    # not run the department's steps.
    user = rcast.handler_a if supervising else rcast.supervisor
    before = BadReview.objects.filter(pk=review.pk).values().get()

    response = as_user(user).post(url(review, action), STEP_DATA[action])

    assert response.status_code == 403
    text = text_of(response.content.decode())
    assert "无权进行此操作" in text and "返回差评" in text
    assert BadReview.objects.filter(pk=review.pk).values().get() == before


@pytest.mark.parametrize("action", list(STEP_DATA))
def test_a_step_without_its_text_is_refused_on_the_form(rcast, action):
    supervising = action in ("uphold_appeal", "reject_appeal")
    if supervising:
        review, user = appealed(rcast), rcast.supervisor
    elif action == "call_back":
        review, user = case_review(rcast), rcast.handler_a
    elif action == "complete_rectification":
        review, user = called_back(rcast), rcast.handler_a
        services.start_rectification(user, review, "修订指南")
    else:
        review, user = called_back(rcast), rcast.handler_a
    review.refresh_from_db()
    before = review.status
    empty = {k: ("5" if k == "working_days" else "   ") for k in STEP_DATA[action]}

    response = as_user(user).post(url(review, action), empty)

    assert response.status_code == 422
    assert "提交未成功" in response.content.decode()
    review.refresh_from_db()
    assert review.status == before


@pytest.mark.parametrize("bad", ["含有\x00空字符", "长" * 2001])
def test_bad_text_is_refused_on_the_form(rcast, bad):
    review = case_review(rcast)
    response = as_user(rcast.handler_a).post(url(review, "call_back"), {"note": bad})
    assert response.status_code == 422
    review.refresh_from_db()
    assert review.status == BadReviewStatus.AWAITING_CALLBACK


def test_the_forms_need_the_csrf_token(rcast):
    review = case_review(rcast)
    client = login_as(Client(enforce_csrf_checks=True), rcast.handler_a)
    assert client.post(url(review, "call_back"), {"note": "已联系"}).status_code == 403
    assert client.post(url(review, "phone"), {"purpose": "回访"}).status_code == 403
    review.refresh_from_db()
    assert review.status == BadReviewStatus.AWAITING_CALLBACK


# --- the rater's phone -----------------------------------------------------------------------------


def reads() -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(action="personal_data.read").order_by("seq"))


def test_the_handler_sees_the_phone_once_and_the_reading_is_recorded(rcast):
    review = case_review(rcast)
    client = as_user(rcast.handler_a)

    response = client.post(url(review, "phone"), {"purpose": "差评回访"})

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'href="tel:13900000000"' in html and "本次查看及事由已记录" in text_of(html)
    entry = reads()[-1]
    assert entry.payload["subject_person_id"] == rcast.cases.citizen.person.pk
    assert entry.payload["purpose"] == "差评回访" and entry.actor == f"user:{rcast.handler_a.pk}"
    # Not kept anywhere: the next view of the page is masked again.
    assert "13900000000" not in page(client, url(review))


def test_no_purpose_no_phone(rcast):
    review = case_review(rcast)
    response = as_user(rcast.handler_a).post(url(review, "phone"), {"purpose": "  "})
    assert response.status_code == 422
    html = response.content.decode()
    assert "查看事由" in html and "13900000000" not in html
    assert reads() == []


def test_the_supervisor_may_not_read_the_phone(rcast):
    review = case_review(rcast)
    response = as_user(rcast.supervisor).post(url(review, "phone"), {"purpose": "督办"})
    assert response.status_code == 403
    assert "13900000000" not in response.content.decode()
    assert reads() == []


def test_the_phone_of_a_closed_review_is_not_shown(rcast):
    review = called_back(rcast)
    services.explain(rcast.handler_a, review, "依法办理")
    client = as_user(rcast.handler_a)
    assert "/phone/" not in page(client, url(review))

    response = client.post(url(review, "phone"), {"purpose": "再次回访"})

    assert response.status_code == 409
    assert "差评已办结" in text_of(response.content.decode())
    assert reads() == []
