"""Idempotency keys: a retry with the same key gets the first answer back and writes nothing.

The endpoint stand-in appends to the audit ledger, so "wrote once" is counted in a real table.
Concurrency is tested in tests/race (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone
from ninja import Status

from yiwang.core.errors import Conflict, RateLimited, ServiceUnavailable
from yiwang.core.idempotency import (
    REPLAYED_HEADER,
    TTL,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    purge_expired_records,
    request_fingerprint,
    run_idempotent,
)
from yiwang.core.ledger import record_event
from yiwang.core.models.idempotency import IdempotencyRecord
from yiwang.core.models.ledger import LedgerEntry

pytestmark = pytest.mark.django_db

PATH = "/api/v1/things"
BODY = {"name": "张伟", "id_number": "11010519491231002X"}


@dataclass
class Caller:
    """Who is calling: what an authentication class puts on ``request.auth``."""

    pk: int
    is_authenticated: bool = True


class Endpoint:
    """An endpoint body that writes one ledger entry per run and counts its runs."""

    def __init__(self, outcome: Any = None, error: Exception | None = None) -> None:
        self.runs = 0
        self.outcome = outcome
        self.error = error

    def __call__(self) -> Any:
        self.runs += 1
        entry = record_event(actor="user:1", action="thing.created", payload={"run": self.runs})
        if self.error is not None:
            raise self.error
        if self.outcome is not None:
            return self.outcome
        return Status(201, {"id": entry.seq, "run": self.runs})


def post(
    body: Any = BODY,
    *,
    key: str | None = "key-1",
    caller: Caller | None = Caller(1),
    path: str = PATH,
    raw: str | None = None,
) -> HttpRequest:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    request = RequestFactory().post(path, data=data, content_type="application/json", **headers)
    request.auth = caller  # type: ignore[attr-defined]
    return request


def writes() -> int:
    return LedgerEntry.objects.filter(action="thing.created").count()


def test_a_retry_with_the_same_key_replays_the_first_answer_without_running_again() -> None:
    endpoint = Endpoint()
    first = run_idempotent(post(), endpoint)
    again = run_idempotent(post(), endpoint)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert json.loads(first.content) == {"id": 1, "run": 1}
    assert first["Content-Type"] == again["Content-Type"] == "application/json; charset=utf-8"
    assert REPLAYED_HEADER not in first
    assert again[REPLAYED_HEADER] == "true"
    assert endpoint.runs == 1
    assert writes() == 1


def test_the_record_is_completed_with_the_answer_and_expires_after_24_hours() -> None:
    before = timezone.now()
    run_idempotent(post(), Endpoint())
    record = IdempotencyRecord.objects.get()
    assert (record.principal, record.key, record.method, record.path) == (
        "user:1",
        "key-1",
        "POST",
        PATH,
    )
    assert record.status == IdempotencyRecord.Status.COMPLETED
    assert record.response_status == 201
    assert before + TTL <= record.expires_at <= timezone.now() + TTL


def test_the_stored_answer_is_encrypted_at_rest() -> None:
    run_idempotent(post(), Endpoint(outcome=Status(201, {"name": "张伟"})))
    stored = bytes(IdempotencyRecord.objects.get().response_body_encrypted)
    assert "张伟".encode() not in stored
    assert b"name" not in stored


def test_the_same_key_with_another_body_is_refused_with_422_and_runs_nothing() -> None:
    endpoint = Endpoint()
    run_idempotent(post(), endpoint)
    with pytest.raises(IdempotencyKeyReused) as refused:
        run_idempotent(post({**BODY, "name": "李娜"}), endpoint)
    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.status == 422
    assert endpoint.runs == 1


def test_the_same_key_on_another_path_is_refused() -> None:
    run_idempotent(post(), Endpoint())
    with pytest.raises(IdempotencyKeyReused):
        run_idempotent(post(path="/api/v1/other-things"), Endpoint())


def test_json_that_differs_only_in_key_order_and_spacing_is_the_same_request() -> None:
    endpoint = Endpoint()
    run_idempotent(post(raw='{"name": "张伟", "id_number": "11010519491231002X"}'), endpoint)
    again = run_idempotent(
        post(raw='{"id_number":"11010519491231002X",\n "name":"张伟"}'), endpoint
    )
    assert again[REPLAYED_HEADER] == "true"
    assert endpoint.runs == 1


def test_the_fingerprint_is_the_sm3_of_the_canonical_json() -> None:
    from yiwang.core.crypto import sm3_hex

    canonical = '{"id_number":"11010519491231002X","name":"张伟"}'
    assert request_fingerprint(post()) == sm3_hex(canonical.encode())
    assert request_fingerprint(post({"name": "李娜"})) != request_fingerprint(post())


def test_keys_belong_to_one_caller() -> None:
    endpoint = Endpoint()
    run_idempotent(post(caller=Caller(1)), endpoint)
    other = run_idempotent(post(caller=Caller(2)), endpoint)
    assert REPLAYED_HEADER not in other
    assert endpoint.runs == 2
    assert IdempotencyRecord.objects.count() == 2


def test_a_request_without_a_key_runs_every_time() -> None:
    endpoint = Endpoint()
    run_idempotent(post(key=None), endpoint)
    run_idempotent(post(key=None), endpoint)
    assert endpoint.runs == 2
    assert IdempotencyRecord.objects.count() == 0


def test_an_anonymous_request_never_replays_someone_elses_answer() -> None:
    endpoint = Endpoint()
    run_idempotent(post(caller=None), endpoint)
    again = run_idempotent(post(caller=Caller(0, is_authenticated=False)), endpoint)
    assert REPLAYED_HEADER not in again
    assert endpoint.runs == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "has space", "引号", "x" * 256, 'a"b', "a\\b"])
def test_a_malformed_key_is_refused_with_400_before_anything_runs(key: str) -> None:
    endpoint = Endpoint()
    with pytest.raises(IdempotencyKeyInvalid) as refused:
        run_idempotent(post(key=key), endpoint)
    assert (refused.value.code, refused.value.status) == ("idempotency_key_invalid", 400)
    assert endpoint.runs == 0


def test_the_structured_field_form_of_the_key_is_the_same_key() -> None:
    endpoint = Endpoint()
    run_idempotent(post(key='"8e03978e-40d5-43e8-bc93-6894a57f9324"'), endpoint)
    again = run_idempotent(post(key="8e03978e-40d5-43e8-bc93-6894a57f9324"), endpoint)
    assert again[REPLAYED_HEADER] == "true"
    assert IdempotencyRecord.objects.get().key == "8e03978e-40d5-43e8-bc93-6894a57f9324"


def test_a_refusal_is_stored_and_replayed_and_its_writes_are_undone() -> None:
    endpoint = Endpoint(error=Conflict("person_exists", "该身份证号已登记。", field="id_number"))
    first = run_idempotent(post(), endpoint)
    again = run_idempotent(post(), endpoint)

    assert first.status_code == again.status_code == 409
    assert first["Content-Type"] == "application/problem+json"
    assert json.loads(first.content)["code"] == "person_exists"
    assert again.content == first.content
    assert again[REPLAYED_HEADER] == "true"
    assert endpoint.runs == 1
    assert writes() == 0  # the refused request's ledger entry was rolled back with it


@pytest.mark.parametrize(
    "error",
    [ServiceUnavailable(), RateLimited(), RuntimeError("bug")],
    ids=["503", "429", "unexpected"],
)
def test_a_transient_or_unexpected_failure_is_not_stored_so_a_retry_runs_again(
    error: Exception,
) -> None:
    failing = Endpoint(error=error)
    with pytest.raises(type(error)):
        run_idempotent(post(), failing)
    assert IdempotencyRecord.objects.count() == 0
    assert writes() == 0

    retry = run_idempotent(post(), Endpoint())
    assert retry.status_code == 201
    assert REPLAYED_HEADER not in retry
    assert writes() == 1


def test_an_expired_key_may_be_used_again_for_a_new_request() -> None:
    run_idempotent(post(), Endpoint())
    IdempotencyRecord.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    endpoint = Endpoint()
    fresh = run_idempotent(post({"name": "李娜"}), endpoint)
    assert fresh.status_code == 201 and REPLAYED_HEADER not in fresh
    assert endpoint.runs == 1
    record = IdempotencyRecord.objects.get()
    assert record.expires_at > timezone.now() + TTL - dt.timedelta(minutes=1)
    assert record.fingerprint == request_fingerprint(post({"name": "李娜"}))


def test_a_record_left_in_progress_answers_409_with_retry_after_instead_of_running() -> None:
    now = timezone.now()
    IdempotencyRecord.objects.create(
        principal="user:1",
        key="key-1",
        method="POST",
        path=PATH,
        fingerprint=request_fingerprint(post()),
        created_at=now,
        expires_at=now + TTL,
    )
    endpoint = Endpoint()
    response = run_idempotent(post(), endpoint)
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
    assert endpoint.runs == 0


def test_purging_deletes_only_expired_records() -> None:
    now = timezone.now()
    for key, expires in (
        ("old", now - dt.timedelta(hours=1)),
        ("new", now + dt.timedelta(hours=1)),
    ):
        IdempotencyRecord.objects.create(
            principal="user:1",
            key=key,
            method="POST",
            path=PATH,
            fingerprint="0" * 64,
            created_at=now - TTL,
            expires_at=expires,
        )
    assert purge_expired_records(now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_purge_command_reports_what_it_deleted(capsys) -> None:
    now = timezone.now()
    IdempotencyRecord.objects.create(
        principal="user:1",
        key="old",
        method="POST",
        path=PATH,
        fingerprint="0" * 64,
        created_at=now - 2 * TTL,
        expires_at=now - TTL,
    )
    call_command("purge_idempotency_records")
    assert "expired idempotency records deleted: 1" in capsys.readouterr().out
    assert IdempotencyRecord.objects.count() == 0


def test_a_multipart_body_read_as_a_stream_is_fingerprinted_from_its_fields_and_files() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(content: bytes) -> HttpRequest:
        request = RequestFactory().post(
            PATH, {"title": "营业执照", "file": SimpleUploadedFile("a.pdf", content)}
        )
        request.POST  # noqa: B018 - parsing consumes the stream, as an upload endpoint does
        return request

    assert request_fingerprint(upload(b"%PDF-1")) == request_fingerprint(upload(b"%PDF-1"))
    assert request_fingerprint(upload(b"%PDF-1")) != request_fingerprint(upload(b"%PDF-2"))
    read_again = upload(b"%PDF-1")
    request_fingerprint(read_again)
    assert read_again.FILES["file"].read() == b"%PDF-1"  # the endpoint can still read the file
