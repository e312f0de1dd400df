"""Journeys of key flow 1, 一件事一次办: 张伟 applies once for 新生儿出生一件事, four departments
review their member cases in parallel, and he gets one notice when everything is done."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from playwright.sync_api import Locator

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.accounts.models import User
from yiwang.cases.tests.factories import PNG
from yiwang.core.identifiers import make_resident_id

BUNDLE = "新生儿出生一件事"
# The member items and the reviewer of each department (yiwang.catalog.demo.BUNDLES["newborn"]).
REVIEWERS = {
    "出生医学证明签发": "reviewer.wjw",
    "出生登记": "reviewer.ga",
    "城乡居民基本医疗保险参保登记": "reviewer.yb",
    "社会保障卡申领": "reviewer.rs",
}
MOTHER_ID = make_resident_id("339902", dt.date(1990, 5, 17), 42)  # 李娜, even = female
# RULES.md: prefix (实施编码, or the bundle code for a bundle) + YYYYMMDD + NNNN.
NUMBER = re.compile(r"^[0-9A-Za-z-]+\d{8}\d{4}$")


def material_groups(visitor: Visitor) -> Locator:
    """One ``<fieldset class="panel">`` per material of the merged form."""
    return visitor.main.locator("fieldset.panel")


def open_the_apply_page_from_the_catalogue(visitor: Visitor) -> None:
    visitor.search_catalogue("新生儿")
    visitor.click_through(visitor.main.get_by_role("link", name=BUNDLE))
    assert visitor.heading() == BUNDLE
    visitor.click_through(visitor.main.get_by_role("link", name="一次申请"))
    assert visitor.path() == "/cases/bundles/newborn/apply/"
    assert visitor.heading() == BUNDLE


def fill_what_is_left_and_sign(visitor: Visitor) -> None:
    """The one field shared data cannot give, a file for each material only he can provide, the
    signature."""
    main = visitor.main
    main.get_by_label("母亲身份证号").fill(MOTHER_ID)
    for group in material_groups(visitor).all():
        if group.get_by_role("radio", name="上传").is_checked():
            group.get_by_label("上传文件").set_input_files(
                {"name": "材料.png", "mimeType": "image/png", "buffer": PNG}
            )
    main.get_by_label(re.compile("本人承诺所填信息和所交材料真实有效")).check()


def my_bundle_cases(visitor: Visitor) -> list[str]:
    """The numbers of his 新生儿出生一件事 cases on 我的办件."""
    visitor.visit("/cases/")
    rows = visitor.main.locator("tbody tr").filter(has_text=BUNDLE)
    return [row.locator("td").first.inner_text().strip() for row in rows.all()]


def submit_the_newborn_bundle(visitor: Visitor) -> str:
    open_the_apply_page_from_the_catalogue(visitor)
    fill_what_is_left_and_sign(visitor)
    visitor.click_through(visitor.main.get_by_role("button", name="提交申请"))
    number = visitor.heading()
    assert NUMBER.match(number), f"not a case number: {number!r} ({visitor.page.url})"
    assert visitor.path() == f"/cases/{number}/"
    return number


def test_zhangwei_finds_the_newborn_bundle_sees_it_prefilled_and_applies_once(
    visitor: Visitor,
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    open_the_apply_page_from_the_catalogue(visitor)
    main = visitor.main

    # Pre-filled from his real-name record and the shared 出生医学证明 / 户口簿.
    assert main.get_by_label("申请人姓名").input_value() == "张伟"
    assert main.get_by_label("新生儿姓名").input_value() == "张小宝"
    assert main.get_by_label("母亲姓名").input_value() == "李娜"
    assert main.get_by_label("户籍地址").input_value().startswith("示范市")
    assert main.get_by_label("新生儿性别").input_value() == "男"
    assert "已自动填充（来源：共享数据）" in main.inner_text()

    # 出生医学证明 and 户口簿 are 免提交: satisfied from shared data, nothing to upload.
    free = material_groups(visitor).filter(
        has=visitor.page.locator("legend", has_text=re.compile(r"^(出生医学证明|居民户口簿) \*$"))
    )
    assert free.count() == 2  # each asked once, though several members need it
    for group in free.all():
        assert group.get_by_role("radio", name="共享数据（免提交）").is_checked()
        assert "免提交：已从共享数据获取" in group.inner_text()
        assert "个事项共用，只需提供一次" in group.inner_text()

    fill_what_is_left_and_sign(visitor)
    visitor.click_through(main.get_by_role("button", name="提交申请"))
    number = visitor.heading()
    assert NUMBER.match(number), number
    assert f"申请已提交，办件编号 {number}。" in " ".join(visitor.messages())
    assert visitor.details()["事项"] == BUNDLE
    members = visitor.main.locator("section.card", has_text="成员事项").locator("li")
    assert sorted(
        name for name in REVIEWERS if members.filter(has_text=name).count() == 1
    ) == sorted(REVIEWERS)
    assert my_bundle_cases(visitor).count(number) == 1


def test_a_double_click_on_submit_makes_exactly_one_case(visitor: Visitor) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    before = my_bundle_cases(visitor)
    open_the_apply_page_from_the_catalogue(visitor)
    fill_what_is_left_and_sign(visitor)
    visitor.main.get_by_role("button", name="提交申请").dblclick()
    # The second click's request may abort the first one's navigation: wait for where the
    # browser ends up, not for one particular navigation.
    visitor.page.wait_for_url(re.compile(r"/cases/[^/]+/$"))
    visitor.check_page()
    number = visitor.heading()
    assert NUMBER.match(number), number
    after = my_bundle_cases(visitor)
    assert len(after) == len(before) + 1
    assert set(after) - set(before) == {number}


def review_member(
    open_visitor: Callable[..., Visitor],
    authenticator: Authenticator,
    username: str,
    item_name: str,
    number: str,
) -> None:
    """A department's reviewer signs in, finds the member case in his worklist, accepts it (no
    clock runs before 受理), sees its due date there and approves it."""
    staff = open_visitor()
    staff.sign_in_with_code(username, DEMO_PASSWORD, lambda: authenticator.code_for(username))
    staff.visit("/cases/worklist/")
    row = staff.main.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1, f"{username}: {item_name} {number} is not in his worklist"
    staff.click_through(row.get_by_role("link"))
    accept = staff.main.get_by_role("button", name="受理", exact=True)
    if accept.count():
        staff.click_through(accept)
        assert staff.case_status() == "审查中", staff.messages()
    staff.visit("/cases/worklist/")
    due = row.locator("td").nth(3).inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", due), f"{username}: due date {due!r}"
    staff.click_through(row.get_by_role("link"))
    assert staff.details()["承诺办结时间"].startswith(due)
    staff.click_through(staff.main.get_by_role("button", name="审查同意"))
    assert "操作已完成。" in " ".join(staff.messages()), staff.messages()
    # A member whose process ends with a 决定 stage waits for the department's approver.
    approver = username.replace("reviewer", "approver")
    if staff.case_status() == "审查中" and User.objects.filter(username=approver).exists():
        case_page = staff.path()
        staff.sign_out()
        staff.sign_in_with_code(approver, DEMO_PASSWORD, lambda: authenticator.code_for(approver))
        staff.visit(case_page)
        staff.click_through(staff.main.get_by_role("button", name="审查同意"))
    assert staff.case_status() in ("准予许可", "已办结"), (
        f"{item_name} is {staff.case_status()!r} after {username}'s 审查同意 "
        f"and there is no {approver} to decide it"
    )


def test_four_departments_approve_in_parallel_and_zhangwei_gets_one_completion_notice(
    visitor: Visitor,
    open_visitor: Callable[..., Visitor],
    authenticator: Authenticator,
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    visitor.visit("/cases/notifications/")
    notices_before = visitor.main.locator("li.card").count()
    number = submit_the_newborn_bundle(visitor)

    members = visitor.main.locator("section.card", has_text="成员事项").locator("li")
    numbers = {
        name: members.filter(has_text=name).get_by_role("link").inner_text().strip()
        for name in REVIEWERS
    }
    for item_name, username in REVIEWERS.items():
        review_member(open_visitor, authenticator, username, item_name, numbers[item_name])

    visitor.visit(f"/cases/{number}/")
    members = visitor.main.locator("section.card", has_text="成员事项").locator("li")
    assert members.count() == len(REVIEWERS)
    for text in members.all_inner_texts():
        assert text.endswith(("已办结", "准予许可")), text
    assert visitor.case_status() == "已办结"

    visitor.visit("/cases/notifications/")
    notices = visitor.main.locator("li.card")
    done = notices.filter(has_text=BUNDLE).filter(has_text=re.compile("办结|办理完成"))
    assert done.count() == 1, notices.all_inner_texts()
    assert notices.count() - notices_before <= 2  # the submission notice and the one result


def test_on_a_phone_the_merged_form_is_usable(phone_visitor: Visitor) -> None:
    visitor = phone_visitor
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    visitor.visit("/cases/bundles/newborn/apply/")
    width = visitor.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    submit = visitor.main.get_by_role("button", name="提交申请")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None and box["height"] >= 40, f"the button is too small to tap: {box}"
    fill_what_is_left_and_sign(visitor)
    visitor.click_through(submit)
    assert NUMBER.match(visitor.heading()), visitor.heading()
    assert visitor.case_status() in ("待受理", "审查中")
