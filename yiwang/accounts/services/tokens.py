"""API tokens for machine clients: shown once, stored as an SM3 digest plus a display prefix.

Token format: ``yw_<8-char prefix>_<43-char secret>``. A token acts as its user (same roles and
scopes), never needs the second factor, and cannot be used to create further tokens.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import ApiToken, User
from yiwang.accounts.permissions import is_security_admin
from yiwang.accounts.services.audit import audit
from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import PermissionDenied, ValidationFailed

TOKEN_SCHEME = "yw"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_digest(plain: str) -> str:
    return sm3_hex(plain.encode())


@transaction.atomic
def create_api_token(
    user: User,
    name: str,
    *,
    expires_in_days: int | None = DEFAULT_TOKEN_DAYS,
    by: Any = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token (shown once, not stored).

    A user creates his own tokens; the security administrator may create them for service
    accounts. ``expires_in_days`` is 1–365 (default 90).
    """
    for_someone_else = by is not None and by.pk != user.pk
    if for_someone_else and not (is_security_admin(by) and user.kind == User.Kind.SERVICE):
        raise PermissionDenied("token_owner_required", _("只能为自己或系统账号创建令牌。"))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            "token_name_required", _("请填写1–100个字符的令牌名称。"), field="name"
        )
    if expires_in_days is None or not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            "invalid_token_lifetime",
            _("令牌有效期应为1–%(max)d天。") % {"max": MAX_TOKEN_DAYS},
            field="expires_in_days",
        )
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _i in range(8))
    plain = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=token_digest(plain), expires_at=expires_at
    )
    audit(
        by if by is not None else user,
        "accounts.api_token.created",
        token,
        {
            "user_id": user.pk,
            "name": name,
            "prefix": prefix,
            "expires_at": expires_at.isoformat(),
        },
    )
    return token, plain


@transaction.atomic
def revoke_api_token(by: Any, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent). The owner or the security administrator may revoke it."""
    if by is not None and by.pk != token.user_id and not is_security_admin(by):
        raise PermissionDenied("token_owner_required", _("只能撤销自己的令牌。"))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(
            by,
            "accounts.api_token.revoked",
            token,
            {"user_id": token.user_id, "prefix": token.prefix},
        )
    return token


def authenticate_api_token(plain: str, *, now: dt.datetime | None = None) -> User | None:
    """The active user of a valid, unrevoked, unexpired token, else None."""
    plain = (plain or "").strip()
    if not plain.startswith(f"{TOKEN_SCHEME}_") or len(plain) > 200:
        return None
    now = now or timezone.now()
    # The person (if any) comes along: most token callers are citizens' apps that submit cases.
    # ``digest`` is unique: no ordering, no LIMIT (``first()`` would sort by the model's order).
    token = next(
        iter(
            ApiToken.objects.select_related("user", "user__person")
            .filter(digest=token_digest(plain))
            .order_by()
        ),
        None,
    )
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
