"""The caller's pages, with personas: the citizen who submits (a real-name account), another
citizen, the hotline agent, the clerk of the handling department and an anonymous visitor. The web
submission with its per-field errors and hostile uploads, his list, the progress page (steps,
departments, answer, a public timeline) and his attachments."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.accounts.tests.factories import login_as, make_citizen
from yiwang.cases.tests.factories import PNG, pdf_upload
from yiwang.hotline import services
from yiwang.hotline.citizen_forms import ATTACHMENT_MAX_BYTES
from yiwang.hotline.models import Category, Ticket, TicketAttachment
from yiwang.hotline.tests.factories import (
    FIRE,
    PROPERTY,
    STREET,
    HotlineCast,
    intake_kwargs,
    make_hotline_cast,
)

pytestmark = pytest.mark.django_db

NEW = "/hotline/new/"
MINE = "/hotline/my/"
TEXT = "湖滨路18号小区楼道的灯坏了一个星期，晚上很黑，老人上下楼不安全。"


@pytest.fixture
def hcast(db) -> HotlineCast:
    return make_hotline_cast()


def citizen(hcast: HotlineCast) -> Client:
    return login_as(Client(), hcast.citizen)


def form(**overrides) -> dict:
    data = {
        "form_token": uuid.uuid4().hex,
        "type": "complaint",
        "content": TEXT,
        "region": STREET,
        "address": "湖滨路18号3幢",
        "latitude": "",
        "longitude": "",
        "phone": "13900000000",
    }
    data.update(overrides)
    return data


def png(name: str = "楼道.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def progress_url(ticket: Ticket) -> str:
    return f"/hotline/my/{ticket.number}/"


def submit(client: Client, status: int = 302, **overrides) -> tuple[str, Ticket | None]:
    response = client.post(NEW, form(**overrides))
    assert response.status_code == status, (response.status_code, response.content[-3000:])
    if status != 302:
        return response.content.decode(), None
    number = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return response["Location"], Ticket.objects.get(number=number)


def web_ticket(hcast: HotlineCast, **overrides) -> Ticket:
    """A demand the citizen submitted on the web, with its category (as the agent confirms)."""
    values = intake_kwargs(channel="web", caller_name=hcast.citizen.person.name)
    values.update(overrides)
    return services.intake(None, caller=hcast.citizen.person, **values)


# --- the submission ------------------------------------------------------------------------------


def test_the_form_is_prefilled_with_his_phone_and_region(hcast):
    html = citizen(hcast).get(NEW).content.decode()
    assert 'value="13900000000"' in html
    assert re.search(rf'<option value="{STREET}"[^>]*selected', html)
    assert "119" in html  # what the hotline does not take
    assert 'enctype="multipart/form-data"' in html


def test_staff_may_not_submit_and_visitors_are_sent_to_sign_in(hcast):
    for user in (hcast.agent, hcast.clerk):
        response = login_as(Client(), user).post(NEW, form())
        assert response.status_code == 403
        assert "仅限实名注册的市民" in response.content.decode()
    response = Client().get(NEW)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Ticket.objects.exists()


def test_a_citizen_submits_a_demand_and_lands_on_its_progress_page(hcast):
    client = citizen(hcast)
    location, ticket = submit(client)
    assert location == progress_url(ticket)
    person = hcast.citizen.person
    assert (ticket.caller, ticket.caller_name, ticket.caller_phone) == (
        person,
        person.name,
        "13900000000",
    )
    assert (ticket.channel, ticket.agent, ticket.status) == ("web", None, "accepted")
    assert ticket.region_code == STREET and ticket.address == "湖滨路18号3幢"
    html = client.get(location).content.decode()
    assert f"诉求已提交，工单编号 {ticket.number}" in html
    assert TEXT in html and "13900000000" in html  # his own number, unmasked
    assert re.search(
        r'<li class="steps__item"><span class="steps__title">受理</span>.*?已完成', html
    )
    assert re.search(r'aria-current="step"><span class="steps__title">派单</span>.*?进行中', html)
    assert "您在网上提交了诉求，已受理" in html


def test_a_double_submission_of_one_form_makes_one_ticket(hcast):
    client = citizen(hcast)
    data = form()
    first = client.post(NEW, data)
    second = client.post(NEW, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1


def test_every_problem_is_listed_at_once_and_nothing_is_stored(hcast):
    html, _ = submit(
        citizen(hcast),
        422,
        content="😀😀😀",
        phone="12345",
        latitude="abc",
        longitude="120.1",
        region="",
    )
    assert "请填写诉求内容（须包含文字或数字）。" in html
    assert "联系电话应为11位手机号码" in html
    assert "纬度应为−90至90之间的数字。" in html
    assert "请选择诉求发生的区域。" in html
    assert not Ticket.objects.exists()
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', html)
    assert token  # a fresh one: the corrected form is a new request


def test_over_long_content_is_refused(hcast):
    html, _ = submit(citizen(hcast), 422, content="楼" * 10_001)
    assert "诉求内容过长，最多10000个字。" in html
    assert not Ticket.objects.exists()


def test_markup_is_stripped_from_the_content_and_the_address(hcast):
    _, ticket = submit(
        citizen(hcast),
        content="<script>alert(1)</script>楼道<b>灯</b>坏了<img src=x onerror=alert(2)>",
        address="<i>湖滨路</i>18号",
    )
    assert ticket.content == "楼道 灯 坏了"
    assert ticket.address == "湖滨路 18号"


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        ("91", "120", "纬度应为−90至90之间的数字。"),
        ("30", "181", "经度应为−180至180之间的数字。"),
        ("30.2", "", "经纬度须同时填写或同时不填。"),
        ("NaN", "120", "纬度应为−90至90之间的数字。"),
    ],
)
def test_bad_coordinates_are_refused(hcast, latitude, longitude, message):
    html, _ = submit(citizen(hcast), 422, latitude=latitude, longitude=longitude)
    assert message in html
    assert not Ticket.objects.exists()


def test_good_coordinates_are_kept(hcast):
    _, ticket = submit(citizen(hcast), latitude="30.27415", longitude="120.15515")
    assert (str(ticket.latitude), str(ticket.longitude)) == ("30.274150", "120.155150")


def test_a_region_outside_the_list_is_refused(hcast):
    html, _ = submit(citizen(hcast), 422, region="110101001001")
    assert "提交未成功" in html
    assert not Ticket.objects.exists()


def test_a_photo_and_a_pdf_are_stored_under_their_digest_and_he_alone_downloads_them(hcast):
    client = citizen(hcast)
    _, ticket = submit(client, attachments=[png("../../楼道照片.png"), pdf_upload("说明.pdf")])
    items = list(ticket.attachments.order_by("pk"))
    assert [(a.name, a.content_type) for a in items] == [
        ("楼道照片.png", "image/png"),
        ("说明.pdf", "application/pdf"),
    ]
    assert items[0].file.name.startswith("hotline/") and items[0].sha256 in items[0].file.name
    assert "楼道" not in items[0].file.name and items[0].uploaded_by == hcast.citizen
    html = client.get(progress_url(ticket)).content.decode()
    assert "楼道照片.png" in html and "说明.pdf" in html
    download = f"/hotline/my/{ticket.number}/attachments/{items[0].pk}/"
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    stranger = make_citizen()
    for user in (stranger, hcast.agent, hcast.clerk):
        assert login_as(Client(), user).get(download).status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.png", b"\x00\x01\x02 not an image at all", "image/png"),
            "无法识别文件类型",
        ),
        (
            SimpleUploadedFile(
                "photo.jpg", b"<html><script>alert(document.cookie)</script></html>", "image/jpeg"
            ),
            "活动内容",
        ),
        (
            SimpleUploadedFile("photo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/png"),
            "与文件扩展名或声明的类型不符",
        ),
        (
            SimpleUploadedFile("table.csv", "名称,数量\n楼道灯,1\n".encode(), "text/csv"),
            "此处不接受CSV文件",
        ),
        (SimpleUploadedFile("empty.png", b"", "image/png"), "文件是空的"),
    ],
    ids=["wrong-magic", "html-disguised-as-image", "jpeg-named-png", "csv", "empty"],
)
def test_hostile_or_unsuitable_uploads_are_refused_with_a_clear_message(hcast, upload, message):
    html, _ = submit(citizen(hcast), 422, attachments=[upload])
    assert message in html
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(hcast):
    big = PNG[:-12] + b"\x00" * (ATTACHMENT_MAX_BYTES - len(PNG) + 1) + PNG[-12:]
    html, _ = submit(citizen(hcast), 422, attachments=[png_of(big)])
    assert "文件不能超过 10 MB。" in html
    assert not Ticket.objects.exists()


def png_of(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", content, content_type="image/png")


def test_more_than_three_files_are_refused(hcast):
    html, _ = submit(citizen(hcast), 422, attachments=[png(f"{n}.png") for n in range(4)])
    assert "最多上传3个文件。" in html
    assert not Ticket.objects.exists()


# --- his tickets ---------------------------------------------------------------------------------


def test_his_list_shows_his_tickets_and_nobody_elses(hcast):
    own = web_ticket(hcast)
    other = services.intake(hcast.agent, **intake_kwargs(content="别人的诉求：路灯不亮。"))
    html = citizen(hcast).get(MINE).content.decode()
    assert own.number in html and other.number not in html
    assert "已受理" in html and "提交诉求" in html
    empty = login_as(Client(), make_citizen()).get(MINE).content.decode()
    assert "您还没有提交过诉求" in empty and own.number not in empty


def test_another_citizen_and_staff_get_404_on_his_progress_page(hcast):
    ticket = web_ticket(hcast)
    services.dispatch(hcast.agent, ticket)
    for user in (make_citizen(), hcast.agent, hcast.clerk):
        response = login_as(Client(), user).get(progress_url(ticket))
        assert response.status_code == 404
        assert ticket.content not in response.content.decode()


def test_the_progress_page_shows_the_steps_the_department_and_the_answer_but_no_staff(hcast):
    ticket = web_ticket(hcast)
    services.dispatch(hcast.agent, ticket)
    services.sign(hcast.clerk, ticket)
    services.supervise(hcast.agent, ticket, "内部督办：请住建局加快")
    services.request_extension(hcast.clerk, ticket, 2, "内部理由：等待物业公司回复")
    services.decide_extension(hcast.agent, ticket, approve=True, note="同意")
    services.answer(hcast.clerk, ticket, "已督促物业公司更换楼道灯，今晚恢复照明。")
    html = citizen(hcast).get(progress_url(ticket)).content.decode()
    assert hcast.zj.name in html
    assert "已督促物业公司更换楼道灯，今晚恢复照明。" in html
    assert "已派单" in html and "承办单位已签收" in html and "承办单位已答复" in html
    assert "办理时限延长2个工作日" in html
    assert re.search(r'aria-current="step"><span class="steps__title">回访</span>', html)
    for internal in (
        hcast.agent.display_name,
        hcast.clerk.display_name,
        "内部督办",
        "内部理由",
        "suggestions",
    ):
        assert internal not in html, internal


def test_a_returned_ticket_reads_as_being_redispatched_without_the_reason(hcast):
    ticket = web_ticket(hcast)
    services.dispatch(hcast.agent, ticket)
    services.return_ticket(hcast.clerk, ticket, "内部退单理由：非本单位职责")
    html = citizen(hcast).get(progress_url(ticket)).content.decode()
    assert "重新派单中" in html and "12345热线正在重新派单" in html
    assert "内部退单理由" not in html


def test_a_demand_the_hotline_does_not_take_shows_where_to_turn(hcast):
    ticket = web_ticket(hcast, category_code=FIRE, content="楼下有人家里着火了，冒了很多烟！")
    assert ticket.status == "not_accepted"
    html = citizen(hcast).get(progress_url(ticket)).content.decode()
    referral = Category.objects.get(code=FIRE).referral
    assert referral and referral in html and "不予受理" in html
    assert "steps__item" not in html


def test_a_closed_ticket_has_every_step_done(hcast):
    ticket = web_ticket(hcast, category_code=PROPERTY)
    services.dispatch(hcast.agent, ticket)
    services.sign(hcast.clerk, ticket)
    services.answer(hcast.clerk, ticket, "已处理。")
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=5)
    services.close(hcast.agent, ticket)
    html = citizen(hcast).get(progress_url(ticket)).content.decode()
    assert html.count("已完成") == 7 and "进行中" not in html and "已办结" in html
