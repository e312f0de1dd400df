"""Login security (等保 2.0 level 3): lockout, TOTP second factor, login/logout records.

- ``settings.YIWANG_LOGIN_MAX_FAILURES`` wrong passwords or TOTP codes in a row lock the account
  for ``YIWANG_LOGIN_LOCKOUT_MINUTES``; attempts on unknown usernames are counted in the cache so
  that answers never reveal whether an account exists.
- TOTP (RFC 6238, 30 s, 6 digits, ±1 step): the secret is stored SM4-GCM encrypted; a code (its
  time step) is accepted once — a replay within the window is refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import User
from yiwang.accounts.permissions import is_security_admin
from yiwang.accounts.services.audit import ANONYMOUS_ACTOR, audit
from yiwang.core.crypto import (
    constant_time_equal,
    field_encryption_key,
    sm3_hex,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)
from yiwang.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed

TOTP_ISSUER = "一网 Yiwang"
TOTP_STEP_SECONDS = 30
TOTP_VALID_WINDOW = 1  # accept the previous and the next step for clock drift


def max_failures() -> int:
    return int(settings.YIWANG_LOGIN_MAX_FAILURES)


def lockout_duration() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.YIWANG_LOGIN_LOCKOUT_MINUTES))


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return user.locked_until is not None and user.locked_until > now


def _username_key(username: str) -> str:
    return "accounts:login-failures:" + sm3_hex((username or "").strip().lower().encode())[:32]


def unknown_username_failures(username: str) -> int:
    return int(cache.get(_username_key(username), 0))


@transaction.atomic
def record_login_failure(
    user: User | None,
    username: str,
    *,
    reason: str = "password",
    ip: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Count a failed password or TOTP attempt; True when the account is locked afterwards."""
    now = now or timezone.now()
    if user is None:
        key = _username_key(username)
        cache.add(key, 0, timeout=int(lockout_duration().total_seconds()))
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=int(lockout_duration().total_seconds()))
            count = 1
        audit(
            ANONYMOUS_ACTOR,
            "auth.login_failed",
            object_type="accounts.user",
            # An unknown "username" may be someone's phone or ID number: store only a digest.
            payload={"username_sm3": key.rsplit(":", 1)[-1], "reason": "unknown_user", "ip": ip},
        )
        return count >= max_failures()
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count", "locked_until"])
    audit(
        user,
        "auth.login_failed",
        user,
        {"username": user.username, "reason": reason, "ip": ip, "count": user.failed_login_count},
    )
    if user.failed_login_count >= max_failures():
        user.locked_until = now + lockout_duration()
        user.failed_login_count = 0
        User.objects.filter(pk=user.pk).update(locked_until=user.locked_until, failed_login_count=0)
        audit(
            user,
            "auth.account_locked",
            user,
            {"until": user.locked_until.isoformat(), "reason": reason, "ip": ip},
        )
        return True
    return is_locked(user, now)


@transaction.atomic
def clear_expired_lock(user: User, *, now: dt.datetime | None = None) -> None:
    """A lock whose time is over is lifted (and the failure count restarts)."""
    now = now or timezone.now()
    if user.locked_until is not None and user.locked_until <= now:
        User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0)
        user.locked_until = None
        user.failed_login_count = 0


@transaction.atomic
def record_login_refused_while_locked(user: User, *, ip: str = "") -> None:
    audit(user, "auth.login_refused_locked", user, {"ip": ip})


@transaction.atomic
def record_login_success(user: User, *, method: str, ip: str = "") -> None:
    """A password (or OIDC) check succeeded: reset the failure count and record the login."""
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count = 0
    user.locked_until = None
    audit(user, "auth.login_succeeded", user, {"method": method, "ip": ip})


@transaction.atomic
def record_logout(user: User, *, reason: str = "user", ip: str = "") -> None:
    audit(user, "auth.logout", user, {"reason": reason, "ip": ip})


@transaction.atomic
def record_demo_persona_login(by: Any, user: User, *, ip: str = "") -> None:
    """The demo persona switcher signed in as ``user`` (demo mode only)."""
    audit(
        by if getattr(by, "is_authenticated", False) else ANONYMOUS_ACTOR,
        "auth.demo_persona_login",
        user,
        {"username": user.username, "ip": ip},
    )


@transaction.atomic
def unlock_account(by: Any, user: User) -> None:
    if by is not None and not is_security_admin(by):
        raise PermissionDenied("security_admin_required", _("只有安全管理员可以管理账号和角色。"))
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0)
    user.locked_until = None
    user.failed_login_count = 0
    audit(by, "auth.account_unlocked", user, {})


# --- TOTP ------------------------------------------------------------------------------------------


def _totp_aad(user: User) -> bytes:
    return f"accounts.user.totp:{user.pk}".encode()


def totp_secret(user: User) -> str | None:
    """The decrypted base32 secret (pending or confirmed), or None."""
    if not user.totp_secret_encrypted:
        return None
    blob = bytes(user.totp_secret_encrypted)
    return sm4_gcm_decrypt(field_encryption_key(), blob, _totp_aad(user)).decode()


def totp_provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _store_secret(user: User, secret: str) -> None:
    user.totp_secret_encrypted = sm4_gcm_encrypt(
        field_encryption_key(), secret.encode(), _totp_aad(user)
    )


@transaction.atomic
def begin_totp_enrolment(user: User, *, secret: str | None = None) -> str:
    """Create (or return the pending) TOTP secret of a user who has not confirmed one yet."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.totp_confirmed_at is not None:
        raise Conflict("totp_already_enrolled", _("已绑定动态口令，如需更换请联系安全管理员。"))
    pending = totp_secret(user)
    if pending and secret is None:
        return pending
    new_secret = secret or pyotp.random_base32()
    _store_secret(user, new_secret)
    user.totp_last_counter = None
    user.save(update_fields=["totp_secret_encrypted", "totp_last_counter"])
    audit(user, "auth.totp_enrolment_started", user, {})
    return new_secret


def _matching_counter(secret: str, code: str, now: dt.datetime) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for counter in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if constant_time_equal(totp.generate_otp(counter).encode(), code.encode()):
            return counter
    return None


@transaction.atomic
def _consume_code(user: User, code: str, now: dt.datetime, *, confirming: bool) -> str:
    """Check ``code`` and mark its time step used; returns "" on success or a failure code."""
    locked_user = User.objects.select_for_update().get(pk=user.pk)
    if is_locked(locked_user, now):
        return "account_locked"
    if confirming and locked_user.totp_confirmed_at is not None:
        return "totp_already_enrolled"
    if not confirming and locked_user.totp_confirmed_at is None:
        return "totp_not_enrolled"
    secret = totp_secret(locked_user)
    if not secret:
        return "totp_not_enrolled"
    counter = _matching_counter(secret, code, now)
    if counter is None:
        return "totp_invalid"
    updated = User.objects.filter(
        Q(totp_last_counter__isnull=True) | Q(totp_last_counter__lt=counter), pk=user.pk
    ).update(
        totp_last_counter=counter,
        **({"totp_confirmed_at": now} if confirming else {}),
    )
    if not updated:
        return "totp_replayed"
    user.totp_last_counter = counter
    if confirming:
        user.totp_confirmed_at = now
        audit(user, "auth.totp_enrolled", user, {})
    else:
        audit(user, "auth.second_factor_passed", user, {"method": "totp"})
    return ""


_TOTP_MESSAGES = {
    "account_locked": lambda: _("账号已被临时锁定，请稍后再试。"),
    "totp_already_enrolled": lambda: _("已绑定动态口令，如需更换请联系安全管理员。"),
    "totp_not_enrolled": lambda: _("尚未绑定动态口令，请先完成绑定。"),
    "totp_invalid": lambda: _("动态口令不正确或已过期。"),
    "totp_replayed": lambda: _("该动态口令已使用过，请等待下一个口令。"),
}


def _check_code(
    user: User, code: str, *, confirming: bool, ip: str, now: dt.datetime | None
) -> None:
    now = now or timezone.now()
    failure = _consume_code(user, code, now, confirming=confirming)
    if not failure:
        return
    if failure in {"totp_invalid", "totp_replayed"}:
        locked = record_login_failure(user, user.username, reason=failure, ip=ip, now=now)
        if locked:
            failure = "account_locked"
    user.refresh_from_db(fields=["failed_login_count", "locked_until"])
    error_class: type[DomainError] = ValidationFailed
    if failure == "account_locked":
        error_class = PermissionDenied
    elif failure in {"totp_already_enrolled", "totp_not_enrolled"}:
        error_class = Conflict
    raise error_class(failure, _TOTP_MESSAGES[failure](), field="code")


def confirm_totp_enrolment(
    user: User, code: str, *, ip: str = "", now: dt.datetime | None = None
) -> None:
    """Confirm the pending secret with a first code; wrong codes count towards the lockout."""
    _check_code(user, code, confirming=True, ip=ip, now=now)


def verify_totp(user: User, code: str, *, ip: str = "", now: dt.datetime | None = None) -> None:
    """Second factor at login. Raises ``totp_invalid``, ``totp_replayed`` (a code already used),
    ``totp_not_enrolled`` or ``account_locked``; wrong codes count towards the lockout."""
    _check_code(user, code, confirming=False, ip=ip, now=now)


@transaction.atomic
def reset_totp(by: Any, user: User) -> None:
    """The security administrator clears a lost authenticator; the user enrols again."""
    if by is not None and not is_security_admin(by):
        raise PermissionDenied("security_admin_required", _("只有安全管理员可以管理账号和角色。"))
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted=None, totp_confirmed_at=None, totp_last_counter=None
    )
    user.totp_secret_encrypted = None
    user.totp_confirmed_at = None
    user.totp_last_counter = None
    audit(by, "auth.totp_reset", user, {})
