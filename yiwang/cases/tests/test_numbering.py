"""Case numbers: 实施编码 + YYYYMMDD + 4-digit daily sequence; concurrent allocations never
collide (PostgreSQL, real concurrent writers); two identical API posts at once make one case."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.utils import timezone

from yiwang.accounts.tests.factories import login_as
from yiwang.cases.models import Case
from yiwang.cases.numbering import allocate_number
from yiwang.cases.tests.factories import make_cast

ON_POSTGRESQL = connection.vendor == "postgresql"
THREADS = 32
ROUNDS = 5


@pytest.mark.django_db
def test_numbers_follow_the_format_and_restart_each_day() -> None:
    day1 = timezone.make_aware(dt.datetime(2025, 3, 3, 10))
    day2 = timezone.make_aware(dt.datetime(2025, 3, 4, 10))
    assert allocate_number("ITEM", day1) == "ITEM202503030001"
    assert allocate_number("ITEM", day1) == "ITEM202503030002"
    assert allocate_number("OTHER", day1) == "OTHER202503030001"
    assert allocate_number("ITEM", day2) == "ITEM202503040001"


@pytest.mark.django_db
@override_settings(YIWANG_CASE_NUMBER_FORMAT="{prefix}-{date:%y%m%d}-{seq:05d}")
def test_the_format_is_a_setting() -> None:
    day = timezone.make_aware(dt.datetime(2025, 3, 3, 10))
    assert allocate_number("X", day) == "X-250303-00001"


def _run_together(work, threads: int) -> list:
    barrier = threading.Barrier(threads)
    results: list = []
    errors: list = []

    def runner() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=runner) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs concurrent writers (PostgreSQL); SQLite serialises writers so no race can happen",
)
@pytest.mark.django_db(transaction=True)
def test_32_concurrent_allocations_give_distinct_numbers() -> None:
    for round_ in range(ROUNDS):
        prefix = f"RACE{round_}"

        def allocate() -> str:
            with transaction.atomic():
                return allocate_number(prefix)

        numbers = _run_together(allocate, THREADS)
        assert len(set(numbers)) == THREADS
        assert sorted(int(n[-4:]) for n in numbers) == list(range(1, THREADS + 1))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_identical_posts_at_once_create_exactly_one_case() -> None:
    cast = make_cast()
    payload = json.dumps(
        {
            "item": cast.item.implementation_code,
            "form": {"shop_name": "湖滨小吃店", "area": 30, "category": "catering"},
            "materials": {
                "id_card": {"source": "upload"},
                "floor_plan": {"source": "upload"},
                "safety_rules": {"source": "commitment"},
            },
        }
    )
    for round_ in range(ROUNDS):

        def submit() -> tuple[int, str]:
            client = login_as(Client(), cast.citizen)
            response = client.post(
                "/api/v1/cases",
                payload,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"double-{round_}",
            )
            return response.status_code, response.json()["number"]

        answers = _run_together(submit, 8)
        assert {status for status, _n in answers} == {201}
        assert len({number for _s, number in answers}) == 1
    assert Case.objects.count() == ROUNDS
