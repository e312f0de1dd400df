"""Journeys of the 12345 insight pages: the city's leader reads the 三率 per department and per
district (table and chart, on a desktop and a phone; the table alone without JavaScript), and the
东湖城管分局's 接诉即办专员 takes on the hot spot the demo's streetlight calls raised in 文昌街道
(未诉先办) and reports what was done."""

from __future__ import annotations

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD
from yiwang.hotline.models import HotSpot

LEADER = "leader"  # 王明远, 市政府办 (insight.view over the city)
AGENT = "hotline"  # 林小雨, 12345 热线
HANDLER = "handler.cg"  # 杨帆, 东湖城管分局
CITY_BUREAU = "示范市城市管理局东湖分局"


def signs_in(visitor: Visitor, authenticator: Authenticator, username: str) -> None:
    visitor.sign_in_with_code(username, DEMO_PASSWORD, lambda: authenticator.code_for(username))


def table_rows(visitor: Visitor) -> dict[str, str]:
    """The rates table: the group's name → the rest of the row's text."""
    rows = visitor.main.locator("table tbody tr")
    return {
        row.locator("th").inner_text().strip(): row.locator("td").all_inner_texts()[0].strip()
        for row in rows.all()
    }


def test_the_leader_reads_the_three_rates_by_department_and_by_district(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    signs_in(visitor, authenticator, LEADER)
    visitor.visit("/hotline/rates/")
    assert visitor.heading() == "12345 三率统计"
    rows = table_rows(visitor)
    assert CITY_BUREAU in rows and "示范市住房和城乡建设局" in rows, rows
    header = visitor.main.locator("table thead").inner_text()
    assert "响应率" in header and "解决率" in header and "满意率" in header
    assert "%" in visitor.main.locator("table tfoot").inner_text()

    # The chart is drawn from the same numbers (hidden from screen readers: the table says it).
    chart = visitor.main.locator("#rates-chart")
    chart.locator("svg").first.wait_for()
    assert chart.is_visible() and chart.get_attribute("aria-hidden") == "true"

    visitor.main.get_by_label("统计维度").select_option(label="按区县")
    visitor.click_through(visitor.main.get_by_role("button", name="统计"))
    assert set(table_rows(visitor)) == {"东湖区", "西岭区"}


def test_on_a_phone_the_agent_reads_the_rates_table(
    phone_visitor: Visitor, authenticator: Authenticator
) -> None:
    signs_in(phone_visitor, authenticator, AGENT)
    phone_visitor.visit("/hotline/rates/?by=district")
    assert set(table_rows(phone_visitor)) == {"东湖区", "西岭区"}
    phone_visitor.main.locator("#rates-chart svg").first.wait_for()


def test_without_javascript_the_table_is_there_and_the_chart_is_not(
    visitor_without_javascript: Visitor, authenticator: Authenticator
) -> None:
    visitor = visitor_without_javascript
    signs_in(visitor, authenticator, LEADER)
    visitor.visit("/hotline/rates/")
    assert CITY_BUREAU in table_rows(visitor)
    assert not visitor.main.locator("#rates-chart").is_visible()


def test_the_city_bureau_takes_on_the_streetlight_hot_spot_and_reports_what_it_did(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    hot_spot = HotSpot.objects.get(category__code="100301", region_code="339902002000")
    assert hot_spot.status == "open"

    signs_in(visitor, authenticator, HANDLER)
    visitor.visit("/hotline/hotspots/")
    row = visitor.main.locator("tbody tr").filter(has_text="路灯照明")
    assert "待处置" in row.inner_text() and CITY_BUREAU in row.inner_text()
    visitor.click_through(row.get_by_role("link", name="文昌街道 · 路灯照明"))
    assert visitor.heading() == "文昌街道 · 路灯照明"
    assert "书香路" in visitor.main.locator("section", has_text="相关诉求").inner_text()

    visitor.click_through(visitor.main.get_by_role("button", name="接收并处置"))
    assert any("已接收热点诉求" in m for m in visitor.messages()), visitor.messages()
    assert "处置中" in visitor.main.locator(".page-header__lead").inner_text()

    visitor.main.get_by_label("处置结果").fill(
        "已排查文昌街道书香路一带路灯线路，更换损坏灯具9盏，恢复夜间照明，并纳入每周巡查。"
    )
    visitor.click_through(visitor.main.get_by_role("button", name="处置完毕"))
    assert any("已处置完毕" in m for m in visitor.messages()), visitor.messages()
    assert "更换损坏灯具9盏" in visitor.main.inner_text()
    hot_spot.refresh_from_db()
    assert hot_spot.status == "done"
