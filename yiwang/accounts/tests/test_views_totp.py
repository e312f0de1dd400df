"""The second factor: staff and administrators must pass TOTP; codes are single-use."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.conf import settings

from yiwang.accounts import services
from yiwang.accounts.login_session import SECOND_FACTOR_KEY
from yiwang.accounts.models import User
from yiwang.accounts.tests.factories import (
    PASSWORD,
    enrol_totp,
    ledger_entries,
    login_as,
    make_citizen,
    make_staff,
    make_user,
    totp_code,
)
from yiwang.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/totp/"
SETUP = "/accounts/totp/setup/"


def _wrong_code(user: User) -> str:
    """A code that matches none of the steps in the current window."""
    now = dt.datetime.now(tz=dt.UTC)
    window = {totp_code(user, now + dt.timedelta(seconds=30 * k)) for k in range(-2, 3)}
    return next(
        c for c in ("000000", "123456", "654321", "999999", "111111", "222222") if c not in window
    )


def _password_login(client, user: User):
    return client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "/accounts/me/"}
    )


def test_staff_without_totp_are_sent_to_enrolment_after_the_password(client) -> None:
    staff = make_staff(username="clerk1")
    response = _password_login(client, staff)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    assert client.session[SECOND_FACTOR_KEY] is False


def test_staff_with_totp_are_asked_for_a_code_after_the_password(client) -> None:
    staff = make_staff(username="clerk1", totp=True)
    response = _password_login(client, staff)
    assert response["Location"].startswith(VERIFY)


@pytest.mark.parametrize("path", ["/accounts/me/", "/accounts/tokens/", "/", "/admin/"])
def test_staff_cannot_reach_pages_before_the_second_factor(client, path) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_staff_without_second_factor_are_anonymous_to_the_api(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_citizens_need_no_second_factor(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen, second_factor=False)
    assert client.get("/accounts/me/").status_code == 200


def test_a_django_admin_user_needs_the_second_factor_too(client) -> None:
    user = make_user(kind=User.Kind.PERSON)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    login_as(client, User.objects.get(pk=user.pk), second_factor=False)
    assert client.get("/accounts/me/")["Location"].startswith(SETUP)


def test_the_login_logout_and_totp_pages_stay_reachable(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    assert client.get(VERIFY).status_code == 200
    assert client.get(LOGIN).status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(client) -> None:
    staff = make_staff()
    login_as(client, staff, second_factor=False)
    page = client.get(SETUP + "?next=/accounts/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert client.get(SETUP).content.decode().count(secret) == 1  # the same secret on reload
    key_before = client.session.session_key
    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now(), "next": "/accounts/me/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    assert client.session[SECOND_FACTOR_KEY] is True
    assert client.session.session_key != key_before
    staff.refresh_from_db()
    assert staff.totp_confirmed_at is not None
    assert secret.encode() not in bytes(staff.totp_secret_encrypted)
    assert client.get("/accounts/me/").status_code == 200


def test_a_wrong_code_is_refused_and_counted(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    response = client.post(VERIFY, {"code": _wrong_code(staff)})
    assert response.status_code == 200
    assert "动态口令不正确" in response.content.decode()
    staff.refresh_from_db()
    assert staff.failed_login_count == 1
    assert client.session[SECOND_FACTOR_KEY] is False


def test_the_right_code_passes_and_rotates_the_session(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    key_before = client.session.session_key
    response = client.post(VERIFY, {"code": totp_code(staff), "next": "/accounts/tokens/"})
    assert response["Location"] == "/accounts/tokens/"
    assert client.session.session_key != key_before
    assert client.get("/accounts/tokens/").status_code == 200
    assert ledger_entries("auth.second_factor_passed")[-1].actor == f"user:{staff.pk}"


def test_a_code_cannot_be_replayed_within_its_window(client) -> None:
    staff = make_staff(totp=True)
    now = dt.datetime.now(tz=dt.UTC)
    code = totp_code(staff, now)
    services.verify_totp(staff, code, now=now)
    with pytest.raises(ValidationFailed) as exc:
        services.verify_totp(staff, code, now=now + dt.timedelta(seconds=10))
    assert exc.value.code == "totp_replayed"
    # An older step inside the window is refused too once a later one was used.
    with pytest.raises(ValidationFailed):
        services.verify_totp(staff, totp_code(staff, now - dt.timedelta(seconds=30)), now=now)
    # The next step's code works.
    later = now + dt.timedelta(seconds=30)
    services.verify_totp(staff, totp_code(staff, later), now=later)


def test_a_replayed_code_is_refused_through_the_page(client) -> None:
    staff = make_staff(totp=True)
    code = totp_code(staff)
    services.verify_totp(staff, code)
    login_as(client, staff, second_factor=False)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "已使用过" in response.content.decode()
    assert client.session[SECOND_FACTOR_KEY] is False


def test_codes_far_outside_the_window_are_refused() -> None:
    staff = make_staff(totp=True)
    now = dt.datetime.now(tz=dt.UTC)
    with pytest.raises(ValidationFailed) as exc:
        services.verify_totp(staff, totp_code(staff, now - dt.timedelta(minutes=3)), now=now)
    assert exc.value.code == "totp_invalid"


def test_five_wrong_codes_lock_the_account_and_sign_out(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    wrong = _wrong_code(staff)
    for _attempt in range(settings.YIWANG_LOGIN_MAX_FAILURES - 1):
        client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.session.get("_auth_user_id") is None
    staff.refresh_from_db()
    assert staff.locked_until is not None
    assert ledger_entries("auth.account_locked")[-1].payload["reason"] == "totp_invalid"


def test_enrolment_cannot_restart_once_confirmed_until_the_security_admin_resets_it() -> None:
    staff = make_staff(totp=True)
    with pytest.raises(Conflict):
        services.begin_totp_enrolment(staff)
    secadmin = make_staff(admin_duty="security", scope="region_subtree")
    services.reset_totp(secadmin, staff)
    staff.refresh_from_db()
    assert staff.totp_confirmed_at is None
    assert services.begin_totp_enrolment(staff)


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "abcdef", "１２３４５６", "12 34 5x", "9" * 50]
)
def test_malformed_codes_are_form_errors_not_crashes(client, code) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.failed_login_count == 0  # not even a guess: no failure counted


def test_a_code_with_spaces_is_accepted(client) -> None:
    staff = make_staff(totp=True)
    login_as(client, staff, second_factor=False)
    code = totp_code(staff)
    response = client.post(VERIFY, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_an_enrolled_secret_is_stored_encrypted() -> None:
    staff = make_staff()
    secret = enrol_totp(staff)
    raw = bytes(User.objects.get(pk=staff.pk).totp_secret_encrypted)
    assert secret.encode() not in raw
    assert services.totp_secret(staff) == secret
