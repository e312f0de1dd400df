"""The handling department's pages (承办单位), with personas: the clerk of the responsible
department (住建局), the clerk of another department (市场监管局), the hotline agent, the caller
(a citizen) and an anonymous visitor. The worklist, a ticket's page and each action — 签收, 退单,
延期, 答复, 显示完整号码 — with their refusals and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.accounts.tests.factories import ledger_entries, login_as
from yiwang.cases.tests.factories import PNG
from yiwang.hotline import services
from yiwang.hotline.models import Ticket, TicketAttachment, TicketEvent
from yiwang.hotline.tests.factories import (
    LIFT,
    HotlineCast,
    dispatched_ticket,
    make_hotline_cast,
)

pytestmark = pytest.mark.django_db

WORKLIST = "/hotline/department/"


@pytest.fixture
def hcast(db) -> HotlineCast:
    return make_hotline_cast()


def url(ticket: Ticket, action: str = "") -> str:
    return f"/hotline/department/{ticket.number}/" + (f"{action}/" if action else "")


def page(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def clerk(hcast: HotlineCast) -> Client:
    return login_as(Client(), hcast.clerk)


def signed_ticket(hcast: HotlineCast, **overrides) -> Ticket:
    ticket = dispatched_ticket(hcast, **overrides)
    return services.sign(hcast.clerk, ticket)


def age(ticket: Ticket, *, days: float = 0, hours: float = 0) -> Ticket:
    """Move the ticket's clocks into the past, as if it had been dispatched that long ago."""
    shift = dt.timedelta(days=days, hours=hours)
    Ticket.objects.filter(pk=ticket.pk).update(
        dispatched_at=ticket.dispatched_at - shift,
        sign_due_at=ticket.sign_due_at - shift,
        due_at=ticket.due_at - shift,
    )
    ticket.refresh_from_db()
    return ticket


def attach_photo(ticket: Ticket, name: str = "现场照片.png") -> TicketAttachment:
    item = TicketAttachment(
        ticket=ticket, name=name, content_type="image/png", size=len(PNG), sha256="0" * 64
    )
    item.file.save("0" * 64 + ".png", ContentFile(PNG), save=False)
    item.save()
    return item


# --- the worklist --------------------------------------------------------------------------------


def test_the_clerk_sees_his_departments_tickets_the_earliest_deadline_first(hcast):
    normal = dispatched_ticket(hcast)
    emergency = dispatched_ticket(hcast, urgency="emergency")
    elsewhere = dispatched_ticket(hcast, category_code=LIFT)  # 电梯 goes to 市场监管局
    html = page(clerk(hcast), WORKLIST)
    assert normal.number in html and emergency.number in html
    assert elsewhere.number not in html
    assert html.index(emergency.number) < html.index(normal.number)
    assert "待签收" in html and "特急" in html
    other = page(login_as(Client(), hcast.other_clerk), WORKLIST)
    assert elsewhere.number in other and normal.number not in other


def test_deadlines_are_marked_in_words_not_colour_alone_and_can_be_filtered(hcast):
    overdue = age(dispatched_ticket(hcast), days=30)
    fresh = dispatched_ticket(hcast)
    html = page(clerk(hcast), WORKLIST)
    assert "超期" in html and "badge--danger" in html and "已超时" in html
    assert "正常" in html and "剩余" in html
    red = page(clerk(hcast), WORKLIST + "?warning=red")
    assert overdue.number in red and fresh.number not in red
    calm = page(clerk(hcast), WORKLIST + "?warning=none")
    assert fresh.number in calm and overdue.number not in calm


def test_a_ticket_two_thirds_into_its_time_is_in_yellow(hcast):
    ticket = signed_ticket(hcast, urgency="urgent")  # 24 hours on the wall clock
    ticket = age(ticket, hours=20)
    html = page(clerk(hcast), WORKLIST)
    assert "预警" in html and "badge--warning" in html
    assert ticket.number in page(clerk(hcast), WORKLIST + "?warning=yellow")


def test_the_status_tabs_filter_and_count(hcast):
    waiting = dispatched_ticket(hcast)
    working = signed_ticket(hcast)
    html = page(clerk(hcast), WORKLIST + "?status=signed")
    assert working.number in html and waiting.number not in html
    assert re.search(r"待签收<span class=\"visually-hidden\">：</span> 1", html)
    assert re.search(r"办理中<span class=\"visually-hidden\">：</span> 1", html)
    assert 'aria-current="page"' in html


def test_an_unknown_filter_value_is_ignored(hcast):
    ticket = dispatched_ticket(hcast)
    html = page(clerk(hcast), WORKLIST + "?status=closed&warning=purple&urgency=x")
    assert ticket.number in html


def test_the_search_finds_a_ticket_by_its_number_or_words(hcast):
    ticket = dispatched_ticket(hcast, content="湖滨路18号的电梯间漏水，墙面发霉。")
    other = dispatched_ticket(hcast)
    found = page(clerk(hcast), WORKLIST + "?q=漏水")
    assert ticket.number in found and other.number not in found
    assert other.number in page(clerk(hcast), WORKLIST + f"?q={other.number[-6:]}")


def test_the_worklist_is_paginated_and_its_query_count_does_not_grow(hcast):
    client = clerk(hcast)
    for _ in range(3):
        dispatched_ticket(hcast)
    client.get(WORKLIST)  # warm caches (the working-day calendar)
    with CaptureQueriesContext(connection) as few:
        page(client, WORKLIST)
    for _ in range(22):
        signed_ticket(hcast)
    with CaptureQueriesContext(connection) as many:
        html = page(client, WORKLIST)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert "第 1 / 2 页" in html
    assert "第 2 / 2 页" in page(client, WORKLIST + "?page=2")


def test_people_who_handle_no_tickets_get_404_and_visitors_are_sent_to_sign_in(hcast):
    for user in (hcast.citizen, hcast.agent):
        assert login_as(Client(), user).get(WORKLIST).status_code == 404
    response = Client().get(WORKLIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- a ticket ------------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_demand_the_clocks_and_a_masked_phone(hcast):
    ticket = dispatched_ticket(hcast)
    html = page(clerk(hcast), url(ticket))
    assert ticket.content in html and "物业服务质量" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "王*" in html and "王先生" not in html
    assert "签收时限" in html and "办理时限" in html and "退单时限" in html
    assert hcast.zj.name in html
    assert "派单" in html and "12345热线" in html  # the timeline
    assert ">签收</button>" in html and "退单理由" in html
    assert "延期理由" not in html and "答复内容" not in html  # not before signing


def test_outsiders_get_404_on_every_page_and_action_and_nothing_changes(hcast):
    ticket = dispatched_ticket(hcast)
    item = attach_photo(ticket)
    for user in (hcast.other_clerk, hcast.agent, hcast.citizen):
        client = login_as(Client(), user)
        assert client.get(url(ticket)).status_code == 404
        assert client.get(url(ticket, f"attachments/{item.pk}")).status_code == 404
        for action, data in (
            ("sign", {}),
            ("return", {"reason": "不归我管"}),
            ("extend", {"amount": 2, "reason": "需要时间"}),
            ("answer", {"text": "已处理"}),
            ("phone", {"purpose": "看看"}),
        ):
            response = client.post(url(ticket, action), data)
            assert response.status_code == 404, (user, action, response.status_code)
            assert ticket.content not in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True)) == [
        "intake",
        "dispatch",
    ]
    assert not ledger_entries("personal_data.read")


def test_an_unknown_or_hostile_number_is_404(hcast):
    client = clerk(hcast)
    assert client.get("/hotline/department/123451234/").status_code == 404
    assert client.get("/hotline/department/" + "9" * 200 + "/").status_code == 404


def test_the_clerk_signs_a_dispatched_ticket(hcast):
    ticket = dispatched_ticket(hcast)
    client = clerk(hcast)
    response = client.post(url(ticket, "sign"))
    assert response.status_code == 302 and response["Location"] == url(ticket)
    ticket.refresh_from_db()
    assert ticket.status == "signed" and ticket.signed_at is not None
    html = page(client, url(ticket))
    assert "已签收。请在办理时限内办理并答复。" in html
    assert "办理中" in html and "答复内容" in html and "延期理由" in html
    assert ">签收</button>" not in html


def test_signing_twice_is_refused_with_the_services_message(hcast):
    ticket = signed_ticket(hcast)
    response = clerk(hcast).post(url(ticket, "sign"))
    assert response.status_code == 409
    assert "工单当前状态不允许签收。" in response.content.decode()


def test_returning_needs_a_reason_that_is_more_than_markup(hcast):
    ticket = dispatched_ticket(hcast)
    for reason in ("", "   ", "<b> </b>"):
        response = clerk(hcast).post(url(ticket, "return"), {"reason": reason})
        assert response.status_code == 422, reason
        html = response.content.decode()
        assert "提交未成功" in html and ("请填写理由。" in html or "必填" in html)
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"


def test_returning_with_a_reason_hands_the_ticket_back_to_the_hotline(hcast):
    ticket = dispatched_ticket(hcast)
    reason = "该小区物业已移交街道管理，非本单位职责，建议改派湖滨街道。"
    response = clerk(hcast).post(url(ticket, "return"), {"reason": reason})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "returned" and ticket.return_count == 1
    assert TicketEvent.objects.get(ticket=ticket, action="return").reason == reason
    html = page(clerk(hcast), url(ticket))
    assert "等待12345热线审核" in html and reason in html and "退单理由" not in html
    assert ticket.number in page(clerk(hcast), WORKLIST + "?status=returned")


def test_returning_after_the_limit_is_refused_with_the_services_message(hcast):
    ticket = age(dispatched_ticket(hcast), days=10)
    html = page(clerk(hcast), url(ticket))
    assert "退单时限已于" in html and "退单理由" not in html
    response = clerk(hcast).post(url(ticket, "return"), {"reason": "不属于本单位"})
    assert response.status_code == 409
    assert "已超过退单时限（派单后2个工作日），请继续办理。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"


def test_the_clerk_asks_for_more_days_and_the_deadline_moves_once_the_hotline_approves(hcast):
    ticket = signed_ticket(hcast)
    before = ticket.due_at
    client = clerk(hcast)
    response = client.post(url(ticket, "extend"), {"amount": "3", "reason": "需协调业委会"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.extension_requested == 3 and ticket.due_at == before
    html = page(client, url(ticket))
    assert "已申请延期3个工作日，等待12345热线审核。" in html  # the message
    assert "已申请延期 3 个工作日，等待12345热线审核" in html and "需协调业委会" in html
    assert "延期理由" not in html  # one request at a time
    services.decide_extension(hcast.agent, ticket, approve=True)
    ticket.refresh_from_db()
    assert ticket.extended_amount == 3 and ticket.due_at > before
    html = page(clerk(hcast), url(ticket))
    assert "已延期 3 个工作日" in html and "批准延期3个工作日" in html
    assert "尚可申请 7 个工作日" in html


def test_a_second_request_while_one_is_pending_is_refused(hcast):
    ticket = signed_ticket(hcast)
    services.request_extension(hcast.clerk, ticket, 2, "第一次申请")
    response = clerk(hcast).post(url(ticket, "extend"), {"amount": "3", "reason": "再申请"})
    assert response.status_code == 409
    assert "已有延期申请待热线审核，请勿重复申请。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.extension_requested == 2


def test_extending_beyond_ten_working_days_in_all_is_refused(hcast):
    ticket = signed_ticket(hcast)
    services.request_extension(hcast.clerk, ticket, 8, "第一次延期")
    services.decide_extension(hcast.agent, ticket, approve=True)
    response = clerk(hcast).post(url(ticket, "extend"), {"amount": "3", "reason": "再延期"})
    assert response.status_code == 409
    assert "延期累计不得超过10个工作日（已延期8个工作日）。" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.extended_amount, ticket.extension_requested) == (8, 0)


def test_an_extension_needs_a_reason(hcast):
    ticket = signed_ticket(hcast)
    for reason in ("", "<i></i>"):
        response = clerk(hcast).post(url(ticket, "extend"), {"amount": "2", "reason": reason})
        assert response.status_code == 422, reason
    assert "请填写理由。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.extension_requested == 0


@pytest.mark.parametrize("amount", ["0", "11", "-2", "abc", ""])
def test_an_extension_outside_one_to_ten_days_is_a_form_error(hcast, amount):
    ticket = signed_ticket(hcast)
    response = clerk(hcast).post(url(ticket, "extend"), {"amount": amount, "reason": "理由"})
    assert response.status_code == 422
    assert "延期天数" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.extension_requested == 0


def test_extending_or_answering_before_signing_is_refused(hcast):
    ticket = dispatched_ticket(hcast)
    response = clerk(hcast).post(url(ticket, "extend"), {"amount": "2", "reason": "理由"})
    assert response.status_code == 409
    assert "工单当前状态不允许申请延期。" in response.content.decode()
    response = clerk(hcast).post(url(ticket, "answer"), {"text": "已处理"})
    assert response.status_code == 409
    assert "工单当前状态不允许答复。" in response.content.decode()


def test_the_clerk_answers_and_markup_is_stripped(hcast):
    ticket = signed_ticket(hcast)
    text = "<script>alert(1)</script>已督促物业公司<b>每日</b>清扫楼道。"
    response = clerk(hcast).post(url(ticket, "answer"), {"text": text})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "answered"
    assert ticket.answer == "已督促物业公司 每日 清扫楼道。"
    html = page(clerk(hcast), url(ticket))
    assert "已答复" in html and "已督促物业公司 每日 清扫楼道。" in html
    assert "<script>alert" not in html and "答复内容</label>" not in html


def test_an_empty_answer_is_refused(hcast):
    ticket = signed_ticket(hcast)
    for text in ("", "<p></p>"):
        response = clerk(hcast).post(url(ticket, "answer"), {"text": text})
        assert response.status_code == 422, text
    assert "请填写内容。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "signed"


def test_the_full_number_needs_a_purpose_and_the_reading_is_recorded(hcast):
    ticket = dispatched_ticket(hcast)
    response = clerk(hcast).post(url(ticket, "phone"), {"purpose": ""})
    assert response.status_code == 422 and "13812345678" not in response.content.decode()
    response = clerk(hcast).post(url(ticket, "phone"), {"purpose": "联系来电人核实楼道情况"})
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    (entry,) = ledger_entries("personal_data.read")
    assert entry.payload["purpose"] == "联系来电人核实楼道情况"
    assert entry.payload["ticket"] == ticket.number
    assert "13812345678" not in page(clerk(hcast), url(ticket))  # masked again


def test_the_department_downloads_the_callers_attachment(hcast):
    ticket = dispatched_ticket(hcast)
    item = attach_photo(ticket)
    html = page(clerk(hcast), url(ticket))
    assert "现场照片.png" in html
    response = clerk(hcast).get(url(ticket, f"attachments/{item.pk}"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    other = dispatched_ticket(hcast)
    assert clerk(hcast).get(url(other, f"attachments/{item.pk}")).status_code == 404


def test_the_timeline_names_the_units_and_the_reasons_given(hcast):
    ticket = signed_ticket(hcast)
    services.supervise(hcast.agent, ticket, "请加快办理")
    html = page(clerk(hcast), url(ticket))
    assert "督办" in html and "请加快办理" in html
    assert hcast.clerk.display_name in html  # staff see who acted


def test_a_ticket_now_with_another_department_is_gone_from_the_page(hcast):
    ticket = dispatched_ticket(hcast)
    services.return_ticket(hcast.clerk, ticket, "非本单位职责")
    services.review_return(hcast.agent, ticket, "redispatch", hcast.scjg)
    assert clerk(hcast).get(url(ticket)).status_code == 404
    assert ticket.number not in page(clerk(hcast), WORKLIST)
    assert ticket.number in page(login_as(Client(), hcast.other_clerk), WORKLIST)


def test_pages_say_it_in_time_the_clerk_can_read(hcast):
    ticket = dispatched_ticket(hcast)
    local = timezone.localtime(ticket.sign_due_at).strftime("%Y-%m-%d %H:%M")
    assert local in page(clerk(hcast), url(ticket))
