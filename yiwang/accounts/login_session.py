"""What the session records about a login: second factor passed, last activity.

Django's ``login()`` rotates the session key and flushes it when another user was signed in;
``mark_second_factor_passed`` rotates it once more, so the key an attacker might have planted or
seen before the second factor is worthless afterwards.
"""

from __future__ import annotations

import time

from django.contrib.auth import login
from django.http import HttpRequest

from yiwang.accounts.models import User
from yiwang.accounts.permissions import requires_second_factor

SECOND_FACTOR_KEY = "yiwang.second_factor"
LAST_ACTIVITY_KEY = "yiwang.last_activity"
PASSWORD_BACKEND = "yiwang.accounts.backends.LockoutAwareBackend"


def second_factor_passed(request: HttpRequest) -> bool:
    return bool(request.session.get(SECOND_FACTOR_KEY))


def needs_second_factor(request: HttpRequest) -> bool:
    """The signed-in user must still pass TOTP in this session."""
    user = getattr(request, "user", None)
    return bool(
        user is not None and requires_second_factor(user) and not second_factor_passed(request)
    )


def touch(request: HttpRequest, now: float | None = None) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(now if now is not None else time.time())


def start_session(request: HttpRequest, user: User, *, backend: str = PASSWORD_BACKEND) -> None:
    """Sign ``user`` in (new session key), second factor not yet passed."""
    login(request, user, backend=backend)
    request.session[SECOND_FACTOR_KEY] = False
    touch(request)


def mark_second_factor_passed(request: HttpRequest) -> None:
    request.session.cycle_key()
    request.session[SECOND_FACTOR_KEY] = True
    touch(request)
