"""Races on PostgreSQL (real concurrent writers): simultaneous first issuances of a department
agree on one signing key and get distinct serials; two status changes at once — one wins.

Each round releases the threads together with a barrier; rounds repeat because one round shows a
missing lock only about half the time. SQLite serialises writers, so these run on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from yiwang.accounts.tests.factories import make_department
from yiwang.core.errors import Conflict
from yiwang.licences import services
from yiwang.licences.models import Licence, SigningKey
from yiwang.licences.tests.factories import issue_to_citizen, make_licence_cast

ON_POSTGRESQL = connection.vendor == "postgresql"
THREADS = 12
ROUNDS = 6

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="needs concurrent writers (PostgreSQL)"),
    pytest.mark.django_db(transaction=True),
]


def _together(work, threads: int) -> tuple[list, list]:
    barrier = threading.Barrier(threads)
    results: list = []
    errors: list = []

    def runner() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=runner) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    return results, errors


def test_simultaneous_first_issuances_share_one_key_and_distinct_serials() -> None:
    cast = make_licence_cast()
    person = cast.citizen.person
    for _round in range(ROUNDS):
        issuer = make_department(region="330100000000")

        def issue() -> str:
            return services.issue(
                licence_type=cast.person_type,
                issuer=issuer,
                content={"holder_name": person.name, "shop_name": "并发店"},
                holder_person=person,
                notify=False,
            ).licence_id

        ids, errors = _together(issue, THREADS)
        assert not errors, errors
        assert len(set(ids)) == THREADS
        assert SigningKey.objects.filter(department=issuer).count() == 1
        serials = sorted(Licence.objects.filter(issuer=issuer).values_list("serial", flat=True))
        assert [int(s[-3:]) for s in serials] == list(range(1, THREADS + 1))


def test_two_status_changes_at_once_one_wins_and_the_other_is_refused() -> None:
    cast = make_licence_cast()
    for _round in range(ROUNDS):
        licence = issue_to_citizen(cast)
        actions = iter(["revoke", "withdraw"])
        lock = threading.Lock()

        def change() -> str:
            with lock:
                action = next(actions)
            return services.change_status(cast.officer_a, licence, action, "并发处理").status

        results, errors = _together(change, 2)
        assert len(results) == 1, (results, errors)
        assert len(errors) == 1 and isinstance(errors[0], Conflict)
        licence.refresh_from_db()
        assert licence.status == results[0]
        assert licence.events.exclude(action="issue").count() == 1
