"""Journeys of key flow 2, 一窗受理: the clerk at the window receives a walk-in applicant, checks the
paper materials, accepts with a deficiency list (容缺受理) or issues one 补正 notice; the clock
stops and restarts from the re-submission."""

from __future__ import annotations

import datetime as dt
import re

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD, ENTERPRISES, enterprise_uscc
from yiwang.cases.tests.factories import PNG
from yiwang.core.identifiers import make_resident_id

HUBIN_USCC = enterprise_uscc(next(e for e in ENTERPRISES if e.name == "示范市湖滨餐饮管理有限公司"))
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def walk_in(sequence: int) -> str:
    """A valid 身份证号 of a walk-in applicant nobody registered yet."""
    return make_resident_id("339902", dt.date(1985, 3, 8), 500 + sequence)


def clerk_at_the_window(visitor: Visitor, authenticator: Authenticator) -> None:
    visitor.sign_in_with_code("clerk", DEMO_PASSWORD, lambda: authenticator.code_for("clerk"))
    visitor.visit("/cases/counter/")
    assert visitor.heading() == "一窗受理"


def choose_item(visitor: Visitor, name: str, department: str = "市市场监管局") -> None:
    visitor.main.get_by_label("事项").select_option(label=f"{name}（{department}）")
    visitor.click_through(visitor.main.get_by_role("button", name="选择事项"))
    assert visitor.main.get_by_role("heading", name=name, exact=True).is_visible()


def register_applicant(visitor: Visitor, id_number: str, name: str, phone: str) -> None:
    main = visitor.main
    main.get_by_label("身份证号", exact=True).fill(id_number)
    main.get_by_label("姓名（新登记时填写）").fill(name)
    main.get_by_label("手机号").fill(phone)


def fill_fields(visitor: Visitor, values: dict[str, str]) -> None:
    for label, value in values.items():
        visitor.main.get_by_role("textbox", name=re.compile(f"^{label}")).fill(value)


def tick_paper(visitor: Visitor, *names: str) -> None:
    for name in names:
        visitor.main.get_by_role("checkbox", name=re.compile(f"^{name}")).check()


def test_the_clerk_accepts_a_walk_in_applicant_and_the_due_date_is_shown(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    clerk_at_the_window(visitor, authenticator)
    choose_item(visitor, "个体工商户登记")
    register_applicant(visitor, walk_in(4), "孙悦", "13900000204")
    fill_fields(
        visitor,
        {
            "申请人姓名": "孙悦",
            "申请人身份证号": walk_in(4),
            "联系电话": "13900000204",
            "经营场所": "示范市东湖区望江路 12 号",
            "经营范围": "服装零售",
        },
    )
    tick_paper(visitor, "申请人居民身份证", "个体工商户登记申请书", "经营场所使用证明")
    visitor.main.get_by_label("受理", exact=True).check()
    visitor.click_through(visitor.main.get_by_role("button", name="提交"))

    assert any("已受理，办件编号" in m for m in visitor.messages()), visitor.messages()
    assert visitor.case_status() == "审查中"
    details = visitor.details()
    assert DATE_TIME.match(details["承诺办结时间"]), details
    assert DATE_TIME.match(details["法定办结时间"]), details
    assert details["承诺办结时间"] <= details["法定办结时间"]
    materials = visitor.main.locator("section.card", has_text="材料").first.inner_text()
    assert "个体工商户登记申请书" in materials
    number = visitor.heading()

    visitor.visit("/cases/worklist/")
    row = visitor.main.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1
    assert details["承诺办结时间"].startswith(row.locator("td").nth(3).inner_text().strip())


def test_the_clerk_accepts_a_walk_in_applicant_with_a_deficiency_list(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    clerk_at_the_window(visitor, authenticator)
    choose_item(visitor, "食品经营许可")
    register_applicant(visitor, walk_in(1), "陈立", "13900000201")
    # 陈立 brings the company's signed 授权委托书; the clerk checks it.
    visitor.main.get_by_label(re.compile("企业统一社会信用代码")).fill(HUBIN_USCC)
    visitor.main.get_by_label("已核验法定代表人身份或企业授权委托书").check()
    fill_fields(
        visitor,
        {
            "企业名称": "示范市湖滨餐饮管理有限公司",
            "经营项目": "热食类食品制售",
            "申请人姓名": "陈立",
            "联系电话": "13900000201",
            "经营场所": "示范市东湖区湖滨路 8 号",
        },
    )
    tick_paper(
        visitor,
        "营业执照",
        "食品经营许可申请书",
        "经营场所平面图",
        "食品安全管理制度文本",
    )  # not the 健康证明 of the food-safety manager: 可容缺
    visitor.main.get_by_label("容缺受理").check()
    visitor.click_through(visitor.main.get_by_role("button", name="提交"))

    assert visitor.path().startswith("/cases/"), visitor.messages()
    assert any("已受理，办件编号" in m for m in visitor.messages()), visitor.messages()
    assert visitor.case_status() == "审查中"
    details = visitor.details()
    assert DATE_TIME.match(details["承诺办结时间"]), details
    assert DATE_TIME.match(details["法定办结时间"]), details
    assert details["承诺办结时间"] <= details["法定办结时间"]
    materials = visitor.main.locator("section.card", has_text="材料").first.inner_text()
    assert "食品安全管理人员健康证明" in materials


def test_the_clerk_sends_a_walk_in_case_to_correction_with_one_notice(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    clerk_at_the_window(visitor, authenticator)
    choose_item(visitor, "个体工商户登记")
    register_applicant(visitor, walk_in(2), "刘芳", "13900000202")
    fill_fields(
        visitor,
        {
            "申请人姓名": "刘芳",
            "申请人身份证号": walk_in(2),
            "联系电话": "13900000202",
            "经营场所": "示范市西岭区新桥路 21 号",
            "经营范围": "日用百货零售",
        },
    )
    tick_paper(visitor, "申请人居民身份证")
    visitor.main.get_by_label("一次性告知补正").check()
    visitor.main.get_by_label("补正说明").fill("请补齐登记申请书和经营场所证明")
    visitor.click_through(visitor.main.get_by_role("button", name="提交"))

    assert visitor.case_status() == "待补正"
    assert visitor.details()["承诺办结时间"] == "—"  # no clock before 受理
    notice = visitor.main.locator("section.card", has_text="补正告知（一次性告知）")
    listed = [t.strip() for t in notice.locator("li").all_inner_texts()]
    assert listed == ["个体工商户登记申请书", "经营场所使用证明"]
    assert "请补齐登记申请书和经营场所证明" in notice.inner_text()


def test_the_clerk_hands_in_the_missing_papers_at_the_counter(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    clerk_at_the_window(visitor, authenticator)
    choose_item(visitor, "个体工商户登记")
    register_applicant(visitor, walk_in(3), "赵强", "13900000203")
    fill_fields(
        visitor,
        {
            "申请人姓名": "赵强",
            "申请人身份证号": walk_in(3),
            "联系电话": "13900000203",
            "经营场所": "示范市东湖区文昌路 5 号",
            "经营范围": "餐饮服务",
        },
    )
    tick_paper(visitor, "申请人居民身份证")
    visitor.main.get_by_label("一次性告知补正").check()
    visitor.click_through(visitor.main.get_by_role("button", name="提交"))
    assert visitor.case_status() == "待补正"

    notice = visitor.main.locator("section.card", has_text="补正告知（一次性告知）")
    submit = notice.get_by_role("button", name="提交补正材料")
    assert submit.count() == 1, "no re-submission form for the clerk on the case page"
    # The application form is scanned; the original premises certificate is kept on paper.
    notice.locator("fieldset", has_text="个体工商户登记申请书").get_by_label(
        "上传文件"
    ).set_input_files({"name": "材料.png", "mimeType": "image/png", "buffer": PNG})
    notice.locator("fieldset", has_text="经营场所使用证明").get_by_label("已收取纸质原件").check()
    visitor.click_through(submit)
    assert visitor.case_status() == "待受理"


def test_the_clock_stops_for_correction_and_restarts_from_the_resubmission(
    visitor: Visitor, open_visitor: type, authenticator: Authenticator
) -> None:
    """张伟 applies online; the department accepts, then asks for 补正 (the clock stops); he
    hands in the missing paper and the due date is recomputed from that day, later than before."""
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    visitor.visit("/services/")
    visitor.search_catalogue("个体工商户登记")
    visitor.click_through(visitor.main.get_by_role("link", name="个体工商户登记", exact=True))
    visitor.click_through(visitor.main.get_by_role("link", name="在线办理"))
    main = visitor.main
    main.get_by_role("textbox", name=re.compile(r"^经营场所\*?$")).fill("示范市东湖区湖滨路 18 号")
    main.get_by_label("经营范围").fill("日用百货零售")
    for group in main.locator("fieldset.panel").all():
        radio = group.get_by_role("radio", name="上传")
        if radio.is_checked():
            group.get_by_label("上传文件").set_input_files(
                {"name": "材料.png", "mimeType": "image/png", "buffer": PNG}
            )
    main.get_by_label(re.compile("本人承诺所填信息")).check()
    visitor.click_through(main.get_by_role("button", name="提交申请"))
    case_page = visitor.path()
    assert visitor.case_status() == "待受理"

    reviewer = open_visitor()
    reviewer.sign_in_with_code(
        "reviewer", DEMO_PASSWORD, lambda: authenticator.code_for("reviewer")
    )
    reviewer.visit(case_page)
    reviewer.click_through(reviewer.main.get_by_role("button", name="受理", exact=True))
    assert reviewer.case_status() == "审查中"
    first_due = reviewer.details()["承诺办结时间"]
    assert DATE_TIME.match(first_due), first_due
    correction = reviewer.main.locator(
        "form", has=reviewer.page.get_by_role("button", name="一次性告知补正")
    )
    correction.get_by_label("经营场所使用证明").check()
    correction.get_by_label("说明").fill("租赁合同已过期，请提供有效的经营场所证明")
    reviewer.click_through(correction.get_by_role("button", name="一次性告知补正"))
    assert reviewer.case_status() == "待补正"

    visitor.visit(case_page)
    notice = visitor.main.locator("section.card", has_text="补正告知（一次性告知）")
    assert "经营场所使用证明" in notice.inner_text()
    notice.locator("fieldset", has_text="经营场所使用证明").get_by_label(
        "上传文件"
    ).set_input_files({"name": "租赁合同.png", "mimeType": "image/png", "buffer": PNG})
    visitor.click_through(notice.get_by_role("button", name="提交补正材料"))
    assert "补正材料已提交。" in " ".join(visitor.messages())
    assert visitor.case_status() == "审查中"
    assert visitor.details()["承诺办结时间"] >= first_due
    timeline = visitor.main.locator("section.card", has_text="办理过程").inner_text()
    assert "一次性告知补正" in timeline and "补正后恢复审查" in timeline
