"""Password authentication that honours the login lockout (等保 2.0 level 3).

Every answer to a failed attempt is the same (``None``) whether the username is unknown, the
password wrong or the account locked, and each path runs the password hasher once, so neither
the message nor the timing tells an attacker which case he hit. Failures and lockouts are
recorded in the audit ledger by ``services.record_login_failure``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from yiwang.accounts import services
from yiwang.accounts.models import User
from yiwang.accounts.permissions import admin_site_permissions


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


class LockoutAwareBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None or len(username) > 150:
            return None
        now = timezone.now()
        ip = client_ip(request)
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same hashing time as a real check
            services.record_login_failure(None, username, ip=ip, now=now)
            return None
        services.clear_expired_lock(user, now=now)
        if services.is_locked(user, now):
            User().set_password(password)
            services.record_login_refused_while_locked(user, ip=ip)
            return None
        if not (user.check_password(password) and self.user_can_authenticate(user)):
            services.record_login_failure(user, username, ip=ip, now=now)
            return None
        services.record_login_success(user, method="password", ip=ip)
        return user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's permissions plus those the user's administrator duties give in the admin
        site (``permissions.ADMIN_SITE_PERMISSIONS``), cached on the user like Django's."""
        permissions = set(super().get_all_permissions(user_obj, obj))
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return permissions
        if not hasattr(user_obj, "_duty_perm_cache"):
            user_obj._duty_perm_cache = admin_site_permissions(user_obj)
        return permissions | user_obj._duty_perm_cache
