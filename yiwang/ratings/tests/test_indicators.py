"""好差评 indicators: each formula on seeded ratings, cases, tickets and bad reviews; the periods;
the ranking; a fixed number of queries whatever the volume."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.accounts.models import Department, Person
from yiwang.cases.models import Case, CaseStatus
from yiwang.cases.models import Channel as CaseChannel
from yiwang.catalog.models import ServiceItem
from yiwang.hotline.models import Ticket
from yiwang.ratings import indicators as ind
from yiwang.ratings import services
from yiwang.ratings.indicators import Indicators
from yiwang.ratings.models import (
    BadReview,
    BadReviewStatus,
    Rating,
    RatingChannel,
    ServiceWindow,
    Setting,
    SubjectKind,
)
from yiwang.ratings.tests.factories import RatingCast, closed_ticket, completed_case

_numbers = itertools.count(1)

NOW = timezone.now()
START, END = NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=10)
WHY = "窗口人员态度生硬，材料被退回两次。"


# --- seeding helpers -------------------------------------------------------------------------------


def finished_case(
    department: Department,
    applicant: Person,
    *,
    item: ServiceItem | None = None,
    status: str = CaseStatus.COMPLETED,
    completed_at: dt.datetime | None = None,
    channel: str = CaseChannel.ONLINE,
) -> Case:
    """A finished case written straight to the table (seeding only: the services make the real
    ones in the tests that need the whole story)."""
    at = completed_at or NOW
    return Case.objects.create(
        number=f"TEST{next(_numbers):08d}",
        item=item,
        applicant=applicant,
        channel=channel,
        department=department,
        status=status,
        submitted_at=at - dt.timedelta(days=3),
        completed_at=at,
    )


def seeded_rating(
    case: Case,
    level: int,
    *,
    kind: str = SubjectKind.CASE,
    active: bool = True,
    at: dt.datetime | None = None,
    **extra,
) -> Rating:
    """A rating written straight to the table, e.g. the default rating (``is_active_rating``
    False) a transaction gets when its rater did not rate in time."""
    return Rating.objects.create(
        subject_kind=kind,
        case=case,
        department=extra.pop("department", case.department),
        item_code=case.item.implementation_code if case.item_id else "",
        rater=case.applicant,
        channel=RatingChannel.WEB,
        setting=Setting.ONLINE,
        level=level,
        is_bad=level <= services.bad_max_level(),
        is_active_rating=active,
        created_at=at or NOW,
        **extra,
    )


def rate(rcast: RatingCast, level: int, *, at: dt.datetime | None = None) -> Rating:
    """The applicant finishes a case and rates it through the service."""
    case = completed_case(rcast)
    comment = WHY if level <= 2 else ""
    return services.rate_case(rcast.cases.citizen, case, level=level, comment=comment, at=at)


def by_key(rows: list[Indicators]) -> dict:
    return {r.key: r for r in rows}


def department_row(rcast: RatingCast, department: Department | None = None, **kw) -> Indicators:
    rows = by_key(ind.indicators(START, END, **kw))
    return rows[(department or rcast.cases.dept_a).pk]


# --- 好评率 and 主动评价好评率 -------------------------------------------------------------------------


def test_good_rate_counts_levels_above_the_bad_threshold_and_active_rate_leaves_defaults_out(
    rcast,
):
    # Given three ratings given by the applicant (5, 3 and 1) and one default rating of 5
    rate(rcast, 5)
    rate(rcast, 3)
    rate(rcast, 1)
    seeded_rating(finished_case(rcast.cases.dept_a, rcast.cases.citizen.person), 5, active=False)

    # When the department's indicators are read
    row = department_row(rcast)

    # Then 基本满意 (3) is good, and the default rating counts only in 好评率
    assert (row.ratings, row.good, row.bad) == (4, 3, 1)
    assert (row.active, row.active_good) == (3, 2)
    assert row.good_rate == pytest.approx(3 / 4)
    assert row.active_good_rate == pytest.approx(2 / 3)
    assert row.name == "市市场监督管理局"


def test_the_bad_threshold_follows_the_deployment_setting(rcast, settings):
    person = rcast.cases.citizen.person
    for level in (3, 4):
        seeded_rating(finished_case(rcast.cases.dept_a, person), level)
    settings.YIWANG_RATING_BAD_MAX_LEVEL = 3

    row = department_row(rcast)

    assert (row.ratings, row.good, row.bad) == (2, 1, 1)


def test_a_re_rating_replaces_the_old_rating(rcast):
    # Given a bad rating, called back, fixed at once and told to the rater
    first = rate(rcast, 1)
    review = services.call_back(rcast.handler_a, first.bad_review, "已电话联系办事人。")
    services.fix_now(rcast.handler_a, review, "已当场补办。")
    # When he rates again
    services.rerate(rcast.cases.citizen, first, level=5)

    row = department_row(rcast)

    # Then only the new rating counts, and the bad review stays rectified
    assert (row.ratings, row.good, row.bad) == (1, 1, 0)
    assert (row.reviews_opened, row.reviews_closed) == (1, 1)
    assert row.rectification_rate == 1.0


def test_a_rating_found_malicious_on_appeal_is_not_counted(rcast):
    rate(rcast, 5)
    bad = rate(rcast, 1)
    review = services.call_back(rcast.handler_a, bad.bad_review, "已联系，对方拒绝沟通。")
    review = services.appeal(rcast.handler_a, review, "评价内容与办件无关，系恶意差评。")
    services.decide_appeal(rcast.supervisor, review, upheld=True, note="经核实属恶意差评。")

    row = department_row(rcast)

    assert (row.ratings, row.good, row.bad) == (1, 1, 0)
    assert row.good_rate == 1.0
    # Not a bad review for 差评整改率; its call-back was made, so it counts for 回访及时率.
    assert (row.reviews_opened, row.reviews_closed) == (0, 0)
    assert row.rectification_rate is None
    assert row.callbacks_counted == 1


def test_ratings_outside_the_period_and_window_and_staff_ratings_are_not_the_departments(rcast):
    cast = rcast.cases
    person = cast.citizen.person
    seeded_rating(finished_case(cast.dept_a, person), 5, at=START - dt.timedelta(seconds=1))
    seeded_rating(finished_case(cast.dept_a, person), 5, at=END)  # end is excluded
    counter_case = finished_case(cast.dept_a, person, channel=CaseChannel.COUNTER)
    window = ServiceWindow.objects.create(code="A01", name="综合窗口", department=cast.counter)
    seeded_rating(counter_case, 4)
    seeded_rating(counter_case, 1, kind=SubjectKind.WINDOW, window=window, department=cast.counter)
    seeded_rating(
        counter_case, 5, kind=SubjectKind.STAFF, staff=cast.clerk, department=cast.counter
    )

    departments = by_key(ind.indicators(START, END))
    windows = ind.indicators(START, END, by=ind.BY_WINDOW)
    staff = ind.indicators(START, END, by=ind.BY_STAFF)

    assert departments[cast.dept_a.pk].ratings == 1
    assert cast.counter.pk not in departments
    assert [(w.key, w.name, w.ratings, w.bad) for w in windows] == [
        (window.pk, "A01 综合窗口", 1, 1)
    ]
    assert [(s.key, s.name, s.ratings, s.good) for s in staff] == [
        (cast.clerk.pk, cast.clerk.display_name, 1, 1)
    ]
    # A case does not record its window or clerk: no 未评价率 for them.
    assert windows[0].unrated_rate is None and staff[0].unrated_rate is None


# --- 未评价率 -------------------------------------------------------------------------------------


def test_unrated_rate_counts_finished_cases_and_closed_tickets_without_any_rating(rcast):
    cast = rcast.cases
    person = cast.citizen.person
    # Three cases finished through the services, one of them rated.
    rated = rate(rcast, 4)
    completed_case(rcast)
    completed_case(rcast)
    # Denied and not accepted are finished too; one rated only by default.
    denied = finished_case(cast.dept_a, person, status=CaseStatus.DENIED)
    seeded_rating(denied, 5, active=False)
    finished_case(cast.dept_a, person, status=CaseStatus.NOT_ACCEPTED)
    # Not counted: still in review, withdrawn, finished before the period.
    finished_case(cast.dept_a, person, status=CaseStatus.IN_REVIEW)
    finished_case(cast.dept_a, person, status=CaseStatus.WITHDRAWN)
    finished_case(cast.dept_a, person, completed_at=START - dt.timedelta(days=1))
    # A closed 12345 ticket of 住建局, never rated.
    ticket = closed_ticket(rcast)

    departments = by_key(ind.indicators(START, END))

    a = departments[cast.dept_a.pk]
    assert rated.case.department_id == cast.dept_a.pk
    assert (a.finished, a.unrated) == (5, 3)
    assert a.unrated_rate == pytest.approx(3 / 5)
    zj = departments[ticket.department_id]
    assert (zj.finished, zj.unrated, zj.ratings) == (1, 1, 0)
    assert zj.unrated_rate == 1.0


def test_a_rated_ticket_is_not_unrated_and_counts_for_its_department(rcast):
    ticket = closed_ticket(rcast)
    services.rate_ticket(rcast.hotline.citizen, ticket, level=5)

    row = by_key(ind.indicators(START, END))[ticket.department_id]

    assert (row.finished, row.unrated, row.ratings, row.good) == (1, 0, 1, 1)
    assert row.unrated_rate == 0.0


# --- 差评整改率 and 回访及时率 ---------------------------------------------------------------------


def test_rectification_rate_is_closed_over_opened_bad_reviews(rcast):
    handler = rcast.handler_a
    fixed = rate(rcast, 1).bad_review
    fixed = services.call_back(handler, fixed, "已回访。")
    services.fix_now(handler, fixed, "已立即整改。")
    rectifying = services.call_back(handler, rate(rcast, 2).bad_review, "已回访。")
    services.start_rectification(handler, rectifying, "优化材料清单。")
    rate(rcast, 1)  # awaiting call-back
    # A review opened before the period and closed in it is not this period's.
    old = rate(rcast, 1, at=START - dt.timedelta(days=2)).bad_review
    old = services.call_back(handler, old, "已回访。")
    services.explain(handler, old, "依法须本人到场核验。")

    row = department_row(rcast)

    assert (row.reviews_opened, row.reviews_closed, row.reviews_open) == (3, 1, 2)
    assert row.rectification_rate == pytest.approx(1 / 3)
    assert BadReview.objects.filter(status=BadReviewStatus.CLOSED).count() == 2


def test_callback_rate_counts_call_backs_due_or_done_in_the_period(rcast):
    now = NOW
    day = dt.timedelta(days=1)

    def review(due: dt.datetime, called: dt.datetime | None) -> None:
        bad = rate(rcast, 1, at=due - day)
        BadReview.objects.filter(pk=bad.bad_review.pk).update(
            opened_at=due - day,
            callback_due_at=due,
            called_back_at=called,
            status=BadReviewStatus.CALLED_BACK if called else BadReviewStatus.AWAITING_CALLBACK,
        )

    review(now - 3 * day, now - 4 * day)  # due in the period, on time
    review(now - 3 * day, now - 2 * day)  # due in the period, late
    review(now - 2 * day, None)  # due in the period and missed
    review(now + 2 * day, None)  # due in the period, but not yet
    review(START - day, START + day)  # due before, done late in the period
    review(START - 2 * day, START - 3 * day)  # due and done before the period

    row = by_key(ind.indicators(START, END, now=now))[rcast.cases.dept_a.pk]

    assert (row.callbacks_counted, row.callbacks_on_time) == (4, 1)
    assert row.callback_rate == pytest.approx(1 / 4)


# --- per item --------------------------------------------------------------------------------------


def test_items_are_named_and_count_case_and_ticket_ratings_and_finished_transactions(rcast):
    item = rcast.cases.item
    rate(rcast, 5)
    rate(rcast, 2)
    completed_case(rcast)
    ticket = closed_ticket(rcast)
    services.rate_ticket(rcast.hotline.citizen, ticket, level=4)

    items = by_key(ind.indicators(START, END, by=ind.BY_ITEM))

    case_item = items[item.implementation_code]
    assert case_item.name == item.name
    assert (case_item.ratings, case_item.good, case_item.finished, case_item.unrated) == (
        2,
        1,
        3,
        1,
    )
    assert (case_item.reviews_opened, case_item.reviews_closed) == (1, 0)
    category = items[ticket.category.code]
    assert category.name == ticket.category.name
    assert (category.ratings, category.good, category.finished, category.unrated) == (1, 1, 1, 0)


# --- query count -----------------------------------------------------------------------------------


def _seed_volume(rcast: RatingCast, n: int) -> None:
    cast = rcast.cases
    person = cast.citizen.person
    window, _ = ServiceWindow.objects.get_or_create(
        code="Q01", defaults={"name": "综合窗口", "department": cast.counter}
    )
    for i in range(n):
        department = cast.dept_a if i % 2 else cast.dept_b
        case = finished_case(department, person, item=cast.item, channel=CaseChannel.COUNTER)
        level = 1 + i % 5
        ratings = [
            seeded_rating(case, level),
            seeded_rating(case, level, kind=SubjectKind.WINDOW, window=window),
            seeded_rating(case, level, kind=SubjectKind.STAFF, staff=cast.clerk),
        ]
        for rating in ratings:
            if rating.is_bad:
                BadReview.objects.create(
                    rating=rating, department=department, opened_at=NOW, callback_due_at=NOW
                )


@pytest.mark.parametrize(
    ("by", "queries"),
    [(ind.BY_DEPARTMENT, 5), (ind.BY_ITEM, 6), (ind.BY_WINDOW, 3), (ind.BY_STAFF, 3)],
)
def test_the_number_of_queries_does_not_grow_with_the_ratings(rcast, by, queries):
    _seed_volume(rcast, 3)
    with CaptureQueriesContext(connection) as few:
        ind.indicators(START, END, by=by)
    _seed_volume(rcast, 30)
    with CaptureQueriesContext(connection) as many:
        rows = ind.indicators(START, END, by=by)

    assert len(few) == len(many) == queries, [q["sql"] for q in many.captured_queries]
    if by == ind.BY_DEPARTMENT:
        assert sum(r.ratings for r in rows) == 33


# --- totals, ranking, periods ----------------------------------------------------------------------


def row(key: str, ratings: int, good: int, **counts: int) -> Indicators:
    return Indicators(key=key, name=key, ratings=ratings, good=good, **counts)


def test_the_total_sums_the_counts_and_its_rates_follow():
    summed = ind.total([row("甲", 4, 3, finished=5, unrated=1), row("乙", 6, 3, finished=5)])

    assert (summed.key, summed.ratings, summed.good, summed.finished, summed.unrated) == (
        None,
        10,
        6,
        10,
        1,
    )
    assert summed.good_rate == pytest.approx(0.6) and summed.unrated_rate == pytest.approx(0.1)


def test_the_ranking_sorts_by_good_rate_then_volume_and_lists_small_samples_apart():
    rows = [
        row("少", 4, 4),  # 100 % but only 4 ratings
        row("甲", 10, 9),
        row("乙", 20, 18),  # the same 90 %, more ratings
        row("丙", 5, 5),
        row("丁", 20, 18),  # tied with 乙
        row("戊", 0, 0, finished=3, unrated=3),
    ]

    ranking = ind.rank(rows, minimum=5)

    assert [(r.position, r.row.key) for r in ranking] == [
        (1, "丙"),
        (2, "丁"),
        (2, "乙"),
        (4, "甲"),
        (None, "少"),
        (None, "戊"),
    ]
    assert not ranking[-1].is_ranked


def test_the_default_minimum_is_five_ratings_and_a_setting_changes_it(settings):
    rows = [row("甲", 4, 4), row("乙", 5, 1)]
    assert [r.row.key for r in ind.rank(rows) if r.is_ranked] == ["乙"]
    settings.YIWANG_RATING_RANK_MIN_RATINGS = 3
    assert [r.row.key for r in ind.rank(rows) if r.is_ranked] == ["甲", "乙"]


def test_top_and_bottom_items_never_overlap():
    rows = [row(f"事项{i}", 10, i) for i in range(8)] + [row("少", 2, 0)]

    top, bottom = ind.top_and_bottom(rows, count=5, minimum=5)

    assert [r.row.key for r in top] == ["事项7", "事项6", "事项5", "事项4"]
    assert [r.row.key for r in bottom] == ["事项0", "事项1", "事项2", "事项3"]
    more = [row(f"项{i:02d}", 100, i) for i in range(12)]
    top, bottom = ind.top_and_bottom(more, count=5, minimum=5)
    assert [r.row.key for r in top] == ["项11", "项10", "项09", "项08", "项07"]
    assert [r.row.key for r in bottom] == ["项00", "项01", "项02", "项03", "项04"]
    top, bottom = ind.top_and_bottom(rows[:3], count=5, minimum=5)
    assert [r.row.key for r in top] == ["事项2", "事项1"]
    assert [r.row.key for r in bottom] == ["事项0"]


def test_department_ranking_reads_the_database(rcast):
    person = rcast.cases.citizen.person
    for level in (5, 5, 5, 5, 1):
        seeded_rating(finished_case(rcast.cases.dept_a, person), level)
    seeded_rating(finished_case(rcast.cases.dept_b, person), 5)

    ranking = ind.department_ranking(START, END)

    assert [(r.position, r.row.name) for r in ranking] == [
        (1, "市市场监督管理局"),
        (None, "市卫生健康委员会"),
    ]


@pytest.mark.parametrize(
    ("preset", "today", "first", "last"),
    [
        (ind.MONTH, "2025-02-14", "2025-02-01", "2025-02-28"),
        (ind.MONTH, "2025-12-31", "2025-12-01", "2025-12-31"),
        (ind.LAST_MONTH, "2025-01-10", "2024-12-01", "2024-12-31"),
        (ind.LAST_MONTH, "2024-03-31", "2024-02-01", "2024-02-29"),
        (ind.QUARTER, "2025-05-20", "2025-04-01", "2025-06-30"),
        (ind.QUARTER, "2025-11-02", "2025-10-01", "2025-12-31"),
        (ind.YEAR, "2025-07-01", "2025-01-01", "2025-12-31"),
    ],
)
def test_preset_periods(preset, today, first, last):
    day = dt.date.fromisoformat
    assert ind.preset_period(preset, day(today)) == (day(first), day(last))


def test_an_unknown_preset_or_grouping_is_refused():
    with pytest.raises(ValueError):
        ind.preset_period("decade", dt.date(2025, 1, 1))
    with pytest.raises(ValueError):
        ind.indicators(START, END, by="district")


def test_day_bounds_are_local_midnights_with_the_last_day_included():
    start, end = ind.day_bounds(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert timezone.localtime(start).replace(tzinfo=None) == dt.datetime(2025, 3, 1)
    assert timezone.localtime(end).replace(tzinfo=None) == dt.datetime(2025, 4, 1)


def test_ticket_ratings_are_the_handling_departments(rcast):
    ticket = closed_ticket(rcast)
    services.rate_ticket(rcast.hotline.citizen, ticket, level=1, comment=WHY)

    departments = by_key(ind.indicators(START, END))

    assert isinstance(ticket, Ticket)
    zj = departments[rcast.hotline.zj.pk]
    assert (zj.ratings, zj.bad, zj.reviews_opened) == (1, 1, 1)
