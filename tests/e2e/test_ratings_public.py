"""Journey of the public 好差评 page: a visitor, not signed in, opens the page (this month by
default), picks the last 60 days — the weeks of 12345 history the demo rated — and reads the
indicators per department: the table (the source of truth) and the charts drawn from it, on a
desktop and on a phone. A period that ends before it starts gets a clear message. Without
JavaScript the whole table is still there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.e2e.pages import Visitor
from yiwang.ratings.indicators import day_bounds
from yiwang.ratings.models import Rating, SubjectKind

DAYS = 60


def last_days() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return today - dt.timedelta(days=DAYS - 1), today


def rated_departments(first: dt.date, last: dt.date) -> set[str]:
    """The departments whose transactions were rated in those days (read from the database)."""
    start, end = day_bounds(first, last)
    return set(
        Rating.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            is_current=True,
            is_excluded=False,
            subject_kind__in=(SubjectKind.CASE, SubjectKind.TICKET),
        ).values_list("department__name", flat=True)
    )


def department_rows(visitor: Visitor) -> dict[str, str]:
    """The department table: name → the text of the row's other cells."""
    rows = visitor.main.locator("table.ratings-table tbody tr")
    return {
        row.locator("th").inner_text().strip(): " | ".join(row.locator("td").all_inner_texts())
        for row in rows.all()
    }


@pytest.mark.parametrize("device", ["visitor", "phone_visitor"], ids=["desktop", "phone"])
def test_a_visitor_reads_the_departments_ratings_as_a_table_and_charts(
    device: str, request: pytest.FixtureRequest
) -> None:
    browser: Visitor = request.getfixturevalue(device)
    first, last = last_days()
    rated = rated_departments(first, last)
    assert rated, "the demo rates its weeks of 12345 history"

    browser.visit("/ratings/public/")
    assert browser.heading() == "政务服务好差评公示"
    current = browser.main.locator(".period-nav [aria-current=page]")
    assert current.inner_text().strip() == "本月"

    browser.main.get_by_label("起始日期").fill(first.isoformat())
    browser.main.get_by_label("截止日期").fill(last.isoformat())
    browser.click_through(browser.main.get_by_role("button", name="按自定义期间查询"))
    assert "自定义期间" in browser.main.locator("#summary-title").inner_text()

    # The table: every rated department, with its 好评率 and rank or 样本不足.
    table = browser.main.locator("table.ratings-table")
    assert table.is_visible()
    rows = department_rows(browser)
    assert rated <= set(rows), (rated, rows)
    assert all("%" in cells for cells in rows.values()), rows
    assert "%" in table.locator("tfoot").inner_text()

    # The charts are drawn from the same numbers and hidden from screen readers.
    for chart_id in ("#chart-satisfaction", "#chart-rectification"):
        chart = browser.main.locator(chart_id)
        chart.locator("svg").first.wait_for()
        assert chart.is_visible() and chart.get_attribute("aria-hidden") == "true"
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, box

    # A period that ends before it starts (a link edited by hand) gets a clear message.
    browser.visit(f"/ratings/public/?period=custom&start={last}&end={first}", status=422)
    assert any("截止日期不能早于起始日期" in a for a in browser.alerts()), browser.alerts()


def test_without_javascript_the_table_is_there_and_the_charts_are_not(
    visitor_without_javascript: Visitor,
) -> None:
    visitor = visitor_without_javascript
    first, last = last_days()
    visitor.visit(f"/ratings/public/?period=custom&start={first}&end={last}")
    assert rated_departments(first, last) <= set(department_rows(visitor))
    assert not visitor.main.locator("#chart-satisfaction").is_visible()
