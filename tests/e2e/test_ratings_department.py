"""Journeys of the bad-review loop (差评整改, 好差评): the 住建局's 接诉即办专员 opens his worklist,
reads the rater's phone for the call-back (a purpose recorded), records the call-back, starts a
rectification and completes it; the 政务服务管理局's supervisor decides a department's appeal of
a malicious review. The rater's name is never on the department's pages."""

from __future__ import annotations

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.accounts.models import User
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import services as hotline_services
from yiwang.hotline.tests.factories import intake_kwargs
from yiwang.ratings import services
from yiwang.ratings.models import BadReview

HANDLER = "handler.zj"  # 沈立军, 住建局: hotline.handle + ratings.handle
SUPERVISOR = "rating.supervisor"  # 蔡文博, 政务服务管理局: ratings.supervise over the city
RATER = "zhangwei"  # 张伟


def bad_review(content: str, comment: str) -> BadReview:
    """张伟's 物业 demand, handled by the 住建局 and closed; he rates it 非常不满意."""
    agent = User.objects.get(username="hotline")
    handler = User.objects.get(username=HANDLER)
    rater = User.objects.get(username=RATER)
    ticket = hotline_services.intake(
        agent,
        **intake_kwargs(
            content=content,
            category_code="010101",
            region_code="339902001001",
            address="东湖区湖滨路18号",
            caller_name=rater.person.name,
            caller_phone="13800000101",
        ),
    )
    ticket = hotline_services.dispatch(agent, ticket)
    hotline_services.sign(handler, ticket)
    ticket = hotline_services.answer(handler, ticket, "已督促物业公司处理。")
    ticket.caller = rater.person
    ticket.save(update_fields=["caller"])
    ticket = hotline_services.callback(agent, ticket, resolved=False, satisfaction=2)
    ticket = hotline_services.close(agent, ticket)
    return services.rate_ticket(rater, ticket, level=1, comment=comment).bad_review


def open_review(visitor: Visitor, number: str) -> None:
    row = visitor.main.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1, visitor.main.locator("tbody").inner_text()
    visitor.click_through(row.get_by_role("link", name=number))
    assert visitor.heading() == number


def test_the_housing_bureau_calls_back_and_rectifies_and_the_office_decides_an_appeal(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    review = bad_review("湖滨路18号小区电梯停运一周无人维修。", "物业敷衍了事，电梯至今没修好。")
    malicious = bad_review("湖滨路18号楼道灯不亮。", "不给我插队办理，差评！")
    number = review.rating.ticket.number
    rater = User.objects.get(username=RATER).person

    # The handler's worklist: the review waits for the call-back, with its deadline in words.
    visitor.sign_in_with_code(HANDLER, DEMO_PASSWORD, lambda: authenticator.code_for(HANDLER))
    visitor.visit("/ratings/reviews/")
    assert visitor.heading() == "差评整改"
    row = visitor.main.locator("tbody tr").filter(has_text=number).inner_text()
    assert "非常不满意" in row and "待回访" in row and "回访时限" in row
    open_review(visitor, number)
    text = visitor.main.inner_text()
    assert "评价人（已隐藏）" in text and "物业敷衍了事" in text
    assert rater.name not in visitor.page.content()

    # He reads the phone to call the rater back: the purpose is recorded for the rater.
    visitor.main.get_by_label("查看事由").fill("差评回访，了解电梯维修情况")
    visitor.click_through(visitor.main.get_by_role("button", name="查看联系电话"))
    assert visitor.main.locator("#rater-phone").inner_text().strip() == rater.phone
    read = LedgerEntry.objects.filter(action="personal_data.read").latest("seq")
    assert read.payload["subject_person_id"] == rater.pk

    # 回访
    visitor.main.get_by_label("回访情况").fill("已电话联系张先生，电梯控制板损坏，待更换。")
    visitor.click_through(visitor.main.get_by_role("button", name="提交回访情况"))
    assert any("已记录回访情况" in m for m in visitor.messages()), visitor.messages()

    # 限期整改: 5 working days.
    visitor.main.get_by_label("整改措施").fill("督促物业公司更换电梯控制板，每日报告进度。")
    visitor.main.get_by_label("整改期限（工作日）").fill("5")
    visitor.click_through(visitor.main.get_by_role("button", name="开始限期整改"))
    assert any("已开始限期整改" in m for m in visitor.messages()), visitor.messages()
    assert "整改中" in visitor.main.locator("#review-status").inner_text()
    assert "整改时限" in visitor.main.locator("#review-clock").inner_text()

    # 整改完成
    visitor.main.get_by_label("整改情况").fill("电梯控制板已更换，电梯恢复运行。")
    visitor.click_through(visitor.main.get_by_role("button", name="整改完成并办结"))
    assert any("整改完成" in m for m in visitor.messages()), visitor.messages()
    assert "已办结" in visitor.main.locator("#review-status").inner_text()
    review.refresh_from_db()
    assert (review.status, review.outcome) == ("closed", "rectified")

    # The other review: called back and appealed as malicious (by the services, as before).
    handler = User.objects.get(username=HANDLER)
    services.call_back(handler, malicious, "评价人要求插队被拒。")
    services.appeal(handler, malicious, "评价人因未能插队办理给出差评，与服务质量无关。")

    # The supervisor decides the appeal from his 申诉审核 tab.
    visitor.sign_out()
    visitor.sign_in_with_code(SUPERVISOR, DEMO_PASSWORD, lambda: authenticator.code_for(SUPERVISOR))
    visitor.visit("/ratings/reviews/")
    visitor.click_through(visitor.main.get_by_role("link", name="申诉审核"))
    appeal_number = malicious.rating.ticket.number
    row = visitor.main.locator("tbody tr").filter(has_text=appeal_number).inner_text()
    assert "待您审核" in row and "示范市住房和城乡建设局" in row
    open_review(visitor, appeal_number)
    assert "未能插队" in visitor.main.inner_text()
    visitor.main.get_by_label("审核意见").fill("经核实，评价内容与服务质量无关，申诉成立。")
    visitor.click_through(visitor.main.get_by_role("button", name="申诉成立", exact=True))
    assert any("申诉成立" in m for m in visitor.messages()), visitor.messages()
    malicious.refresh_from_db()
    assert (malicious.status, malicious.outcome) == ("closed", "appeal_upheld")
    malicious.rating.refresh_from_db()
    assert malicious.rating.is_excluded


def test_on_a_phone_the_worklist_and_the_review_work(
    phone_visitor: Visitor, authenticator: Authenticator
) -> None:
    review = bad_review("湖滨路18号垃圾桶满溢。", "反映三次都没人管。")
    number = review.rating.ticket.number
    phone_visitor.sign_in_with_code(HANDLER, DEMO_PASSWORD, lambda: authenticator.code_for(HANDLER))
    phone_visitor.visit("/ratings/reviews/?tab=callback")
    open_review(phone_visitor, number)
    phone_visitor.main.get_by_label("回访情况").fill("已联系，今日清运。")
    phone_visitor.click_through(phone_visitor.main.get_by_role("button", name="提交回访情况"))
    assert "已回访" in phone_visitor.main.locator("#review-status").inner_text()
