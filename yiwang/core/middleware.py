"""Cross-cutting HTTP middleware: security headers and HTML rendering of domain errors."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.core.errors import DomainError


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
