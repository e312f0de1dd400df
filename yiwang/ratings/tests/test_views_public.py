"""The public 好差评 page (/ratings/public/): anyone reads the indicators of a period per
department with the ranking, the items' top and bottom and the charts' data; bad periods get a
clear message (never a 500); nothing personal is ever on it; the numbers are cached per period."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yiwang.accounts.tests.factories import login_as
from yiwang.cases.models import Channel as CaseChannel
from yiwang.ratings import indicators as ind
from yiwang.ratings import services
from yiwang.ratings.models import ServiceWindow, SubjectKind
from yiwang.ratings.tests.factories import RatingCast, closed_ticket, completed_case
from yiwang.ratings.tests.test_indicators import WHY, finished_case, seeded_rating

URL = "/ratings/public/"
DEPT_A = "市市场监督管理局"
DEPT_B = "市卫生健康委员会"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def page(client: Client, query: str = "", status: int = 200) -> str:
    response = client.get(URL + query)
    assert response.status_code == status, (query, response.status_code)
    return response.content.decode()


def main(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


def table_rows(html: str) -> dict[str, list[str]]:
    """The department table: department → the texts of its cells (rank first)."""
    body = html[html.index('id="departments-caption"') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        rows[cells[1]] = [cells[0], *cells[2:]]
    return rows


def chart(html: str, name: str) -> dict:
    found = re.search(
        rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, name
    return json.loads(found.group(1))


def seed_department_a(rcast: RatingCast, levels=(5, 5, 4, 3, 1), at: dt.datetime | None = None):
    person = rcast.cases.citizen.person
    for level in levels:
        seeded_rating(
            finished_case(rcast.cases.dept_a, person, item=rcast.cases.item), level, at=at
        )


# --- what anyone sees ------------------------------------------------------------------------------


def test_anyone_reads_this_months_indicators_per_department_with_the_ranking(rcast):
    # Given five ratings of 市场监管局 (four good) this month through the services and two of
    # 卫健委, and an unrated finished case
    for level in (5, 5, 4, 3):
        services.rate_case(rcast.cases.citizen, completed_case(rcast), level=level)
    completed_case(rcast)
    bad = services.rate_case(rcast.cases.citizen, completed_case(rcast), level=1, comment=WHY)
    services.call_back(rcast.handler_a, bad.bad_review, "已回访。")
    person = rcast.cases.citizen.person
    for level in (5, 2):
        seeded_rating(finished_case(rcast.cases.dept_b, person), level)

    # When an anonymous visitor opens the page
    html = page(Client())

    # Then the table ranks 市场监管局 and lists 卫健委 as too small a sample
    rows = table_rows(html)
    assert rows[DEPT_A][:4] == ["1", "5", "80.0% (4/5)", "80.0% (4/5)"]
    assert rows[DEPT_A][4] == "16.7% (1/6)"  # 未评价率: one of six finished cases
    assert rows[DEPT_A][5:] == ["0.0% (0/1)", "1", "100.0% (1/1)"]
    assert rows[DEPT_B][0] == "样本不足" and rows[DEPT_B][1] == "2"
    assert list(rows) == [DEPT_A, DEPT_B]
    first, last = ind.preset_period(ind.MONTH, timezone.localdate())
    assert f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}" in html
    assert 'aria-current="page">本月<' in html
    assert "合计" in html and "71.4%" in html  # 5 good of 7 ratings in all


def test_the_charts_carry_the_same_numbers_as_the_table(rcast):
    seed_department_a(rcast)
    seeded_rating(finished_case(rcast.cases.dept_b, rcast.cases.citizen.person), 5, active=False)

    html = page(Client())

    satisfaction = chart(html, "satisfaction")
    assert satisfaction["labels"] == [DEPT_A, DEPT_B]
    good, active, unrated = satisfaction["series"]
    assert good["name"] == "好评率" and good["data"] == [80.0, 100.0]
    assert active["data"] == [80.0, None]  # 卫健委 has only a default rating
    assert unrated["data"] == [0.0, 0.0]
    rectification = chart(html, "rectification")
    assert [s["name"] for s in rectification["series"]] == ["差评整改率", "回访及时率"]
    assert 'data-chart-source="chart-satisfaction-data" aria-hidden="true" hidden' in html
    assert "vendor/echarts/echarts.min.js" in html and "ratings/public_charts.js" in html


def test_items_best_and_worst_rated_are_listed(rcast):
    seed_department_a(rcast, levels=(5,) * 6)
    ticket_levels = (1, 1, 2, 5, 5)
    for level in ticket_levels:
        ticket = closed_ticket(rcast)
        services.rate_ticket(rcast.hotline.citizen, ticket, level=level, comment=WHY)

    html = page(Client())

    top = html[html.index('id="items-top"') : html.index('id="items-bottom"')]
    bottom = html[html.index('id="items-bottom"') :]
    assert rcast.cases.item.name in top and "100.0%" in top
    assert ticket.category.name in bottom and "40.0%" in bottom


def test_an_empty_period_says_so(db):
    html = page(Client(), "?period=last_month")
    assert "所选期间暂无评价和办结数据" in html and "暂无参与排名的事项" in html


# --- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", [ind.LAST_MONTH, ind.QUARTER, ind.YEAR])
def test_each_preset_period_counts_its_own_days(rcast, preset):
    first, last = ind.preset_period(preset, timezone.localdate())
    start, end = ind.day_bounds(first, last)
    seed_department_a(rcast, levels=(5, 4, 1, 5, 5), at=start)
    seed_department_a(rcast, levels=(1,), at=start - dt.timedelta(seconds=1))

    html = page(Client(), f"?period={preset}")

    assert table_rows(html)[DEPT_A][1] == "5"
    assert f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}" in html
    assert 'aria-current="page"' in html


def test_a_custom_period_includes_both_dates(rcast):
    day = timezone.localdate() - dt.timedelta(days=40)
    start, end = ind.day_bounds(day, day)
    seed_department_a(rcast, levels=(5, 1), at=start)
    seed_department_a(rcast, levels=(5,), at=end - dt.timedelta(seconds=1))
    seed_department_a(rcast, levels=(5,), at=end)

    html = page(Client(), f"?period=custom&start={day}&end={day}")

    assert table_rows(html)[DEPT_A][1] == "3"
    assert "自定义期间" in html
    # Dates alone (a shared link without the period) are a custom period too.
    assert table_rows(page(Client(), f"?start={day}&end={day}"))[DEPT_A][1] == "3"


def test_a_period_of_366_days_is_accepted(db):
    page(Client(), "?period=custom&start=2024-01-01&end=2024-12-31")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=custom&start=2025-03-10&end=2025-03-01", "截止日期不能早于起始日期。"),
        ("?period=custom&start=2024-01-01&end=2025-01-01", "统计期间最长366天。"),
        ("?period=custom&start=2025-13-01&end=2025-12-31", "起始日期："),
        ("?period=custom&start=abc&end=2025-01-01", "起始日期："),
        ("?period=custom&start=2025-01-01", "自定义期间请填写起始日期和截止日期。"),
        ("?end=2025-01-01", "自定义期间请填写起始日期和截止日期。"),
        ("?period=decade", "统计期间："),
        ("?period=custom&start=" + "9" * 300 + "&end=2025-01-01", "起始日期："),
        ("?start=2024-01-01&end=2099-12-31", "统计期间最长366天。"),
        ("?start=9999-12-31&end=9999-12-31", "日期须在2000-01-01至2099-12-31之间。"),
        ("?start=1999-12-31&end=2000-01-01", "日期须在2000-01-01至2099-12-31之间。"),
    ],
)
def test_bad_periods_get_a_clear_message_and_this_month(db, query, message):
    html = page(Client(), query, status=422)

    assert "统计条件有误，已按本月统计" in html and message in html
    first, last = ind.preset_period(ind.MONTH, timezone.localdate())
    assert f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}" in html


def test_only_get_is_allowed(db):
    assert Client().post(URL).status_code == 405


# --- no personal data ------------------------------------------------------------------------------


def test_no_rater_and_no_staff_member_is_named_on_the_page(rcast):
    cast = rcast.cases
    # A bad counter rating naming the window and the clerk, with the loop run by the handler
    counter_case = finished_case(cast.dept_a, cast.citizen.person, channel=CaseChannel.COUNTER)
    window = ServiceWindow.objects.create(code="A01", name="综合受理窗口", department=cast.counter)
    seeded_rating(counter_case, 4)
    seeded_rating(counter_case, 1, kind=SubjectKind.WINDOW, window=window, comment="私密评价内容甲")
    seeded_rating(
        counter_case, 1, kind=SubjectKind.STAFF, staff=cast.clerk, comment="私密评价内容乙"
    )
    rating = services.rate_case(cast.citizen, completed_case(rcast), level=1, comment=WHY)
    services.call_back(rcast.handler_a, rating.bad_review, "已与办事人电话沟通。")
    ticket = closed_ticket(rcast)
    services.rate_ticket(rcast.hotline.citizen, ticket, level=2, comment=WHY)

    # The whole page for an anonymous visitor; the content for a signed-in citizen (whose own
    # name is in the header).
    for html in (page(Client()), main(page(login_as(Client(), cast.other_citizen)))):
        assert DEPT_A in html  # the page does show the departments
        for person in (cast.citizen.person, rcast.hotline.citizen.person):
            assert person.name not in html
            assert person.phone not in html
        for staff in (cast.clerk, cast.reviewer_a, rcast.handler_a, rcast.hotline.clerk):
            assert staff.display_name not in html and staff.username not in html
        for text in (WHY, "私密评价内容", "已与办事人电话沟通", ticket.caller_name, ticket.number):
            assert text not in html
        assert counter_case.number not in html and window.name not in html


def test_the_content_is_the_same_for_everyone(rcast):
    seed_department_a(rcast)
    anonymous = main(page(Client()))
    citizen = main(page(login_as(Client(), rcast.cases.citizen)))
    staff = main(page(login_as(Client(), rcast.handler_a)))
    assert anonymous == citizen == staff


# --- cost and cache --------------------------------------------------------------------------------


def test_the_page_makes_the_same_queries_whatever_the_volume(rcast, settings):
    settings.YIWANG_RATING_PUBLIC_CACHE_SECONDS = 0
    seed_department_a(rcast)
    client = Client()
    page(client)
    with CaptureQueriesContext(connection) as few:
        page(client)
    seed_department_a(rcast, levels=(5, 4, 1) * 10)
    seeded_rating(finished_case(rcast.cases.dept_b, rcast.cases.citizen.person), 5)
    with CaptureQueriesContext(connection) as many:
        html = page(client)
    assert table_rows(html)[DEPT_A][1] == "35"
    assert len(few) == len(many), [q["sql"] for q in many.captured_queries]


def test_the_numbers_of_a_period_are_cached_once_committed(
    rcast, settings, django_capture_on_commit_callbacks
):
    settings.YIWANG_RATING_PUBLIC_CACHE_SECONDS = 300
    seed_department_a(rcast)
    # Read inside a transaction that commits: the numbers are kept.
    with django_capture_on_commit_callbacks(execute=True):
        assert table_rows(page(Client()))[DEPT_A][1] == "5"
    seed_department_a(rcast, levels=(5,))
    with CaptureQueriesContext(connection) as cached:
        assert table_rows(page(Client()))[DEPT_A][1] == "5"
    assert not any("ratings_rating" in q["sql"] for q in cached.captured_queries)
    # Another period is computed on its own; when the cache expires the new rating shows.
    assert "所选期间暂无评价和办结数据" in page(Client(), "?period=last_month")
    cache.clear()
    assert table_rows(page(Client()))[DEPT_A][1] == "6"


def test_numbers_read_in_a_transaction_that_never_commits_are_not_kept(rcast, settings):
    settings.YIWANG_RATING_PUBLIC_CACHE_SECONDS = 300
    seed_department_a(rcast)
    assert table_rows(page(Client()))[DEPT_A][1] == "5"
    seed_department_a(rcast, levels=(5,))
    assert table_rows(page(Client()))[DEPT_A][1] == "6"


def test_the_page_is_named_public(db):
    assert reverse("ratings:public") == URL
