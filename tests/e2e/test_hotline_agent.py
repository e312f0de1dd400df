"""Journeys of the 12345 agent's desk (key flow 3): 林小雨 takes a call with the keyboard alone —
the caller's earlier tickets appear, the classifier's suggestions appear as she types, she
confirms one and 受理并派单 with Enter; she reviews a ticket the department returned and
re-dispatches it to the right bureau; she calls a caller back and closes the ticket. Without
JavaScript the desk still works: the suggestions come with the first submit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor, has_focus_ring
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.hotline import services
from yiwang.hotline.models import Ticket

AGENT = "hotline"  # 林小雨, 12345 centre
ZHANGWEI_PHONE = "13800000101"  # his web ticket about 湖滨路18号 is being handled
HUBIN_COMMUNITY = "339902001001"
DEMAND = "湖滨路18号小区物业又不打扫楼道了，垃圾堆在楼梯口好几天，物业电话也打不通。"
RETURNED = "望江东路一家装修公司工地每天早上六点就开始施工"  # the demo's 退单 (住建局)
ANSWERED = "在新桥街一家超市买的牛奶过期了"  # the demo's answered ticket (西岭市场监管分局)


def sign_in_by_keyboard(visitor: Visitor, authenticator: Authenticator, username: str) -> None:
    """Password then the authenticator's code, typed; Enter submits each form."""
    keyboard = visitor.page.keyboard
    visitor.visit("/accounts/login/")
    keyboard.type(username)  # the username field has the focus
    keyboard.press("Tab")
    keyboard.type(DEMO_PASSWORD)
    visitor.press_enter()
    keyboard.type(authenticator.code_for(username))  # the code field has the focus
    visitor.press_enter()


def focused_name(visitor: Visitor) -> str:
    """The name of the focused control. (Not ``Visitor.focused()``: it clones the element to
    compare styles, and a cloned checked radio unchecks the original.)"""
    return str(visitor.page.evaluate("() => document.activeElement.name || ''"))


def tab_to(visitor: Visitor, name: str, limit: int = 12) -> None:
    """Press Tab until the control ``name`` has the focus (and check its focus ring)."""
    for _ in range(limit):
        visitor.page.keyboard.press("Tab")
        if focused_name(visitor) == name:
            kind = visitor.page.evaluate("() => document.activeElement.type || ''")
            if kind not in ("radio", "checkbox"):
                focused = visitor.focused()
                assert has_focus_ring(focused), focused
            return
    raise AssertionError(f"{name} never took the focus; last: {focused_name(visitor)!r}")


def press_on(visitor: Visitor, name: str) -> None:
    """Put the focus on the button called ``name`` (no click) and press Enter."""
    visitor.main.get_by_role("button", name=name).focus()
    visitor.press_enter()


def open_from_queue(visitor: Visitor, tab: str, text: str) -> str:
    """Open the ticket whose row shows ``text`` in the queue's ``tab``; its number."""
    visitor.visit(f"/hotline/tickets/?tab={tab}")
    link = visitor.main.locator("tbody tr").filter(has_text=text).get_by_role("link").first
    number = link.inner_text().strip()
    link.focus()
    visitor.press_enter()
    assert visitor.heading() == number
    return number


def test_the_agent_takes_a_call_with_the_keyboard_alone_and_dispatches_it(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    services.suggestions_for("预热分类模型")  # the model trains once per process (≈ 4 s)
    keyboard = visitor.page.keyboard
    sign_in_by_keyboard(visitor, authenticator, AGENT)
    visitor.visit("/hotline/desk/")
    assert visitor.heading() == "受理来电"
    assert focused_name(visitor) == "caller_phone"  # ready for the next call

    keyboard.type(ZHANGWEI_PHONE)
    tab_to(visitor, "caller_name")
    history = visitor.main.locator("#caller-history")
    expect(history).to_contain_text("该号码有 1 件历史诉求")
    expect(history).to_contain_text("仍在办理")
    assert ZHANGWEI_PHONE not in history.inner_text()
    keyboard.type("张伟")
    tab_to(visitor, "type")
    tab_to(visitor, "urgency")
    tab_to(visitor, "content")
    keyboard.type(DEMAND)

    # The suggestions appear as she types; the first is chosen. Alt+2 and Alt+1 switch.
    first = visitor.main.locator("#suggestion-1")
    expect(first).to_be_checked()
    suggestions = visitor.main.locator("#suggestions")
    expect(suggestions).to_contain_text("物业服务质量")
    expect(suggestions).to_contain_text("置信度")
    assert first.get_attribute("value") == "010101"
    keyboard.press("Alt+2")
    expect(visitor.main.locator("#suggestion-2")).to_be_checked()
    keyboard.press("Alt+1")
    expect(first).to_be_checked()
    assert focused_name(visitor) == "content"  # the shortcut leaves the focus where it was

    tab_to(visitor, "category_code")  # the radio group is one stop; arrows move within it
    tab_to(visitor, "category_search")
    tab_to(visitor, "region_code")
    keyboard.type(HUBIN_COMMUNITY)  # the region's code selects it
    assert visitor.main.get_by_label("所在区域").input_value() == HUBIN_COMMUNITY
    expect(suggestions).to_contain_text("按规则派往：示范市住房和城乡建设局")
    tab_to(visitor, "address")
    keyboard.type("东湖区湖滨路18号")
    visitor.press_enter()  # Enter 受理并派单

    last = visitor.main.locator("section", has_text="刚提交的工单")
    assert "已派单" in last.inner_text()
    assert "示范市住房和城乡建设局" in last.inner_text()
    number = last.get_by_role("link").inner_text().strip()
    ticket = Ticket.objects.get(number=number)
    assert (ticket.status, ticket.category.code, ticket.region_code) == (
        "dispatched",
        "010101",
        HUBIN_COMMUNITY,
    )
    assert ticket.first_department == ticket.department
    assert focused_name(visitor) == "caller_phone"  # ready for the next call


def test_a_call_the_hotline_does_not_accept_is_referred_after_the_agent_reads_the_referral(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    services.suggestions_for("预热分类模型")
    keyboard = visitor.page.keyboard
    sign_in_by_keyboard(visitor, authenticator, AGENT)
    visitor.visit("/hotline/desk/")
    keyboard.type("13900000301")
    tab_to(visitor, "content")
    keyboard.type("锦绣路88号小区门口有人家里着火了，冒了很多烟，快来人！")
    expect(visitor.main.locator("#suggestion-1")).to_be_checked()
    suggestions = visitor.main.locator("#suggestions")
    expect(suggestions).to_contain_text("不予受理")
    expect(suggestions).to_contain_text("119")  # read to the caller before submitting
    tab_to(visitor, "category_code")
    tab_to(visitor, "referral_told")  # 已向来电人告知转介渠道
    keyboard.press("Space")
    tab_to(visitor, "region_code")
    keyboard.type("339903002002")
    with visitor.page.expect_navigation():
        keyboard.press("Control+Enter")  # 受理并派单 from anywhere in the form
    visitor.check_page()
    last = visitor.main.locator("section", has_text="刚提交的工单")
    assert "不予受理" in last.inner_text()
    ticket = Ticket.objects.get(caller_phone="13900000301")
    assert (ticket.status, ticket.category.code, ticket.department) == (
        "not_accepted",
        "990102",
        None,
    )


def test_the_agent_reviews_a_returned_ticket_and_redispatches_it(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    sign_in_by_keyboard(visitor, authenticator, AGENT)
    number = open_from_queue(visitor, "returned", RETURNED)
    assert "示范市住房和城乡建设局申请退单" in visitor.main.inner_text()
    assert "建议改派城管" in visitor.main.inner_text()

    review = visitor.main.locator("#review")
    expect(review.get_by_label("改派其他单位")).to_be_checked()
    review.get_by_label("改派至").select_option(label="示范市城市管理局东湖分局")
    press_on(visitor, "提交审核")

    assert "已改派至示范市城市管理局东湖分局。" in " ".join(visitor.messages())
    assert visitor.main.locator("#ticket-status").inner_text().strip() == "已派单"
    assert visitor.main.locator("#ticket-department").inner_text() == "示范市城市管理局东湖分局"
    timeline = visitor.main.locator(".timeline").inner_text()
    assert "退单" in timeline and "改派" in timeline
    ticket = Ticket.objects.get(number=number)
    assert ticket.first_department.name == "示范市住房和城乡建设局"  # 首接负责 stays


def test_the_agent_calls_the_caller_back_and_closes_the_ticket(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    keyboard = visitor.page.keyboard
    sign_in_by_keyboard(visitor, authenticator, AGENT)
    open_from_queue(visitor, "answered", ANSWERED)
    assert "经核实，已督促相关单位处理完毕" in visitor.main.inner_text()  # the answer

    # She needs the number to call: it is shown for a stated purpose.
    assert "138****0103" in visitor.main.locator("#caller-phone").inner_text()
    visitor.main.get_by_text("显示完整号码", exact=True).first.focus()
    keyboard.press("Enter")  # opens the disclosure
    visitor.main.get_by_label("查看事由").focus()
    keyboard.type("回访来电人")
    visitor.press_enter()
    assert "13800000103" in visitor.main.locator("#caller-phone").inner_text()

    callback = visitor.main.locator("#callback")
    callback.get_by_label("已解决").focus()
    keyboard.press("Space")
    callback.get_by_label("非常满意（5分）").focus()
    keyboard.press("Space")
    press_on(visitor, "记录回访结果")
    assert "回访结果已记录。" in " ".join(visitor.messages())
    assert visitor.main.locator("#callback-result").inner_text() == "已解决 · 非常满意（5分）"

    press_on(visitor, "办结")
    assert visitor.main.locator("#ticket-status").inner_text().strip() == "已办结"
    timeline = visitor.main.locator(".timeline").inner_text()
    assert "回访" in timeline and "办结" in timeline


def test_without_javascript_the_suggestions_come_with_the_first_submit(
    visitor_without_javascript: Visitor, authenticator: Authenticator
) -> None:
    visitor = visitor_without_javascript
    visitor.sign_in_with_code(AGENT, DEMO_PASSWORD, lambda: authenticator.code_for(AGENT))
    visitor.visit("/hotline/desk/")
    main = visitor.main
    main.get_by_label("来电号码").fill("13900000302")
    main.get_by_label("诉求内容").fill(DEMAND)
    main.get_by_label("所在区域").select_option(HUBIN_COMMUNITY)
    main.get_by_label("详细地址").focus()
    visitor.press_enter()

    assert "请确认诉求分类" in " ".join(visitor.alerts())
    assert not Ticket.objects.filter(caller_phone="13900000302").exists()
    chosen = main.locator("#suggestion-1")
    assert chosen.is_checked() and chosen.get_attribute("value") == "010101"
    assert focused_name(visitor) == "category_code"  # Enter now confirms it
    visitor.press_enter()

    last = main.locator("section", has_text="刚提交的工单")
    assert "已派单" in last.inner_text()
    assert re.search(r"12345\d{14}", last.inner_text())


def test_the_desk_and_the_queue_fit_a_phone(phone_visitor: Visitor, authenticator: Authenticator):
    phone_visitor.sign_in_with_code(AGENT, DEMO_PASSWORD, lambda: authenticator.code_for(AGENT))
    for path in ("/hotline/desk/", "/hotline/tickets/?tab=all"):
        phone_visitor.visit(path)
        overflow = phone_visitor.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
