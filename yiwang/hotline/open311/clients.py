"""Machine clients of the Open311 facade (接口接入方) and their ``api_key``.

Key format: ``o311_<43 URL-safe characters>`` (256 random bits). The key is shown once, when the
client is created; the database keeps its first 8 characters (``key_prefix``, to find the row
and to name the client in lists) and its SHA-256 (``key_hash``). A presented key is looked up by
its prefix and compared with ``hmac.compare_digest``, so the comparison takes the same time
however much of the key is right. A revoked client (``is_active`` false) is refused like an
unknown key. Creation and revocation are ledger entries (``hotline.api_client.*``) carrying the
prefix, never the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.shared import actor_of
from yiwang.core.errors import ValidationFailed
from yiwang.core.ledger import record_event
from yiwang.hotline.models import ApiClient, Channel

KEY_SCHEME = "o311_"
PREFIX_LENGTH = 8
MAX_KEY_LENGTH = 200
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often per client (one UPDATE, not one per request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_KEY_SHAPE = re.compile(rf"{KEY_SCHEME}[A-Za-z0-9_-]{{8,{MAX_KEY_LENGTH}}}")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key() -> str:
    return KEY_SCHEME + secrets.token_urlsafe(32)


@transaction.atomic
def create_api_client(
    name: str, channel: str = Channel.API, *, by: Any = None
) -> tuple[ApiClient, str]:
    """Register a machine client; returns the row and its ``api_key`` (shown once, not stored)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            "client_name_required",
            _("请填写1–%(max)d个字符的接入方名称。") % {"max": MAX_NAME_LENGTH},
            field="name",
        )
    if channel not in Channel.values:
        raise ValidationFailed("unknown_channel", _("来源渠道无效。"), field="channel")
    key = _new_key()
    while ApiClient.objects.filter(key_prefix=key[:PREFIX_LENGTH]).exists():
        key = _new_key()  # practically never: keep prefixes unique so a list can name a key
    client = ApiClient.objects.create(
        name=name, key_prefix=key[:PREFIX_LENGTH], key_hash=key_hash(key), channel=channel
    )
    record_event(
        actor=actor_of(by),
        action="hotline.api_client.created",
        object_type="hotline.apiclient",
        object_id=str(client.pk),
        payload={"name": name, "channel": channel, "key_prefix": client.key_prefix},
    )
    return client, key


@transaction.atomic
def revoke_api_client(client: ApiClient, *, by: Any = None) -> ApiClient:
    """Switch a client off (idempotent): its key is refused from now on."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.is_active:
        client.is_active = False
        client.save(update_fields=["is_active"])
        record_event(
            actor=actor_of(by),
            action="hotline.api_client.revoked",
            object_type="hotline.apiclient",
            object_id=str(client.pk),
            payload={"key_prefix": client.key_prefix},
        )
    return client


def client_for_key(key: Any, *, now: dt.datetime | None = None) -> ApiClient | None:
    """The active client whose key this is, else None (unknown, malformed or revoked)."""
    if not isinstance(key, str):
        return None
    key = key.strip()
    if not _KEY_SHAPE.fullmatch(key):  # also keeps NUL and the like away from the database
        return None
    presented = key_hash(key)
    match: ApiClient | None = None
    for candidate in ApiClient.objects.filter(key_prefix=key[:PREFIX_LENGTH]).order_by("pk"):
        if hmac.compare_digest(candidate.key_hash, presented):
            match = candidate
    if match is None or not match.is_active:
        return None
    now = now or timezone.now()
    if match.last_used_at is None or now - match.last_used_at >= LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=match.pk).update(last_used_at=now)
        match.last_used_at = now
    return match
