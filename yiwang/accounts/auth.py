"""Authentication classes for django-ninja routers.

Every app's router uses one of these; ``request.auth`` is then always the ``User``::

    from yiwang.accounts.auth import ApiTokenAuth, SessionOrTokenAuth

    router = Router(tags=["cases"], auth=SessionOrTokenAuth())

- ``ApiTokenAuth``: ``Authorization: Bearer yw_…`` (machine clients). A presented but invalid,
  revoked or expired token answers 401 at once; it never falls back to the session.
- ``VerifiedSessionAuth``: the browser session, CSRF-checked on unsafe methods, and only once the
  second factor has been passed for staff.
- ``SessionOrTokenAuth()``: both, token first.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from yiwang.accounts import services
from yiwang.accounts.login_session import needs_second_factor


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.authenticate_api_token(token)
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class VerifiedSessionAuth(APIKeyCookie):
    """Django's session login, with CSRF protection and the second factor required for staff."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        if key is None:
            return None  # no session cookie: nothing to protect, no CSRF check needed
        csrf_required = self.csrf and not getattr(request, "_ninja_csrf_exempt", False)
        if csrf_required and check_csrf(request):
            raise HttpError(403, "CSRF check failed")
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        if needs_second_factor(request):
            return None
        return user


class SessionOrTokenAuth(list):
    """``auth=SessionOrTokenAuth()``: a bearer token, else the verified browser session."""

    def __init__(self) -> None:
        super().__init__([ApiTokenAuth(), VerifiedSessionAuth()])


class SessionOnlyAuth(list):
    """For endpoints a token must not reach (e.g. minting tokens)."""

    def __init__(self) -> None:
        super().__init__([VerifiedSessionAuth()])
