"""Departments' SM2 signing keys: created on first use, rotated with history, private halves
encrypted at rest (SM4-GCM under a key derived from the field-encryption key).

Rotation (``rotate_key`` / ``manage.py rotate_signing_key``) retires the active key and makes a
new one; retired public keys stay published (``published_keys``) so that every licence they
signed keeps verifying. A licence names its key by ``key_id`` (first 32 hex of SM3 of the public
key).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.accounts.models import Department
from yiwang.accounts.services.audit import actor_of
from yiwang.core.crypto import (
    Sm2KeyPair,
    derive_key,
    field_encryption_key,
    sm2_generate_keypair,
    sm3_hex,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)
from yiwang.core.ledger import record_event
from yiwang.licences.models import SigningKey

KEY_LABEL = "yiwang.licences.signing-key.v1"
_HEX = re.compile(r"[0-9a-f]{32}")


def _wrapping_key() -> bytes:
    return derive_key(field_encryption_key(), KEY_LABEL)


def key_id_of(public_hex: str) -> str:
    return sm3_hex(bytes.fromhex(public_hex))[:32]


def spki_der(public_hex: str) -> bytes:
    """The public key as DER SubjectPublicKeyInfo (id-ecPublicKey, curve SM2), for OpenSSL."""
    prefix = bytes.fromhex(
        "3059301306072a8648ce3d020106082a811ccf5501822d03420004"
    )  # SEQ{SEQ{ecPublicKey, sm2p256v1}, BIT STRING 04||x||y}
    return prefix + bytes.fromhex(public_hex)


def public_pem(public_hex: str) -> str:
    import base64
    import textwrap

    body = base64.b64encode(spki_der(public_hex)).decode("ascii")
    lines = "\n".join(textwrap.wrap(body, 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n"


def _create(department: Department) -> SigningKey:
    pair = sm2_generate_keypair()
    key_id = key_id_of(pair.public_hex)
    return SigningKey.objects.create(
        department=department,
        key_id=key_id,
        public_hex=pair.public_hex,
        private_encrypted=sm4_gcm_encrypt(
            _wrapping_key(), bytes.fromhex(pair.private_hex), aad=key_id.encode()
        ),
    )


def active_key(department: Department) -> SigningKey:
    """The department's active key, made on first use (concurrent first uses agree on one)."""
    found = SigningKey.objects.filter(
        department=department, status=SigningKey.Status.ACTIVE
    ).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            made = _create(department)
    except IntegrityError:  # another transaction made it first
        return SigningKey.objects.get(department=department, status=SigningKey.Status.ACTIVE)
    record_event(
        actor="system",
        action="licences.key_created",
        object_type="licences.signingkey",
        object_id=made.key_id,
        payload={"department": department.uscc, "public_key": made.public_hex},
    )
    return made


@functools.lru_cache(maxsize=256)
def _pair(key_id: str, public_hex: str, blob: bytes) -> Sm2KeyPair:
    private = sm4_gcm_decrypt(_wrapping_key(), blob, aad=key_id.encode())
    return Sm2KeyPair(private_hex=private.hex(), public_hex=public_hex)


def keypair(key: SigningKey) -> Sm2KeyPair:
    return _pair(key.key_id, key.public_hex, bytes(key.private_encrypted))


@transaction.atomic
def rotate_key(department: Department, *, actor: Any = "system", reason: str = "") -> SigningKey:
    """Retire the department's active key (if any) and make a new one."""
    now = timezone.now()
    old = list(
        SigningKey.objects.select_for_update().filter(
            department=department, status=SigningKey.Status.ACTIVE
        )
    )
    for key in old:
        key.status, key.retired_at = SigningKey.Status.RETIRED, now
        key.save(update_fields=["status", "retired_at"])
    made = _create(department)
    record_event(
        actor=actor if isinstance(actor, str) else actor_of(actor),
        action="licences.key_rotated",
        object_type="licences.signingkey",
        object_id=made.key_id,
        payload={
            "department": department.uscc,
            "public_key": made.public_hex,
            "retired": [k.key_id for k in old],
            "reason": reason,
        },
    )
    return made


def published_keys() -> list[SigningKey]:
    """Every key, active and retired, with its department (the public key directory)."""
    return list(
        SigningKey.objects.select_related("department").order_by(
            "department__name", "status", "-created_at"
        )
    )


def key_by_id(key_id: str) -> SigningKey | None:
    """The key named ``key_id`` (32 lower-case hex); None for anything else, without a query."""
    if not isinstance(key_id, str) or len(key_id) != 32 or not _HEX.fullmatch(key_id):
        return None
    return SigningKey.objects.select_related("department").filter(key_id=key_id).first()
