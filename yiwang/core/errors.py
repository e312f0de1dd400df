"""Typed domain errors with stable machine codes.

Services raise ``DomainError`` (or a subclass); adapters render it exactly once:
the API as RFC 9457 ``application/problem+json`` (``yiwang.core.problems``), HTML views as a
form error or a message (``yiwang.core.middleware.DomainErrorMiddleware``).

Codes are part of the public contract: clients branch on them, so never rename one.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused the request. ``code`` is stable; ``message`` is for people."""

    status: int = 400
    default_code: str = "domain_error"
    title: str = "Request refused"

    def __init__(
        self,
        code: str | None = None,
        message: str | Promise | None = None,
        *,
        field: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = str(message) if message is not None else self.code
        self.field = field
        if status is not None:
            self.status = status
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message}")


class ValidationFailed(DomainError):
    """Input is well-formed JSON/form data but breaks a rule (e.g. a bad check digit)."""

    status = 422
    default_code = "validation_failed"
    title = "Validation failed"


class NotFound(DomainError):
    """The object does not exist *or the user may not see it* (never tell the two apart)."""

    status = 404
    default_code = "not_found"
    title = "Not found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
    title = "Permission denied"


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"
    title = "Authentication required"


class Conflict(DomainError):
    """The request conflicts with the object's current state (illegal transition, duplicate)."""

    status = 409
    default_code = "conflict"
    title = "Conflict"


class RateLimited(DomainError):
    status = 429
    default_code = "rate_limited"
    title = "Too many requests"


class ServiceUnavailable(DomainError):
    status = 503
    default_code = "service_unavailable"
    title = "Service unavailable"
