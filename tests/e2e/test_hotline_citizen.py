"""Journeys of key flow 3 (12345) from the caller's side: 张伟 submits a demand from the web with a
photo, follows it while the hotline dispatches it and the 住建局 answers, and downloads his photo;
a form with mistakes says what is wrong, field by field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.e2e.pages import PHONE, Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.accounts.models import User
from yiwang.cases.tests.factories import PNG
from yiwang.hotline import services
from yiwang.hotline.models import Ticket

DEMAND = "湖滨路18号3幢楼道的声控灯坏了十多天，晚上上下楼一片漆黑，老人摔了一跤，请尽快修好。"
ANSWER = "经核实，已责成物业公司于今日更换3幢全部楼道灯，并每周巡查一次。"


def submit_a_demand(visitor: Visitor) -> str:
    """On 网上提交诉求: a complaint with a photo; returns the ticket number shown."""
    visitor.visit("/hotline/new/")
    assert visitor.heading() == "网上提交诉求"
    main = visitor.main
    assert main.get_by_label("联系电话").input_value() == "13800000101"  # from his account
    main.get_by_label("投诉", exact=True).check()
    main.get_by_label("诉求内容").fill(DEMAND)
    main.get_by_label("所在区域").select_option(label="湖滨街道 · 湖滨社区")
    main.get_by_label("详细地址").fill("东湖区湖滨路18号3幢")
    main.get_by_label("照片或材料（选填）").set_input_files(
        {"name": "楼道照片.png", "mimeType": "image/png", "buffer": PNG}
    )
    visitor.click_through(main.get_by_role("button", name="提交诉求"))
    assert any("诉求已提交" in m for m in visitor.messages()), visitor.messages()
    number = visitor.heading()
    assert re.fullmatch(r"12345\d{14}", number), number
    return number


def steps(visitor: Visitor) -> dict[str, str]:
    """The progress steps: name → 已完成 / 进行中 / 未开始."""
    items = visitor.main.locator("ol.steps > li")
    return {
        item.locator(".steps__title").inner_text().strip(): item.locator(".steps__text")
        .inner_text()
        .strip()
        for item in items.all()
    }


def test_zhangwei_submits_a_demand_with_a_photo_and_follows_it_to_the_answer(
    visitor: Visitor, open_visitor: Callable[..., Visitor]
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    number = submit_a_demand(visitor)
    assert steps(visitor)["受理"] == "已完成" and steps(visitor)["派单"] == "进行中"
    assert "您在网上提交了诉求，已受理" in visitor.main.inner_text()

    # His photo comes back as he sent it.
    with visitor.page.expect_download() as info:
        visitor.main.get_by_role("link", name="楼道照片.png").click()
    path = info.value.path()
    assert path is not None and Path(path).read_bytes() == PNG

    # The hotline confirms the category and dispatches; the 住建局 signs and answers.
    ticket = Ticket.objects.get(number=number)
    agent = User.objects.get(username="hotline")
    handler = User.objects.get(username="handler.zj")
    services.confirm_category(agent, ticket, "010101")
    services.dispatch(agent, ticket)
    services.sign(handler, ticket)
    services.answer(handler, ticket, ANSWER)

    # He finds it in 我的诉求 and reads the answer, the department and the public history.
    visitor.visit("/hotline/my/")
    row = visitor.main.locator("tbody tr").filter(has_text=number)
    assert "已答复" in row.inner_text()
    visitor.click_through(row.get_by_role("link", name=number))
    page_text = visitor.main.inner_text()
    assert ANSWER in page_text
    assert "示范市住房和城乡建设局" in visitor.main.locator("#ticket-departments").inner_text()
    assert steps(visitor)["答复"] == "已完成" and steps(visitor)["回访"] == "进行中"
    assert "承办单位已签收" in page_text and "承办单位已答复" in page_text
    for staff_name in (agent.display_name, handler.display_name):
        assert staff_name not in page_text

    # On his phone the same page reads well (and passes axe at 390 px).
    phone = open_visitor(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.sign_in("zhangwei", DEMO_PASSWORD)
    phone.visit(f"/hotline/my/{number}/")
    assert ANSWER in phone.main.inner_text()


def test_the_form_says_what_is_wrong_field_by_field(visitor: Visitor) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    visitor.visit("/hotline/new/")
    main = visitor.main
    main.get_by_label("诉求内容").fill("😡😡😡")
    main.get_by_label("联系电话").fill("12345")
    main.get_by_label("纬度（选填）").fill("95")
    main.get_by_label("照片或材料（选填）").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"<html><script>x</script>"}
    )
    # The form comes back with 422 on purpose: the browser's console note about it is no problem
    # (Visitor.visit does this for a status >= 400; click_through has no such option yet).
    visitor._documents_allowed_to_fail.add(visitor.url("/hotline/new/"))
    visitor.click_through(main.get_by_role("button", name="提交诉求"), status=422)
    summary = main.locator(".error-summary").inner_text()
    assert "请填写诉求内容（须包含文字或数字）。" in summary
    assert "联系电话应为11位手机号码" in summary
    assert "经纬度须同时填写或同时不填。" in summary
    assert "活动内容" in summary
    assert "请重新选择附件" in main.inner_text()
    assert main.get_by_label("诉求内容").input_value() == "😡😡😡"  # what he typed stays
    assert not Ticket.objects.filter(content__contains="😡").exists()


def test_a_visitor_is_asked_to_sign_in_before_submitting(visitor: Visitor) -> None:
    visitor.visit("/hotline/new/")
    assert visitor.path().startswith("/accounts/login/")


def test_without_javascript_the_demand_goes_through_all_the_same(
    visitor_without_javascript: Visitor,
) -> None:
    visitor_without_javascript.sign_in("zhangwei", DEMO_PASSWORD)
    number = submit_a_demand(visitor_without_javascript)
    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "web" and ticket.attachments.count() == 1
