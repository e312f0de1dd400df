"""Cross-cutting HTTP middleware: security headers, HTML rendering of domain errors, and 503 (not
500) while the database is unreachable."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_body

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
_PROBLEM_PREFIXES = ("/api/", "/open311/")


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.YIWANG_CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class NulCharacterMiddleware:
    """400 for a NUL character in the path, the query or a JSON body, before any view runs.

    No legitimate input holds NUL, PostgreSQL refuses it in text ("A string literal cannot
    contain NUL characters", a 500 if it got that far), and Django's form fields already refuse
    it; this covers URL parameters and JSON APIs in one place. Uploaded files (multipart) are
    left to the upload checks: binary content may hold NUL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or "\x00" in request.path_info:
            return True
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return True
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH") and (
            content_type == "application/json" or content_type.endswith("+json")
        ):
            body = request.body
            return b"\x00" in body or b"\\u0000" in body
        return False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._has_nul(request):
            return self.get_response(request)
        message = _("请求中含有不允许的空字符（NUL）。")
        if request.path.startswith(_PROBLEM_PREFIXES):
            body = problem_body(
                status=400,
                title="Bad request",
                detail=message,
                code="nul_character",
                instance=request.path.replace("\x00", ""),
            )
            return HttpResponse(
                json.dumps(body, ensure_ascii=False), status=400, content_type=PROBLEM_CONTENT_TYPE
            )
        return render(
            request,
            "ui/error.html",
            {"status": 400, "code": "nul_character", "message": message},
            status=400,
        )


class DomainErrorMiddleware:
    """A DomainError escaping an HTML view becomes a message on an error page with its status.

    The API renders DomainError itself as problem+json (config/api.py); this covers views that
    did not turn the error into a form error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        messages.error(request, exception.message)
        return render(
            request,
            "ui/error.html",
            {"status": exception.status, "code": exception.code, "message": exception.message},
            status=exception.status,
        )


# SQLSTATE 25006 read_only_sql_transaction: a server that is (again) a read-only standby, e.g.
# during a failover. The driver reports it as an InternalError; for clients it is an outage.
_READ_ONLY_SQLSTATE = "25006"


def is_database_unavailable(exception: BaseException | None) -> bool:
    """Whether ``exception`` means "the database cannot serve us now" (a retry may succeed).

    Django's ``OperationalError`` (connection refused or lost, server shutting down, deadlock,
    lock or statement timeout, SQLite busy or read-only), ``InterfaceError`` (a connection already
    closed, e.g. a persistent connection that died with the server), and PostgreSQL refusing
    writes in a read-only transaction (a standby during failover). Integrity and programming
    errors are bugs or business conflicts, not outages.
    """
    if isinstance(exception, OperationalError | InterfaceError):
        return True
    if isinstance(exception, InternalError):
        return getattr(exception.__cause__, "sqlstate", None) == _READ_ONLY_SQLSTATE
    return False


def database_unavailable_response(
    request: HttpRequest, exception: BaseException | None = None
) -> HttpResponse:
    """503 with ``Retry-After``: problem+json (code ``service_unavailable``) under /api/ and
    /open311/, the friendly 503 page elsewhere. Renders without touching the database."""
    logger.error(
        "Database unavailable, answering 503 for %s %s: %r",
        request.method,
        request.path,
        exception,
    )
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    message = _("系统暂时无法访问数据库，请稍后重试。")
    if request.path.startswith(_PROBLEM_PREFIXES):
        body = problem_body(
            status=503,
            code="service_unavailable",
            title="Service unavailable",
            detail=message,
            instance=request.path,
        )
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=503,
            content_type=PROBLEM_CONTENT_TYPE,
            headers=headers,
        )
    response = render(
        request,
        "503.html",
        {"status": 503, "message": message, "retry_after": DATABASE_RETRY_AFTER_SECONDS},
        status=503,
    )
    response["Retry-After"] = headers["Retry-After"]
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503 with ``Retry-After``.

    Covers every view (ninja's own handler in config/api.py answers first for the API). Failures
    outside views — a session or user loaded by another middleware, a session saved on the way
    out — surface in Django's 500 handler instead, which hands them to
    ``database_unavailable_response`` too (config/errors.py). Either way: 503, never 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        return database_unavailable_response(request, exception)
