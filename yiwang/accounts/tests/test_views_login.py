"""Password login: one generic message, lockout after 5 failures for 30 minutes, session rotation,
idle timeout, and no 500 on garbage input."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from yiwang.accounts.login_session import LAST_ACTIVITY_KEY
from yiwang.accounts.models import User
from yiwang.accounts.tests.factories import (
    PASSWORD,
    ledger_entries,
    login_as,
    make_citizen,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
GENERIC = "账号或密码错误，或账号已被临时锁定"


def _login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def _signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_citizen_logs_in_with_the_right_password(client) -> None:
    citizen = make_citizen(username="citizen1")
    response = _login(client, "citizen1", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert _signed_in_user_id(client) == str(citizen.pk)
    entry = ledger_entries("auth.login_succeeded")[-1]
    assert entry.actor == f"user:{citizen.pk}" and entry.payload["method"] == "password"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client) -> None:
    make_citizen(username="citizen1")
    wrong = _login(client, "citizen1", "not-the-password")
    unknown = _login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC in wrong.content.decode() and GENERIC in unknown.content.decode()
    assert _signed_in_user_id(client) is None
    failures = ledger_entries("auth.login_failed")
    assert [e.payload["reason"] for e in failures] == ["password", "unknown_user"]
    assert "nobody-here" not in failures[1].payload_json


def test_five_failures_lock_the_account_even_against_the_right_password(client) -> None:
    citizen = make_citizen(username="citizen1")
    for _attempt in range(settings.YIWANG_LOGIN_MAX_FAILURES):
        _login(client, "citizen1", "wrong-password")
    citizen.refresh_from_db()
    assert citizen.locked_until is not None
    remaining = citizen.locked_until - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)
    response = _login(client, "citizen1", PASSWORD)
    assert GENERIC in response.content.decode()
    assert _signed_in_user_id(client) is None
    assert len(ledger_entries("auth.account_locked")) == 1
    assert len(ledger_entries("auth.login_refused_locked")) == 1


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client) -> None:
    citizen = make_citizen(username="citizen1")
    for _attempt in range(settings.YIWANG_LOGIN_MAX_FAILURES - 1):
        _login(client, "citizen1", "wrong-password")
    assert _login(client, "citizen1", PASSWORD).status_code == 302
    citizen.refresh_from_db()
    assert citizen.failed_login_count == 0 and citizen.locked_until is None


def test_the_lock_is_released_after_thirty_minutes(client) -> None:
    citizen = make_citizen(username="citizen1")
    for _attempt in range(settings.YIWANG_LOGIN_MAX_FAILURES):
        _login(client, "citizen1", "wrong-password")
    # Time travel: the lock was set 30 minutes and 1 second ago.
    User.objects.filter(pk=citizen.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    response = _login(client, "citizen1", PASSWORD)
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(citizen.pk)


def test_after_a_released_lock_the_count_starts_again(client) -> None:
    citizen = make_citizen(username="citizen1")
    User.objects.filter(pk=citizen.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1), failed_login_count=4
    )
    _login(client, "citizen1", "wrong-password")
    citizen.refresh_from_db()
    assert citizen.locked_until is None and citizen.failed_login_count == 1


def test_the_session_key_changes_on_login(client) -> None:
    make_citizen(username="citizen1")
    session = client.session
    session["before_login"] = True
    session.save()
    key_before = client.cookies[settings.SESSION_COOKIE_NAME].value
    _login(client, "citizen1", PASSWORD)
    key_after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert key_after != key_before
    assert client.session.get("_auth_user_id") is not None


def test_an_idle_session_is_signed_out_after_thirty_minutes(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    assert client.get("/accounts/me/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.YIWANG_IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert _signed_in_user_id(client) is None
    assert ledger_entries("auth.logout")[-1].payload["reason"] == "idle_timeout"
    assert "长时间未操作" in client.get(response["Location"]).content.decode()


def test_activity_keeps_the_session_alive(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.YIWANG_IDLE_TIMEOUT_MINUTES * 60 + 60
    session.save()
    assert client.get("/accounts/me/").status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] >= int(time.time()) - 5


def test_an_idle_api_session_answers_401(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    session = client.session
    session[LAST_ACTIVITY_KEY] = 0
    session.save()
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_logout_is_post_only_and_recorded(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert _signed_in_user_id(client) is None
    assert ledger_entries("auth.logout")[-1].payload["reason"] == "user"


def test_the_login_page_ignores_a_foreign_next_url(client) -> None:
    make_citizen(username="citizen1")
    response = client.post(
        LOGIN, {"username": "citizen1", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": ""},
        {"username": "x" * 5000, "password": "y"},
        {"username": "citizen1"},
        {"password": PASSWORD},
        {"username": "citizen1", "password": "p" * 100_000},
        {"username": "\x00\x01", "password": "\x00"},
        {"username": ["a", "b"], "password": ["c", "d"]},
    ],
)
def test_garbage_login_posts_never_crash(client, data) -> None:
    make_citizen(username="citizen1")
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert _signed_in_user_id(client) is None


def test_a_raw_binary_login_body_never_crashes(client) -> None:
    response = client.post(
        LOGIN, data=b"\xff\xfe\x00garbage", content_type="application/octet-stream"
    )
    assert response.status_code in {200, 403}
