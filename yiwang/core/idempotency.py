"""Idempotent unsafe API requests with the ``Idempotency-Key`` header.

Follows IETF draft-ietf-httpapi-idempotency-key-header. A client that creates something sends a
fresh key (a UUID) with the request and sends the *same* key again when it retries after a timeout,
a dropped connection or a 503; the retry then gets the first answer back instead of making a second
write::

    from yiwang.core.idempotency import idempotent

    @router.post("/persons", response={201: PersonOut})
    @idempotent
    def register_person(request, payload: PersonIn) -> Status[PersonOut]:
        person = services.register_walk_in_applicant(request.auth, ...)
        return Status(201, PersonOut(...))

``@idempotent`` (or ``run_idempotent(request, handler)`` for code that is not a ninja endpoint) runs
the endpoint in **one transaction** together with an ``IdempotencyRecord`` row for
(principal, key):

1. insert-or-lock the record on the unique (principal, key) pair: ``INSERT … ON CONFLICT DO
   NOTHING RETURNING id``; when the pair exists, ``SELECT … FOR UPDATE``;
2. a *new* record: run the endpoint in a savepoint, store its answer (status, content type, body —
   SM4-GCM encrypted) in the record, mark it ``completed``; all of it commits together, so an
   answer is stored if and only if the write it describes is committed;
3. a *completed* record for the same request: replay the stored answer — same status, content
   type and bytes (other headers are not kept), plus ``Idempotent-Replayed: true``; the endpoint
   does not run;
4. the same key with another method, path or body: 422 ``idempotency_key_reused``.

Concurrent duplicates **wait**: while the first request's transaction is open, PostgreSQL makes a
second ``INSERT`` of the same (principal, key) wait for it; when it commits, the second one finds
the completed record and replays it. So 32 identical requests arriving at once all answer the
same 201 with the same body, and one of them wrote (tests/race). SQLite gets there by serialising
writers (``BEGIN IMMEDIATE``). A committed ``in_progress`` record never occurs in this design; if
one were found (e.g. written by another implementation), the answer is 409
``idempotency_in_progress`` with ``Retry-After`` rather than a second execution.

Outcomes that are stored and replayed: whatever the endpoint returns, and ``DomainError``s below
500 except 429 (a refusal is an answer too: the same key gives the same 409 again). Not stored:
429/5xx domain errors and any other exception, database outages included — the transaction rolls
back with the record, and a retry with the same key runs the request afresh.

Requests without the header run normally (in a transaction, no replay); business rules (unique
constraints) still guarantee a single winner. Unauthenticated requests never replay (there is no
principal to scope the key to). Records expire after 24 hours (``TTL``); an expired key may be used
again. ``purge_expired_records`` (``manage.py purge_idempotency_records``, daily from cron) deletes
them.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.renderers import JSONRenderer
from ninja.responses import Status
from pydantic import BaseModel

from yiwang.core.crypto import field_encryption_key, sm3_hex, sm4_gcm_decrypt, sm4_gcm_encrypt
from yiwang.core.errors import DomainError, ValidationFailed
from yiwang.core.models.idempotency import IdempotencyRecord
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_from_error

__all__ = [
    "IDEMPOTENCY_KEY_HEADER",
    "REPLAYED_HEADER",
    "TTL",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "idempotency_key_of",
    "idempotent",
    "principal_of",
    "purge_expired_records",
    "request_fingerprint",
    "run_idempotent",
]

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
IN_PROGRESS_RETRY_AFTER_SECONDS = 1
# An sf-string (RFC 8941) in practice: visible ASCII without quote or backslash, 1–255 characters.
_KEY_PATTERN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,255}")
_AAD_PREFIX = b"core.idempotency.response:"


class IdempotencyKeyInvalid(ValidationFailed):
    status = 400
    default_code = "idempotency_key_invalid"
    title = "Bad request"


class IdempotencyKeyReused(ValidationFailed):
    status = 422
    default_code = "idempotency_key_reused"


# --- reading the request -------------------------------------------------------------------------


def idempotency_key_of(request: HttpRequest) -> str | None:
    """The request's idempotency key, None without the header; 400 for a malformed one.

    The draft sends the key as a structured-field string (``"8e03…"``); the bare form clients often
    send (``8e03…``) is accepted too.
    """
    raw = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _KEY_PATTERN.fullmatch(value):
        raise IdempotencyKeyInvalid(
            message=_("幂等键（Idempotency-Key）须为 1–255 个可见 ASCII 字符，建议使用 UUID。"),
            field=IDEMPOTENCY_KEY_HEADER,
        )
    return value


def principal_of(request: HttpRequest) -> str | None:
    """``"user:<id>"`` for the authenticated caller (API token or session), else None."""
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if getattr(candidate, "is_authenticated", False) and getattr(candidate, "pk", None):
            return f"user:{candidate.pk}"  # type: ignore[union-attr]
    return None


def request_fingerprint(request: HttpRequest) -> str:
    """SM3 (hex) of the canonical request body.

    JSON bodies are canonicalised (sorted keys, no insignificant whitespace), so a client may
    re-serialise its retry; other bodies are taken byte for byte (a multipart body already consumed
    as a stream is fingerprinted from its parsed fields and its files' names, types and SM3).
    """
    try:
        raw = request.body
    except RawPostDataException:
        parts = [f"{k}={v}" for k in sorted(request.POST) for v in request.POST.getlist(k)]
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = b"".join(upload.chunks())
                upload.seek(0)
                parts.append(f"{name}:{upload.name}:{upload.content_type}:{sm3_hex(content)}")
        raw = "\n".join(parts).encode()
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            parsed = json.loads(raw or b"null")
        except ValueError:
            pass
        else:
            raw = json.dumps(
                parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
    return sm3_hex(raw)


# --- rendering -----------------------------------------------------------------------------------


def _render(request: HttpRequest, result: Any) -> HttpResponse:
    """The HTTP response for an endpoint's return value, encoded as django-ninja would."""
    if isinstance(result, HttpResponse):
        return result
    status = 200
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    if result is None:
        return HttpResponse(status=status)
    data = result.model_dump(by_alias=True) if isinstance(result, BaseModel) else result
    renderer = JSONRenderer()
    return HttpResponse(
        renderer.render(request, data, response_status=status),
        status=status,
        content_type=f"{renderer.media_type}; charset={renderer.charset}",
    )


def _problem_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The problem+json answer config/api.py would give for ``error``."""
    body = problem_from_error(error, request.path)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=error.status, content_type=PROBLEM_CONTENT_TYPE
    )


def _in_progress_response(request: HttpRequest) -> HttpResponse:
    body = problem_body(
        status=409,
        code="idempotency_in_progress",
        title="Conflict",
        detail=_("使用同一幂等键的请求正在处理中，请稍后重试。"),
        instance=request.path,
    )
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=409,
        content_type=PROBLEM_CONTENT_TYPE,
        headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER_SECONDS)},
    )


def _is_final(error: DomainError) -> bool:
    """A refusal that a retry would get again (stored), not a transient one (never stored)."""
    return error.status < 500 and error.status != 429


# --- the record ----------------------------------------------------------------------------------


def _aad(record: IdempotencyRecord) -> bytes:
    return _AAD_PREFIX + f"{record.principal}\x00{record.key}".encode()


def _store(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.status = IdempotencyRecord.Status.COMPLETED
    record.response_status = response.status_code
    record.response_content_type = response.get("Content-Type", "")
    record.response_body_encrypted = sm4_gcm_encrypt(
        field_encryption_key(), bytes(response.content), aad=_aad(record)
    )
    record.save(
        update_fields=[
            "status",
            "response_status",
            "response_content_type",
            "response_body_encrypted",
        ]
    )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    body = b""
    if record.response_body_encrypted is not None:
        body = sm4_gcm_decrypt(
            field_encryption_key(), bytes(record.response_body_encrypted), aad=_aad(record)
        )
    response = HttpResponse(
        body,
        status=record.response_status or 200,
        content_type=record.response_content_type or None,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _restart(record: IdempotencyRecord, method: str, path: str, fingerprint: str) -> None:
    """Reuse an expired record's row for a new request with the same key (row is locked)."""
    now = timezone.now()
    record.method, record.path, record.fingerprint = method, path, fingerprint
    record.status = IdempotencyRecord.Status.IN_PROGRESS
    record.response_status = None
    record.response_content_type = ""
    record.response_body_encrypted = None
    record.created_at, record.expires_at = now, now + TTL
    record.save()


_CLAIM_SQL = (
    'INSERT INTO "core_idempotencyrecord" ("principal", "key", "method", "path", "fingerprint", '
    '"status", "response_content_type", "created_at", "expires_at") '
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    'ON CONFLICT ("principal", "key") DO NOTHING RETURNING "id"'
)


def _claim(
    principal: str, key: str, method: str, path: str, fingerprint: str, now: dt.datetime
) -> tuple[IdempotencyRecord, bool]:
    """Insert the (principal, key) record, or lock the existing one: ``(record, created)``.

    One statement in the common case: ``INSERT … ON CONFLICT (principal, key) DO NOTHING
    RETURNING id``. A concurrent transaction's uncommitted insert of the same pair makes it wait
    (PostgreSQL) until that one ends; on a conflict the row is then read with ``SELECT … FOR
    UPDATE``.
    """
    connection = connections[router.db_for_write(IdempotencyRecord)]
    values = {
        "principal": principal,
        "key": key,
        "method": method,
        "path": path,
        "fingerprint": fingerprint,
        "status": IdempotencyRecord.Status.IN_PROGRESS,
        "response_content_type": "",
        "created_at": now,
        "expires_at": now + TTL,
    }
    params: list[Any] = [
        connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
        for v in values.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is not None:
        record = IdempotencyRecord(pk=row[0], **values)
        record._state.adding = False
        record._state.db = connection.alias
        return record, True
    return (
        IdempotencyRecord.objects.using(connection.alias)
        .select_for_update()
        .get(principal=principal, key=key),
        False,
    )


# --- the flow ------------------------------------------------------------------------------------


def run_idempotent(request: HttpRequest, handler: Callable[[], Any]) -> HttpResponse:
    """Run ``handler`` (an endpoint body) at most once per (caller, ``Idempotency-Key``).

    Returns the response to send: the handler's (rendered as django-ninja would), or the stored
    one for a retry. See the module documentation for the rules.
    """
    key = idempotency_key_of(request)
    principal = principal_of(request) if key is not None else None
    if key is None or principal is None:
        with transaction.atomic():
            return _render(request, handler())

    method = request.method or ""
    path = request.path[:500]
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        record, created = _claim(principal, key, method, path, fingerprint, now)
        if not created:
            if record.expires_at <= now:
                _restart(record, method, path, fingerprint)
            elif (record.method, record.path, record.fingerprint) != (method, path, fingerprint):
                raise IdempotencyKeyReused(
                    message=_("该幂等键已用于另一个请求；新的请求请使用新的幂等键。"),
                    field=IDEMPOTENCY_KEY_HEADER,
                )
            elif record.status == IdempotencyRecord.Status.COMPLETED:
                return _replay(record)
            else:
                return _in_progress_response(request)
        try:
            with transaction.atomic():  # a refusal undoes the handler's writes, not the record
                response = _render(request, handler())
        except DomainError as error:
            if not _is_final(error):
                raise
            response = _problem_response(request, error)
        _store(record, response)
    return response


def idempotent(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    """Decorator for a django-ninja endpoint: ``run_idempotent`` around it.

    Put it *below* ``@router.post(...)``. The endpoint returns what ninja endpoints return
    (``Status(201, SomeSchema(...))``, a schema, a dict); it is rendered here, so return schema
    instances (validated when built) rather than ORM objects.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return run_idempotent(request, lambda: view(request, *args, **kwargs))

    # ninja reads the parameters' types from the signature; resolve the view's string annotations
    # (``from __future__ import annotations``) in the view's own module, not in this one.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    return wrapper


def purge_expired_records(now: dt.datetime | None = None) -> int:
    """Delete records past their expiry; returns how many. Run daily (purge_idempotency_records)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
