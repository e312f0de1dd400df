"""Races: many identical submissions at the same instant produce exactly one write.

A counter clerk's terminal times out and resends; a double click sends twice; two clerks type in
the same walk-in applicant. Each round starts 32 threads — each with its own database connection
and its own HTTP client — holding at a ``threading.Barrier`` and releases them together against
``POST /api/v1/accounts/persons``, through the whole stack (middleware, token authentication,
the idempotency layer, the service, the unique blind index).

- Same ``Idempotency-Key``: the first request's transaction holds the idempotency row; the others
  wait for it and replay its answer. All 32 answer the same 201 with the same bytes, 31 of them
  marked ``Idempotent-Replayed: true``; one person, one ledger entry.
- Different keys, same ID number: the unique blind index decides; one 201, 31 × 409
  ``person_exists`` (the ``IntegrityError`` becomes the domain error), never a 500.

One round catches a missing lock only about half the time, so the rounds repeat (20 each, seeded
keys and ID numbers). This needs real concurrent writers: it runs in the PostgreSQL pass. SQLite
serialises writers (``BEGIN IMMEDIATE``), so the race cannot happen there; and the in-memory test
database is opened in shared-cache mode, where a second writer fails at once ("database table is
locked") instead of waiting as the file database does. So on SQLite a smaller variant sends the
same submissions one after another and checks the same single-winner outcome.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from yiwang.accounts import selectors, services
from yiwang.accounts.models import Person
from yiwang.accounts.permissions import REGISTER_PERSON
from yiwang.accounts.tests.factories import make_department, make_staff, random_id_number
from yiwang.core.models.idempotency import IdempotencyRecord
from yiwang.core.models.ledger import LedgerEntry

ON_POSTGRESQL = connection.vendor == "postgresql"
THREADS = 32 if ON_POSTGRESQL else 4  # submissions per round
ROUNDS = 20 if ON_POSTGRESQL else 3
API = "/api/v1/accounts/persons"

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    replayed: bool
    code: str


@pytest.fixture
def token() -> str:
    clerk = make_staff(make_department(region="330106000000"), capabilities=(REGISTER_PERSON,))
    _token, plain = services.create_api_token(clerk, "counter terminal", by=clerk)
    return plain


def submit_all_at_once(token: str, requests: list[tuple[dict[str, str], str]]) -> list[Answer]:
    """Send each (body, key) from its own thread, all released by one barrier (PostgreSQL);
    one after another on SQLite (see the module documentation)."""
    if not ON_POSTGRESQL:
        return [send_one(Client(), token, body, key) for body, key in requests]
    barrier = threading.Barrier(len(requests))
    answers: list[Answer | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def send(index: int, body: dict[str, str], key: str) -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=30)
            answers[index] = send_one(client, token, body, key)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [
        threading.Thread(target=send, args=(i, body, key)) for i, (body, key) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def send_one(client: Client, token: str, body: dict[str, str], key: str) -> Answer:
    response = client.post(
        API,
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    content = response.content
    return Answer(
        status=response.status_code,
        body=content,
        replayed=response.get("Idempotent-Replayed") == "true",
        code=json.loads(content).get("code", "") if response.status_code >= 400 else "",
    )


def person_with(id_number: str) -> list[Person]:
    index = selectors.id_number_index(id_number)
    return list(Person.objects.filter(id_number_index=index))


def registrations_of(person: Person) -> int:
    return LedgerEntry.objects.filter(
        action="accounts.person.registered", object_id=str(person.pk)
    ).count()


def applicant(rng: random.Random) -> dict[str, str]:
    return {"name": rng.choice("王李张刘陈") + "小明", "id_number": random_id_number()}


def test_identical_submissions_with_one_key_write_once_and_all_get_the_same_201(token) -> None:
    rng = random.Random(20250601)
    for round_ in range(ROUNDS):
        body = applicant(rng)
        key = f"race-{round_}-{rng.getrandbits(64):016x}"

        answers = submit_all_at_once(token, [(body, key)] * THREADS)

        statuses = Counter(a.status for a in answers)
        assert statuses == {201: THREADS}, f"round {round_}: {statuses}"
        assert len({a.body for a in answers}) == 1, f"round {round_}: answers differ"
        assert sum(not a.replayed for a in answers) == 1, f"round {round_}: not one winner"
        [person] = person_with(body["id_number"])
        assert json.loads(answers[0].body)["id"] == person.pk
        assert registrations_of(person) == 1, f"round {round_}: ledger"
        [record] = IdempotencyRecord.objects.filter(key=key)
        assert (record.status, record.response_status) == ("completed", 201)
    assert Person.objects.count() == ROUNDS


def test_the_same_id_number_under_different_keys_registers_once_and_the_rest_get_409(
    token,
) -> None:
    rng = random.Random(20250602)
    for round_ in range(ROUNDS):
        body = applicant(rng)
        keys = [f"race-{round_}-{i}-{rng.getrandbits(64):016x}" for i in range(THREADS)]

        answers = submit_all_at_once(token, [(body, key) for key in keys])

        statuses = Counter(a.status for a in answers)
        assert statuses == {201: 1, 409: THREADS - 1}, f"round {round_}: {statuses}"
        assert {a.code for a in answers if a.status == 409} == {"person_exists"}
        assert not any(a.replayed for a in answers)
        [person] = person_with(body["id_number"])
        assert registrations_of(person) == 1, f"round {round_}: ledger"
    assert Person.objects.count() == ROUNDS
