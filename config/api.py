"""The one NinjaAPI at /api/v1. Each app adds its router here; errors are RFC 9457 problem+json."""

from __future__ import annotations

import json

from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.openapi import YiwangAPI
from yiwang.accounts.api import router as accounts_router
from yiwang.cases.api import router as cases_router
from yiwang.catalog.api import router as catalog_router
from yiwang.core.errors import DomainError
from yiwang.core.middleware import database_unavailable_response, is_database_unavailable
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_from_error
from yiwang.hotline.api import router as hotline_router
from yiwang.licences.api import router as licences_router
from yiwang.workflow.api import router as workflow_router

api = YiwangAPI(
    title="Yiwang API",
    version="1",
    description="一网 Yiwang — integrated digital-government platform. Errors are RFC 9457 "
    "problem+json with a stable `code`.",
    urls_namespace="api",
)


def _problem(request: HttpRequest, body: dict, status: int) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _problem(request, problem_from_error(exc, request.path), exc.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(
                str(p) for p in err.get("loc", []) if p not in ("body", "query", "path")
            ),
            "code": err.get("type", "invalid"),
            "message": err.get("msg", ""),
        }
        for err in exc.errors
    ]
    body = problem_body(
        status=422,
        code="validation_failed",
        title="Validation failed",
        detail="请求数据不符合要求。",
        instance=request.path,
        errors=errors,
    )
    return _problem(request, body, 422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = problem_body(
        status=401,
        code="not_authenticated",
        title="Authentication required",
        detail="需要登录或有效的 API 令牌。",
        instance=request.path,
    )
    return _problem(request, body, 401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    body = problem_body(
        status=exc.status_code,
        code=f"http_{exc.status_code}",
        title=str(exc.message),
        detail=str(exc.message),
        instance=request.path,
    )
    return _problem(request, body, exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
@api.exception_handler(InternalError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database is unreachable: 503 problem+json with Retry-After, never 500."""
    if not is_database_unavailable(exc):
        raise exc
    return database_unavailable_response(request, exc)


@api.get("/health", tags=["system"], auth=None, summary="Liveness and database check")
def health(request: HttpRequest) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


api.add_router("/accounts", accounts_router)
api.add_router("/workflow", workflow_router)
api.add_router("/catalog", catalog_router)
api.add_router("/cases", cases_router)
api.add_router("/licences", licences_router)
api.add_router("/hotline", hotline_router)
