"""Pinned query counts: the lists cost the same number of queries for a page of 50 whatever the
number of cases, and a case page does not grow with its number of events."""

from __future__ import annotations

import itertools
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.accounts import services as account_services
from yiwang.accounts.tests.factories import login_as
from yiwang.cases import services
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import Cast, make_item, png_upload
from yiwang.workflow import services as wf

_shops = itertools.count(1)
FIELDS = [{"key": "shop_name", "label": "店铺名称", "type": "text"}]


@pytest.fixture
def item(cast: Cast):
    made = make_item(
        cast.dept_a,
        name="查询计数测试事项",
        fields=FIELDS,
        materials=[{"key": "plan", "name": "场所平面图", "required": False}],
    )
    wf.publish_definition(
        made.implementation_code,
        made.name,
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    return made


def _submit(cast: Cast, item, how_many: int) -> None:
    """Cases in several states: submitted, in review (with a process and its clock)."""
    for n in range(how_many):
        case = services.submit_online(cast.citizen, item, {"shop_name": f"小店{next(_shops)}"}, {})
        if n % 3 == 0:
            services.accept(cast.reviewer_a, case)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def _same_count_for_5_and_60_cases(cast: Cast, item, client: Client, url: str) -> None:
    _submit(cast, item, 5)
    _queries(client, url)  # warm caches (sessions, content types)
    few = _queries(client, url)
    _submit(cast, item, 55)
    assert Case.objects.count() == 60
    many = _queries(client, url)
    assert few == many, f"{url}: {few} queries for 5 cases, {many} for 60"


@pytest.mark.parametrize("url", ["/cases/worklist/", "/api/v1/cases/worklist"])
def test_the_staff_worklist_costs_the_same_queries_for_5_or_60_cases(
    cast: Cast, item, url: str
) -> None:
    _same_count_for_5_and_60_cases(cast, item, login_as(Client(), cast.reviewer_a), url)


@pytest.mark.parametrize("url", ["/cases/", "/api/v1/cases"])
def test_the_applicants_list_costs_the_same_queries_for_5_or_60_cases(
    cast: Cast, item, url: str
) -> None:
    _same_count_for_5_and_60_cases(cast, item, login_as(Client(), cast.citizen), url)


@pytest.mark.parametrize("who", ["citizen", "reviewer_a"])
def test_a_case_page_does_not_grow_with_its_events(cast: Cast, item, who: str) -> None:
    case = services.submit_online(cast.citizen, item, {"shop_name": "湖滨小吃店"}, {})
    client = login_as(Client(), getattr(cast, who))
    url = f"/cases/{case.number}/"
    _queries(client, url)
    services.upload_material(cast.citizen, case, "plan", png_upload())
    few = _queries(client, url)
    for n in range(20):
        services.upload_material(cast.citizen, case, "plan", png_upload(f"v{n}.png"))
    many = _queries(client, url)
    assert case.events.count() >= 20
    assert few == many, f"{few} queries with 2 events, {many} with 22"


# Statements of one online submission through the API (token, Idempotency-Key), the
# notifications after commit left out: token lookup, idempotency record insert, the item's
# published version (one indexed lookup; the item and its materials are cached per process
# after the first submission), case number, case, event, ledger (head read and insert; PostgreSQL also takes the
# append lock), the stored answer — plus the savepoints of the idempotency layer and the service.
SUBMISSION_STATEMENTS = {"sqlite": 15, "postgresql": 16}


def test_an_online_submission_costs_a_pinned_number_of_statements(cast: Cast, item) -> None:
    _token, plain = account_services.create_api_token(cast.citizen, "app", by=cast.citizen)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")

    def submit(n: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/cases",
                json.dumps({"item": item.implementation_code, "form": {"shop_name": f"店{n}"}}),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"pinned-{n}",
            )
        assert response.status_code == 201, response.content[:300]
        return len(queries)

    submit(0)  # the token's last use is written at most once a minute
    assert submit(1) == SUBMISSION_STATEMENTS[connection.vendor]
    assert Case.objects.count() == 2
