"""Sign-in with a province's unified identity service (统一身份认证) over OpenID Connect.

Enabled with ``YIWANG_OIDC_ENABLED`` and the ``OIDC_*`` settings (mozilla-django-oidc). Claims:

- ``sub``: the provider's stable subject, kept on ``User.external_subject``;
- the ID number claim (``YIWANG_OIDC_ID_NUMBER_CLAIM``, default ``id_card_no``): validated
  (GB 11643) and matched against persons through the blind index, never stored in plain text;
- the name claim (``YIWANG_OIDC_NAME_CLAIM``, default ``name``).

A known person (by ID number) or subject signs in to his account; otherwise a citizen account is
created and linked to the person. Staff who sign in this way still pass TOTP.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from yiwang.accounts import services
from yiwang.accounts.backends import client_ip
from yiwang.accounts.models import User
from yiwang.accounts.selectors import id_number_index
from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import validate_resident_id


def _claim_names() -> tuple[str, str]:
    return (
        getattr(settings, "YIWANG_OIDC_ID_NUMBER_CLAIM", "id_card_no"),
        getattr(settings, "YIWANG_OIDC_NAME_CLAIM", "name"),
    )


def claimed_id_number(claims: dict[str, Any]) -> str | None:
    """The validated ID number from the claims, None when absent; raises when malformed."""
    id_claim, _name_claim = _claim_names()
    raw = claims.get(id_claim)
    if not raw:
        return None
    return validate_resident_id(str(raw), field=id_claim).number


def claimed_name(claims: dict[str, Any]) -> str:
    _id_claim, name_claim = _claim_names()
    return str(claims.get(name_claim) or "").strip()[:100]


class ProvinceOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """A subject is required; an ID number, when given, must be valid."""
        if not str(claims.get("sub") or "").strip():
            return False
        try:
            claimed_id_number(claims)
        except ValidationFailed:
            return False
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        try:
            number = claimed_id_number(claims)
        except ValidationFailed:
            return User.objects.none()
        if number:
            return User.objects.filter(person__id_number_index=id_number_index(number))
        subject = str(claims.get("sub") or "").strip()
        if not subject:
            return User.objects.none()
        return User.objects.filter(external_subject=subject)

    def create_user(self, claims: dict[str, Any]) -> User:
        return services.create_oidc_user(
            subject=str(claims.get("sub") or "").strip(),
            name=claimed_name(claims),
            id_number=claimed_id_number(claims),
        )

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        return services.update_oidc_user(
            user, subject=str(claims.get("sub") or "").strip(), name=claimed_name(claims)
        )

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        user = super().authenticate(request, **kwargs)
        if user is not None and services.is_locked(user):
            return None
        if user is not None:
            services.record_login_success(user, method="oidc", ip=client_ip(request))
        return user
