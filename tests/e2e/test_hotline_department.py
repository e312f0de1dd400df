"""Journeys of key flow 3 (12345) in the handling department: the 接诉即办专员 of the 住建局 signs a
dispatched ticket, calls the caller back with the full number (a purpose recorded), answers it, and
returns a wrongly routed one with a reason; on a phone his worklist says which tickets are late in
words, not colour alone."""

from __future__ import annotations

import datetime as dt

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.accounts.models import Department, User
from yiwang.hotline import services
from yiwang.hotline.models import Ticket
from yiwang.hotline.tests.factories import intake_kwargs

HANDLER = "handler.zj"
HOUSING = "示范市住房和城乡建设局"


def dispatched(content: str, category: str, *, to: str | None = None) -> Ticket:
    """A phone demand from 东湖区 taken by the agent 林小雨 and dispatched (by the rules, or to the
    department named ``to``: a wrong routing)."""
    agent = User.objects.get(username="hotline")
    ticket = services.intake(
        agent,
        **intake_kwargs(
            content=content,
            category_code=category,
            region_code="339902001001",
            address="东湖区湖滨路20号",
            caller_name="何女士",
            caller_phone="13800000177",
        ),
    )
    department = Department.objects.get(name=to) if to else None
    return services.dispatch(agent, ticket, department)


def handler_opens_the_worklist(visitor: Visitor, authenticator: Authenticator) -> None:
    visitor.sign_in_with_code(HANDLER, DEMO_PASSWORD, lambda: authenticator.code_for(HANDLER))
    visitor.visit("/hotline/department/")
    assert visitor.heading() == "12345 承办工单"


def open_ticket(visitor: Visitor, number: str) -> None:
    row = visitor.main.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1, visitor.main.locator("tbody").inner_text()
    visitor.click_through(row.get_by_role("link", name=number))
    assert visitor.heading() == number


def test_the_housing_bureau_signs_and_answers_a_ticket_and_returns_a_wrongly_routed_one(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    ours = dispatched("湖滨路20号小区物业两周没有清运垃圾，楼道里味道很大。", "010101")
    assert ours.department is not None and ours.department.name == HOUSING
    wrong = dispatched("湖滨路20号楼下超市卖过期酸奶，店家拒绝退货。", "030101", to=HOUSING)

    handler_opens_the_worklist(visitor, authenticator)
    rows = visitor.main.locator("tbody").inner_text()
    assert ours.number in rows and wrong.number in rows and "待签收" in rows

    # 签收
    open_ticket(visitor, ours.number)
    assert "138****0177" in visitor.main.inner_text()
    visitor.click_through(visitor.main.get_by_role("button", name="签收", exact=True))
    assert any("已签收" in m for m in visitor.messages()), visitor.messages()
    assert "办理中" in visitor.main.locator(".page-header__lead").inner_text()

    # He calls the caller: the full number, for a purpose that is recorded.
    visitor.main.get_by_label("查看事由").fill("联系来电人约定上门查看时间")
    visitor.click_through(visitor.main.get_by_role("button", name="显示完整号码"))
    assert visitor.main.locator("#caller-phone").inner_text().strip() == "13800000177"

    # 答复
    visitor.main.get_by_label("答复内容").fill("已约谈物业公司，今日清运完毕，此后每日清运。")
    visitor.click_through(visitor.main.get_by_role("button", name="提交答复"))
    assert any("已答复" in m for m in visitor.messages()), visitor.messages()
    assert "已约谈物业公司" in visitor.main.inner_text()
    ours.refresh_from_db()
    assert ours.status == "answered"

    # 退单 of the wrongly routed one, with the reason, before its limit.
    visitor.visit("/hotline/department/")
    open_ticket(visitor, wrong.number)
    assert "退单时限" in visitor.main.inner_text()
    reason = "超市食品质量问题属市场监管部门职责，建议改派东湖市场监管分局。"
    visitor.main.get_by_label("退单理由").fill(reason)
    visitor.click_through(visitor.main.get_by_role("button", name="退单", exact=True))
    assert any("已退单" in m for m in visitor.messages()), visitor.messages()
    assert reason in visitor.main.inner_text()
    wrong.refresh_from_db()
    assert wrong.status == "returned"

    visitor.visit("/hotline/department/?status=returned")
    assert wrong.number in visitor.main.locator("tbody").inner_text()


def test_a_return_after_its_limit_is_refused_with_the_reason(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    late = dispatched("湖滨路20号电梯间墙面渗水。", "010101")
    shift = dt.timedelta(days=10)
    Ticket.objects.filter(pk=late.pk).update(
        dispatched_at=late.dispatched_at - shift,
        sign_due_at=late.sign_due_at - shift,
        due_at=late.due_at - shift,
    )
    handler_opens_the_worklist(visitor, authenticator)
    open_ticket(visitor, late.number)
    text = visitor.main.inner_text()
    assert "退单时限已于" in text and "工单已超期" in text
    assert visitor.main.get_by_label("退单理由").count() == 0


def test_on_a_phone_the_worklist_says_which_tickets_are_late(
    phone_visitor: Visitor, authenticator: Authenticator
) -> None:
    late = dispatched("湖滨路20号路面井盖松动，车辆经过响声很大。", "010101")
    shift = dt.timedelta(days=10)
    Ticket.objects.filter(pk=late.pk).update(
        dispatched_at=late.dispatched_at - shift,
        sign_due_at=late.sign_due_at - shift,
        due_at=late.due_at - shift,
    )
    handler_opens_the_worklist(phone_visitor, authenticator)
    row = phone_visitor.main.locator("tbody tr").filter(has_text=late.number)
    assert "超期" in row.inner_text() and "已超时" in row.inner_text()
    phone_visitor.visit("/hotline/department/?warning=red")
    assert late.number in phone_visitor.main.locator("tbody").inner_text()
