"""The citizen's 好差评 pages, with personas: the applicant (who is also the ticket's caller),
another citizen, a reviewer of the deciding department, the rating handler of that department
and an anonymous visitor. Rating a finished online case, a counter case (window and clerk too)
and a closed 12345 ticket; bad input; a second rating; an unfinished case; "我的评价" following
a bad review through its loop; the re-rating; the signed SMS / QR-code link."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from yiwang.accounts.tests.factories import login_as
from yiwang.cases import services as case_services
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import full_form
from yiwang.hotline.models import Ticket
from yiwang.ratings import services
from yiwang.ratings.models import BadReview, Rating, ServiceWindow, SubjectKind
from yiwang.ratings.tests.factories import RatingCast, closed_ticket, completed_case
from yiwang.ratings.views.citizen import LINK_MAX_AGE, LINK_SALT, rating_link

pytestmark = pytest.mark.django_db

MINE = "/ratings/mine/"
COMPLAINT = "窗口让我来回跑了三趟，每次要的材料都不一样。"


def rate_url(case: Case) -> str:
    return f"/ratings/cases/{case.number}/rate/"


def ticket_url(ticket: Ticket) -> str:
    return f"/ratings/tickets/{ticket.number}/rate/"


def client_for(user) -> Client:
    return login_as(Client(), user)


def citizen(rcast: RatingCast) -> Client:
    return client_for(rcast.cases.citizen)


def counter_case(rcast: RatingCast) -> Case:
    """A walk-in application taken in by the centre's clerk, approved and picked up."""
    cast = rcast.cases
    case = case_services.counter_intake(
        cast.clerk,
        cast.citizen.person,
        cast.item,
        full_form(),
        {"safety_rules": {"source": "commitment"}},
        paper=["id_card", "floor_plan"],
    )
    case = case_services.accept(cast.clerk, case)
    case = case_services.review(cast.reviewer_a, case, "approve", "符合条件")
    if case.status != "completed":
        case = case_services.deliver(cast.approver_a, case, "pickup")
    assert case.status == "completed"
    return case


def submitted_case(rcast: RatingCast) -> Case:
    from yiwang.cases.tests.factories import all_materials

    cast = rcast.cases
    return case_services.submit_online(cast.citizen, cast.item, full_form(), all_materials())


def rate_badly(rcast: RatingCast, case: Case) -> Rating:
    return services.rate_case(rcast.cases.citizen, case, level=1, comment=COMPLAINT)


# --- rating a case ----------------------------------------------------------------------------


def test_the_applicant_rates_his_online_case_and_is_thanked(rcast):
    case = completed_case(rcast)
    client = citizen(rcast)
    page = client.get(rate_url(case))
    text = page.content.decode()
    assert page.status_code == 200
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f"{label}</label>" in text or label in text
    for dimension in ("办事效率", "指南准确", "便捷程度", "操作体验"):
        assert dimension in text
    assert "服务态度" not in text and "办理窗口" not in text  # no counter questions online

    response = client.post(
        rate_url(case),
        {"level": "5", "score_efficiency": "5", "score_guide": "4", "comment": "很快就办好了"},
    )
    assert response.status_code == 302 and response["Location"] == rate_url(case)
    rating = Rating.objects.get(case=case)
    assert (rating.level, rating.channel, rating.setting) == (5, "web", "online")
    assert rating.scores == {"efficiency": 5, "guide": 4}
    assert rating.rater == rcast.cases.citizen.person

    thanks = client.get(rate_url(case)).content.decode()
    assert "感谢您的评价" in thanks and "评价已提交" in thanks
    again = client.get(rate_url(case)).content.decode()  # the thank-you is shown once
    assert "感谢您的评价" not in again and "您已评价" in again and "很快就办好了" in again


def test_a_bad_rating_needs_a_reason_and_promises_a_call_back_within_one_working_day(rcast):
    case = completed_case(rcast)
    client = citizen(rcast)
    refused = client.post(rate_url(case), {"level": "2", "comment": "  "})
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "给出差评时请写明原因" in text and 'id="id_comment_error"' in text
    assert not Rating.objects.filter(case=case).exists()

    client.post(rate_url(case), {"level": "2", "comment": COMPLAINT})
    thanks = client.get(rate_url(case)).content.decode()
    assert "我们已收到您的差评" in thanks and "1个工作日内回访您" in thanks
    assert "待回访" in thanks
    assert BadReview.objects.get(rating__case=case).status == "awaiting_callback"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "level", "请选择一个评价等级。"),
        ({"level": "9"}, "level", "请选择五个评价等级之一。"),
        ({"level": "abc"}, "level", "请选择五个评价等级之一。"),
        ({"level": "4", "score_efficiency": "0"}, "score_efficiency", "分项评分须为1至5分。"),
        ({"level": "4", "comment": "很" * 501}, "comment", "评价内容不能超过500字。"),
        ({"level": "4", "comment": "好\x00"}, "comment", ""),
    ],
)
def test_bad_input_shows_the_error_on_its_field_and_stores_nothing(rcast, data, field, message):
    case = completed_case(rcast)
    response = citizen(rcast).post(rate_url(case), data)
    assert response.status_code == 422
    text = response.content.decode()
    assert f'id="id_{field}_error"' in text
    assert message in text
    assert not Rating.objects.filter(case=case).exists()


def test_a_counter_case_rates_the_window_and_the_clerk_who_received_him(rcast):
    case = counter_case(rcast)
    window = ServiceWindow.objects.create(
        code="W07", name="综合受理7号窗口", department=rcast.cases.counter
    )
    ServiceWindow.objects.create(
        code="W99", name="已停用窗口", department=rcast.cases.counter, is_active=False
    )
    client = citizen(rcast)
    text = client.get(rate_url(case)).content.decode()
    for dimension in ("办事效率", "业务水平", "服务态度"):
        assert dimension in text
    assert "综合受理7号窗口" in text and "已停用窗口" not in text
    assert "对受理您申请的窗口工作人员的评价" in text
    assert rcast.cases.clerk.display_name not in text  # no staff names

    # A window without its level is refused with the field named.
    refused = client.post(rate_url(case), {"level": "4", "window": str(window.pk)})
    assert refused.status_code == 422 and "选择了窗口时，请评价该窗口。" in refused.content.decode()

    response = client.post(
        rate_url(case),
        {
            "level": "4",
            "score_attitude": "5",
            "window": str(window.pk),
            "window_level": "5",
            "staff_level": "5",
        },
    )
    assert response.status_code == 302
    ratings = {r.subject_kind: r for r in Rating.objects.filter(case=case)}
    assert set(ratings) == {SubjectKind.CASE, SubjectKind.WINDOW, SubjectKind.STAFF}
    assert ratings[SubjectKind.CASE].setting == "counter"
    assert ratings[SubjectKind.WINDOW].window == window
    assert ratings[SubjectKind.STAFF].staff == rcast.cases.clerk
    page = client.get(rate_url(case)).content.decode()
    assert "综合受理7号窗口" in page and "窗口工作人员" in page


def test_a_window_of_another_centre_is_refused(rcast):
    case = counter_case(rcast)
    elsewhere = ServiceWindow.objects.create(
        code="X01", name="别处窗口", department=rcast.cases.dept_b
    )
    response = citizen(rcast).post(
        rate_url(case), {"level": "4", "window": str(elsewhere.pk), "window_level": "4"}
    )
    assert response.status_code == 422 and "请从列表中选择窗口。" in response.content.decode()
    assert not Rating.objects.filter(case=case).exists()


def test_only_the_applicant_reaches_the_page(rcast):
    case = completed_case(rcast)
    cast = rcast.cases
    for user in (cast.other_citizen, cast.reviewer_a, rcast.handler_a, cast.agent):
        client = client_for(user)
        assert client.get(rate_url(case)).status_code == 404
        assert client.post(rate_url(case), {"level": "5"}).status_code == 404
    assert not Rating.objects.filter(case=case).exists()
    anonymous = Client().get(rate_url(case))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert citizen(rcast).get("/ratings/cases/NO-SUCH-CASE/rate/").status_code == 404


def test_a_second_rating_is_refused_and_shows_his_rating(rcast):
    case = completed_case(rcast)
    client = citizen(rcast)
    client.post(rate_url(case), {"level": "5"})
    again = client.post(rate_url(case), {"level": "1", "comment": COMPLAINT})
    assert again.status_code == 302
    assert Rating.objects.filter(case=case).count() == 1
    page = client.get(rate_url(case)).content.decode()
    assert "此办件已评价过，一事一评。" in page and "非常满意" in page
    assert "您已评价" in client.get(rate_url(case)).content.decode()


def test_an_unfinished_case_cannot_be_rated(rcast):
    case = submitted_case(rcast)
    client = citizen(rcast)
    page = client.get(rate_url(case))
    assert page.status_code == 409 and "办结后才能评价" in page.content.decode()
    assert client.post(rate_url(case), {"level": "5"}).status_code == 409
    assert not Rating.objects.filter(case=case).exists()


# --- rating a ticket --------------------------------------------------------------------------


def test_the_caller_rates_his_closed_ticket_with_the_hotline_dimensions(rcast):
    ticket = closed_ticket(rcast)
    client = client_for(rcast.hotline.citizen)
    text = client.get(ticket_url(ticket)).content.decode()
    for dimension in ("响应速度", "解决程度", "服务态度"):
        assert dimension in text
    response = client.post(ticket_url(ticket), {"level": "4", "score_resolution": "4"})
    assert response.status_code == 302
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.level, rating.setting, rating.scores) == (4, "hotline", {"resolution": 4})
    assert rating.department == rcast.hotline.zj


def test_someone_elses_or_an_open_ticket(rcast):
    ticket = closed_ticket(rcast)
    for user in (rcast.cases.citizen, rcast.hotline.clerk, rcast.hotline.agent):
        assert client_for(user).get(ticket_url(ticket)).status_code == 404
    Ticket.objects.filter(pk=ticket.pk).update(status="answered")
    page = client_for(rcast.hotline.citizen).get(ticket_url(ticket))
    assert page.status_code == 409 and "尚未办结" in page.content.decode()


# --- my ratings, the loop and the re-rating ---------------------------------------------------


def test_my_ratings_lists_what_is_still_to_rate(rcast):
    case = completed_case(rcast)
    open_case = submitted_case(rcast)
    text = citizen(rcast).get(MINE).content.decode()
    assert rate_url(case) in text and rate_url(open_case) not in text
    other = client_for(rcast.cases.other_citizen).get(MINE).content.decode()
    assert case.number not in other
    ticket = closed_ticket(rcast)
    caller_page = client_for(rcast.hotline.citizen).get(MINE).content.decode()
    assert ticket_url(ticket) in caller_page


def test_staff_have_no_my_ratings_page(rcast):
    assert client_for(rcast.cases.reviewer_a).get(MINE).status_code == 403
    assert Client().get(MINE).status_code == 302


def test_he_follows_his_bad_rating_through_the_loop_and_rates_again(rcast):
    case = completed_case(rcast)
    rating = rate_badly(rcast, case)
    client = citizen(rcast)
    text = client.get(MINE).content.decode()
    assert "待回访" in text and "回访时限" in text and rate_url(case) in text
    assert f"/ratings/{rating.pk}/rerate/" not in text
    assert client.get(f"/ratings/{rating.pk}/rerate/").status_code == 409

    review = BadReview.objects.get(rating=rating)
    handler = rcast.handler_a
    review = services.call_back(handler, review, "内部记录：申请人情绪激动，已安抚。")
    text = client.get(MINE).content.decode()
    assert "已回访" in text and "内部记录" not in text

    review = services.start_rectification(handler, review, "内部整改计划：培训窗口人员。")
    text = client.get(MINE).content.decode()
    assert "整改中" in text and "整改期限" in text and "内部整改计划" not in text

    review = services.complete_rectification(handler, review, "已统一材料清单并在窗口公示。")
    text = client.get(MINE).content.decode()
    assert "已办结" in text and "您反映的问题已完成整改。" in text
    assert "已统一材料清单并在窗口公示。" in text
    assert handler.display_name not in text
    assert f"/ratings/{rating.pk}/rerate/" in text

    form = client.get(f"/ratings/{rating.pk}/rerate/")
    assert form.status_code == 200 and "原评价及处理结果" in form.content.decode()
    refused = client.post(f"/ratings/{rating.pk}/rerate/", {"level": "1"})
    assert refused.status_code == 422
    response = client.post(f"/ratings/{rating.pk}/rerate/", {"level": "4", "comment": "改好了"})
    assert response.status_code == 302 and response["Location"] == MINE
    new = Rating.objects.get(supersedes=rating)
    assert (new.level, new.revision, new.is_current) == (4, 2, True)
    text = client.get(MINE).content.decode()
    assert "重新评价，此评价不再计入统计" in text
    assert f"/ratings/{rating.pk}/rerate/" not in text and f"/ratings/{new.pk}/rerate/" not in text
    assert client.get(f"/ratings/{rating.pk}/rerate/").status_code == 409


def test_an_explanation_is_shown_to_him(rcast):
    case = completed_case(rcast)
    rating = rate_badly(rcast, case)
    review = services.call_back(rcast.handler_a, BadReview.objects.get(rating=rating), "已联系")
    services.explain(rcast.handler_a, review, "该材料为法律规定必须提交的材料。")
    text = citizen(rcast).get(MINE).content.decode()
    assert "部门说明" in text and "该材料为法律规定必须提交的材料。" in text


def test_only_the_rater_may_re_rate(rcast):
    case = completed_case(rcast)
    rating = rate_badly(rcast, case)
    review = services.call_back(rcast.handler_a, BadReview.objects.get(rating=rating), "已联系")
    services.fix_now(rcast.handler_a, review, "已当场补办。")
    url = f"/ratings/{rating.pk}/rerate/"
    for user in (rcast.cases.other_citizen, rcast.handler_a, rcast.cases.reviewer_a):
        client = client_for(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"level": "5"}).status_code == 404
    assert Rating.objects.filter(case=case).count() == 1


def test_a_good_rating_cannot_be_re_rated(rcast):
    case = completed_case(rcast)
    rating = services.rate_case(rcast.cases.citizen, case, level=5)
    client = citizen(rcast)
    assert client.get(f"/ratings/{rating.pk}/rerate/").status_code == 409
    assert (
        client.post(f"/ratings/{rating.pk}/rerate/", {"level": "1", "comment": "x"}).status_code
        == 409
    )
    assert Rating.objects.filter(case=case).count() == 1


# --- the signed link --------------------------------------------------------------------------


def test_the_sms_link_opens_the_rating_page_after_login_and_records_the_channel(rcast):
    case = completed_case(rcast)
    url = rating_link(case=case.number, channel="sms")
    assert url.startswith("/ratings/r/")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client = citizen(rcast)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == rate_url(case)
    client.post(rate_url(case), {"level": "5"})
    assert Rating.objects.get(case=case).channel == "sms"


def test_the_counter_qr_link_of_a_ticket(rcast):
    ticket = closed_ticket(rcast)
    client = client_for(rcast.hotline.citizen)
    response = client.get(rating_link(ticket=ticket, channel="counter"))
    assert response["Location"] == ticket_url(ticket)
    client.post(ticket_url(ticket), {"level": "3"})
    assert Rating.objects.get(ticket=ticket).channel == "counter"


def test_the_channel_cannot_be_chosen_by_the_browser(rcast):
    case = completed_case(rcast)
    citizen(rcast).post(rate_url(case) + "?channel=sms", {"level": "5", "channel": "sms"})
    assert Rating.objects.get(case=case).channel == "web"


def test_a_link_to_someone_elses_case_is_404(rcast):
    case = completed_case(rcast)
    url = rating_link(case=case)
    assert client_for(rcast.cases.other_citizen).get(url).status_code == 404
    assert client_for(rcast.cases.reviewer_a).get(url).status_code == 404


class _LongAgo(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - LINK_MAX_AGE - 60)


def test_a_tampered_or_expired_link_says_so(rcast):
    case = completed_case(rcast)
    client = citizen(rcast)
    token = rating_link(case=case).split("/")[-2]
    tampered = client.get(f"/ratings/r/{token[:-2]}xx/")
    assert tampered.status_code == 400 and "评价链接无效" in tampered.content.decode()
    assert Client().get("/ratings/r/garbage/").status_code == 400

    old = _LongAgo(salt=LINK_SALT).sign_object(
        {"case": case.number, "channel": "sms"}, compress=True
    )
    expired = client.get(f"/ratings/r/{old}/")
    assert expired.status_code == 400 and "评价链接已过期" in expired.content.decode()

    wrong_salt = signing.dumps({"case": case.number, "channel": "sms"})
    assert client.get(f"/ratings/r/{wrong_salt}/").status_code == 400
    web = signing.dumps({"case": case.number, "channel": "web"}, salt=LINK_SALT)
    assert client.get(f"/ratings/r/{web}/").status_code == 400


def test_rating_link_refuses_nonsense():
    with pytest.raises(ValueError):
        rating_link()
    with pytest.raises(ValueError):
        rating_link(case="A", ticket="B")
    with pytest.raises(ValueError):
        rating_link(case="A", channel="web")


def test_my_ratings_reads_a_fixed_number_of_queries_however_many_ratings(rcast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = citizen(rcast)
    rate_badly(rcast, completed_case(rcast))
    with CaptureQueriesContext(connection) as one:
        assert client.get(MINE).status_code == 200
    for _ in range(3):
        rate_badly(rcast, completed_case(rcast))
    services.rate_case(rcast.cases.citizen, counter_case(rcast), level=5)
    with CaptureQueriesContext(connection) as five:
        assert client.get(MINE).status_code == 200
    assert len(five) == len(one)


# --- the way in from the case and the ticket -----------------------------------------------------


def test_a_finished_case_and_a_closed_ticket_offer_their_rating_page(rcast):
    case = completed_case(rcast)
    client = Client()
    client.force_login(rcast.cases.citizen)
    html = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert reverse("ratings:rate_case", args=[case.number]) in html
    ticket = closed_ticket(rcast)
    client.force_login(rcast.hotline.citizen)
    html = client.get(reverse("hotline:my_ticket", args=[ticket.number])).content.decode()
    assert reverse("ratings:rate_ticket", args=[ticket.number]) in html


def test_an_unfinished_case_offers_no_rating(rcast):
    from yiwang.cases.tests.factories import all_materials

    cast = rcast.cases
    case = case_services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    client = Client()
    client.force_login(cast.citizen)
    html = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert reverse("ratings:rate_case", args=[case.number]) not in html
