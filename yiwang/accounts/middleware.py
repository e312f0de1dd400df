"""Session middleware for the 等保 login rules: idle timeout and the staff second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from yiwang.accounts import services
from yiwang.accounts.backends import client_ip
from yiwang.accounts.login_session import LAST_ACTIVITY_KEY, needs_second_factor, touch

API_PREFIXES = ("/api/", "/open311/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def _login_redirect(
    request: HttpRequest, url_name: str, *, timed_out: bool = False
) -> HttpResponseRedirect:
    query: dict[str, str] = {}
    if request.method == "GET":
        query["next"] = request.get_full_path()
    if timed_out:
        query["timeout"] = "1"
    target = reverse(url_name)
    return HttpResponseRedirect(f"{target}?{urlencode(query)}" if query else target)


class IdleTimeoutMiddleware:
    """Sign out a session idle for more than ``YIWANG_IDLE_TIMEOUT_MINUTES``.

    The last activity (epoch seconds) lives in the session; every authenticated request renews it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            limit = int(settings.YIWANG_IDLE_TIMEOUT_MINUTES) * 60
            # A session without a timestamp (force_login, another login path) starts counting now.
            if isinstance(last, int | float) and now - float(last) > limit:
                services.record_logout(user, reason="idle_timeout", ip=client_ip(request))
                logout(request)
                if not _is_api(request):
                    # The message middleware runs later; the login page shows the notice.
                    return _login_redirect(request, settings.LOGIN_URL, timed_out=True)
            else:
                touch(request, now)
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """Staff and administrators who have not passed TOTP in this session reach only the login,
    logout, TOTP and persona pages, static files and the language switch.

    HTML requests are redirected to TOTP enrolment or verification; API requests continue as
    anonymous (so the endpoint answers 401 unless a bearer token authenticates them).
    """

    EXEMPT_URL_NAMES = (
        "accounts:login",
        "accounts:logout",
        "accounts:totp_verify",
        "accounts:totp_setup",
        "accounts:personas",
    )
    EXEMPT_PREFIXES = ("/i18n/", "/accounts/oidc/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._exempt_paths: frozenset[str] | None = None

    def _exempt(self, request: HttpRequest) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = frozenset(reverse(name) for name in self.EXEMPT_URL_NAMES)
        path = request.path
        return (
            path in self._exempt_paths
            or path.startswith(self.EXEMPT_PREFIXES)
            or path.startswith(settings.STATIC_URL)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_second_factor(request):
            if _is_api(request):
                request.user = AnonymousUser()
            elif not self._exempt(request):
                user = request.user
                name = (
                    "accounts:totp_verify"
                    if getattr(user, "totp_confirmed_at", None)
                    else "accounts:totp_setup"
                )
                return _login_redirect(request, name)
        return self.get_response(request)
