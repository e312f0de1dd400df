"""三率: 响应率 (signed in time), 解决率 (resolved per caller), 满意率 (satisfied per caller)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.accounts.models import Role
from yiwang.accounts.tests.factories import login_as, make_department
from yiwang.cases.tests.factories import staff_with_role
from yiwang.hotline import duplicates, rates, services
from yiwang.hotline.models import Ticket
from yiwang.hotline.tests.factories import (
    CITY,
    FIRE,
    LIFT,
    OTHER_DISTRICT_STREET,
    answered_ticket,
    dispatched_ticket,
    make_hotline_cast,
    new_ticket,
)


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def period():
    today = timezone.now()
    return today - dt.timedelta(days=1), today + dt.timedelta(days=1)


def called_back(cast, *, resolved, satisfaction, **overrides):
    if overrides.get("category_code") == LIFT:  # 市场监管局's
        ticket = dispatched_ticket(cast, **overrides)
        services.sign(cast.other_clerk, ticket)
        services.answer(cast.other_clerk, ticket, "已责令维保单位检修电梯。")
    else:
        ticket = answered_ticket(cast, **overrides)
    return services.callback(cast.agent, ticket, resolved=resolved, satisfaction=satisfaction)


def shift(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


def test_the_three_rates_of_a_department_count_its_callers(hcast):
    services.close(hcast.agent, called_back(hcast, resolved=True, satisfaction=5))
    late = called_back(hcast, resolved=False, satisfaction=2)
    shift(late, signed_at=late.sign_due_at + dt.timedelta(hours=1))
    called_back(hcast, resolved=True, satisfaction=3)
    dispatched_ticket(hcast)  # still inside its sign clock: not counted yet
    unsigned = dispatched_ticket(hcast)
    shift(unsigned, sign_due_at=timezone.now() - dt.timedelta(minutes=1))
    merged = dispatched_ticket(hcast)
    duplicates.merge(hcast.agent, merged, late)
    new_ticket(hcast, category_code=FIRE)  # 不予受理

    [zj] = rates.rates(*period())
    assert (zj.key, zj.name) == (hcast.zj.pk, hcast.zj.name)
    assert (
        zj.accepted,
        zj.dispatched,
        zj.signed_on_time,
        zj.called_back,
        zj.resolved,
        zj.satisfied,
    ) == (5, 4, 2, 3, 2, 1)
    assert zj.response_rate == 0.5
    assert zj.resolution_rate == pytest.approx(2 / 3)
    assert zj.satisfaction_rate == pytest.approx(1 / 3)


def test_satisfied_means_four_or_five(hcast):
    for score in (1, 2, 3, 4, 5):
        called_back(hcast, resolved=True, satisfaction=score)
    [zj] = rates.rates(*period())
    assert rates.SATISFIED_AT == 4
    assert (zj.satisfied, zj.called_back) == (2, 5)


def test_rates_are_grouped_by_district(hcast):
    called_back(hcast, resolved=True, satisfaction=5)
    called_back(hcast, resolved=False, satisfaction=1, region_code=OTHER_DISTRICT_STREET)
    rows = {r.key: r for r in rates.rates(*period(), by=rates.BY_DISTRICT)}
    assert set(rows) == {"330102", "330105"}
    assert rows["330102"].resolution_rate == 1.0 and rows["330105"].resolution_rate == 0.0
    assert rows["330102"].name.endswith("330102000000")  # the region's name (test regions)


def test_only_tickets_accepted_in_the_period_count(hcast):
    old = called_back(hcast, resolved=True, satisfaction=5)
    shift(old, accepted_at=timezone.now() - dt.timedelta(days=40))
    called_back(hcast, resolved=False, satisfaction=1)
    [zj] = rates.rates(*period())
    assert zj.accepted == 1 and zj.resolved == 0
    start = timezone.now() - dt.timedelta(days=41)
    end = timezone.now() - dt.timedelta(days=30)
    [zj] = rates.rates(start, end)
    assert zj.accepted == 1 and zj.resolved == 1


def test_without_a_denominator_a_rate_is_none(hcast):
    new_ticket(hcast)
    total = rates.total(*period())
    assert total.accepted == 1
    assert (total.response_rate, total.resolution_rate, total.satisfaction_rate) == (None,) * 3
    assert rates.rates(*period()) == []  # not dispatched: no department yet


def test_each_grouping_is_one_aggregate_query_plus_the_names(hcast, django_assert_num_queries):
    for _ in range(3):
        called_back(hcast, resolved=True, satisfaction=5)
        called_back(hcast, resolved=True, satisfaction=4, category_code=LIFT)
    for by in rates.GROUPINGS:
        with django_assert_num_queries(2):
            assert len(rates.rates(*period(), by=by)) == (2 if by == "department" else 1)
    with django_assert_num_queries(1):
        assert rates.total(*period()).accepted == 6


def test_agents_and_leaders_see_their_region_a_department_its_own_and_a_citizen_nothing(hcast):
    called_back(hcast, resolved=True, satisfaction=5)
    called_back(hcast, resolved=True, satisfaction=5, category_code=LIFT)  # 市场监管局
    leader = staff_with_role(
        make_department("示范市人民政府办公室", region=CITY),
        "insight-leader",
        ("insight.view",),
        scope=Role.Scope.REGION_SUBTREE,
    )

    def departments(user):
        return {r.key for r in rates.rates(*period(), scope=rates.rates_scope(user))}

    assert departments(hcast.agent) == departments(leader) == {hcast.zj.pk, hcast.scjg.pk}
    assert departments(hcast.clerk) == {hcast.zj.pk}
    assert departments(hcast.other_clerk) == {hcast.scjg.pk}
    assert rates.rates_scope(hcast.citizen) is None
    assert not rates.can_view(hcast.citizen)


# --- the page ---------------------------------------------------------------------------------


def test_an_agent_reads_the_rates_table_and_the_chart_data_per_department_and_district(
    hcast, client
):
    called_back(hcast, resolved=True, satisfaction=5)
    login_as(client, hcast.agent)
    page = client.get("/hotline/rates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert hcast.zj.name in html and "100.0%" in html
    assert 'id="rates-chart-data" type="application/json"' in html
    assert "<script>" not in html  # CSP: no inline script, the chart is a static file
    by_district = client.get("/hotline/rates/", {"by": "district"}).content.decode()
    assert "330102000000" in by_district and hcast.zj.name not in by_district


def test_a_period_that_ends_before_it_starts_is_refused_with_the_default_shown(hcast, client):
    login_as(client, hcast.agent)
    page = client.get("/hotline/rates/", {"start": "2026-03-01", "end": "2026-02-01"})
    assert page.status_code == 422
    assert "起始日期不能晚于截止日期" in page.content.decode()


def test_a_citizen_or_a_staff_member_without_a_hotline_role_gets_404(hcast, client):
    login_as(client, hcast.citizen)
    assert client.get("/hotline/rates/").status_code == 404


def test_the_page_costs_the_same_queries_for_two_tickets_or_twelve(hcast, client):
    login_as(client, hcast.agent)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/hotline/rates/").status_code == 200
        return len(queries)

    for _ in range(2):
        called_back(hcast, resolved=True, satisfaction=5)
    few = cost()
    for _ in range(10):
        called_back(hcast, resolved=False, satisfaction=2, category_code=LIFT)
    assert cost() == few
