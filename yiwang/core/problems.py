"""RFC 9457 problem details: the one place DomainError becomes an HTTP body."""

from __future__ import annotations

from typing import Any

from yiwang.core.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://yiwang.example.gov.cn/problems/"


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str = "",
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_from_error(error: DomainError, instance: str = "") -> dict[str, Any]:
    errors = None
    if error.field:
        errors = [{"field": error.field, "code": error.code, "message": error.message}]
    return problem_body(
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.message,
        instance=instance,
        errors=errors,
        **({"details": error.details} if error.details else {}),
    )
