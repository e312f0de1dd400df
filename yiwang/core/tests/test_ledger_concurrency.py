"""Concurrent appends never fork the chain (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from yiwang.core.ledger import LedgerEvent, checkpoint, record_event, record_events, verify
from yiwang.core.models.ledger import LedgerEntry

THREADS = 8
EVENTS_PER_THREAD = 25
BATCH = 5  # divides EVENTS_PER_THREAD


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections to one database: runs in the PostgreSQL pass "
    "(DATABASE_URL=postgres://…); SQLite serialises writers with BEGIN IMMEDIATE anyway",
)
@pytest.mark.django_db(transaction=True)
def test_eight_writers_appending_at_once_one_by_one_or_in_batches_build_one_unbroken_chain() -> (
    None
):
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            if number % 2:  # odd writers append five events at a time
                for first in range(0, EVENTS_PER_THREAD, BATCH):
                    with transaction.atomic():
                        record_events(
                            [
                                LedgerEvent(
                                    f"user:{number}",
                                    "case.submit",
                                    "case",
                                    f"{number}-{i}",
                                    {"i": i},
                                )
                                for i in range(first, first + BATCH)
                            ]
                        )
                return
            for i in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    record_event(
                        actor=f"user:{number}",
                        action="case.submit",
                        object_type="case",
                        object_id=f"{number}-{i}",
                        payload={"i": i},
                    )
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * EVENTS_PER_THREAD
    rows = list(LedgerEntry.objects.order_by("seq").values_list("seq", "prev_hash", "object_id"))
    assert [seq for seq, _, _ in rows] == list(range(1, total + 1))
    assert len({prev for _, prev, _ in rows}) == total  # no two entries share a predecessor
    for number in range(THREADS):  # each writer's events are in its own order
        mine = [oid for _, _, oid in rows if oid.startswith(f"{number}-")]
        assert mine == [f"{number}-{i}" for i in range(EVENTS_PER_THREAD)]
    assert checkpoint() is not None
    report = verify()
    assert report.ok, report.problems
    assert report.entries == total
