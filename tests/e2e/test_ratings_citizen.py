"""Journey of 好差评 from the citizen's side: 张伟's 个体工商户登记 is finished; from "我的评价" he
rates it 非常不满意 with his reason and is told the department will call back; the 市场监管局's
rating handler calls back, opens a rectification and completes it; 张伟 reads the outcome and the
department's report (never the internal call-back note) and rates once more."""

from __future__ import annotations

from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.accounts.models import User
from yiwang.cases import services as case_services
from yiwang.cases.demo_cases import INDIVIDUAL_BUSINESS, _approve_open_tasks, _item, _uploads
from yiwang.cases.models import Case
from yiwang.ratings import services
from yiwang.ratings.models import BadReview, Rating

REASON = "同一份材料窗口和网上说法不一致，让我补交了两次，耽误了一周。"
CALLBACK_NOTE = "内部回访记录：申请人不满材料要求反复。"
PLAN = "内部整改计划：统一网上和窗口的材料清单。"
REPORT = "已统一网上和窗口的材料清单，并对审核人员进行了培训。"


def finished_case_of_zhangwei() -> Case:
    item = _item(INDIVIDUAL_BUSINESS)
    assert item is not None, "the demo catalogue has no 个体工商户登记"
    citizen = User.objects.get(username="zhangwei")
    reviewer = User.objects.get(username="reviewer")
    approver = User.objects.get(username="approver")
    form = {"business_address": "东湖区湖滨路18号沿街商铺", "business_scope": "文具零售"}
    case = case_services.submit_online(citizen, item, form, _uploads(item))
    case = case_services.accept(reviewer, case)
    case = _approve_open_tasks(case, [reviewer, approver])
    if case.status == "approved":
        case = case_services.deliver(approver, case)
    assert case.status == "completed", case.status
    return case


def rating_card(visitor: Visitor, number: str):
    return visitor.main.locator("#my-ratings > li").filter(has_text=number).first


def test_zhangwei_rates_badly_follows_the_rectification_and_rates_again(
    phone_visitor: Visitor,
) -> None:
    visitor = phone_visitor  # on his phone, 390 px wide
    case = finished_case_of_zhangwei()
    visitor.sign_in("zhangwei", DEMO_PASSWORD)

    # 我的评价 lists the finished case to rate.
    visitor.visit("/ratings/mine/")
    assert visitor.heading() == "我的评价"
    to_rate = visitor.main.locator("#to-rate-list > li").filter(has_text=case.number)
    visitor.click_through(to_rate.get_by_role("link", name=f"评价办件 {case.number}"))
    assert visitor.heading() == "评价办件"
    main = visitor.main

    # A bad rating without a reason is sent back with the reason asked for.
    main.get_by_label("非常不满意", exact=True).check()
    visitor._documents_allowed_to_fail.add(visitor.url(f"/ratings/cases/{case.number}/rate/"))
    visitor.click_through(main.get_by_role("button", name="提交评价"), status=422)
    assert "给出差评时请写明原因" in main.locator(".error-summary").inner_text()
    assert main.get_by_label("非常不满意", exact=True).is_checked()  # his choice stays

    main.get_by_label("评价内容").fill(REASON)
    main.get_by_label("办事效率").select_option("2")
    visitor.click_through(main.get_by_role("button", name="提交评价"))
    assert visitor.heading() == "感谢您的评价"
    assert "1个工作日内回访您" in main.inner_text()

    # Back on 我的评价: 待回访.
    visitor.visit("/ratings/mine/")
    card = rating_card(visitor, case.number)
    assert "非常不满意" in card.inner_text() and "待回访" in card.inner_text()
    assert card.get_by_role("link", name="重新评价").count() == 0

    # The 市场监管局 calls back, rectifies within a deadline and completes.
    rating = Rating.objects.get(case=case)
    handler = User.objects.get(username="rating.scjg")
    review = BadReview.objects.get(rating=rating)
    review = services.call_back(handler, review, CALLBACK_NOTE)
    review = services.start_rectification(handler, review, PLAN, working_days=5)
    visitor.visit("/ratings/mine/")
    card = rating_card(visitor, case.number)
    assert "整改中" in card.inner_text() and "整改期限" in card.inner_text()
    services.complete_rectification(handler, review, REPORT)

    visitor.visit("/ratings/mine/")
    card = rating_card(visitor, case.number)
    text = card.inner_text()
    assert "已办结" in text and "您反映的问题已完成整改。" in text and REPORT in text
    page = visitor.main.inner_text()
    for hidden in (CALLBACK_NOTE, PLAN, handler.display_name):
        assert hidden not in page

    # He rates once more: 满意.
    visitor.click_through(card.get_by_role("link", name="重新评价"))
    assert visitor.heading() == "重新评价"
    assert REPORT in visitor.main.inner_text()
    visitor.main.get_by_label("满意", exact=True).check()
    visitor.click_through(visitor.main.get_by_role("button", name="提交重新评价"))
    assert visitor.path() == "/ratings/mine/"
    assert any("感谢您重新评价" in m for m in visitor.messages()), visitor.messages()
    new = Rating.objects.get(supersedes=rating)
    assert (new.level, new.is_current) == (4, True)
    assert visitor.main.get_by_role("link", name="重新评价").count() == 0
