"""The SM2 key that signs checkpoints, and the public keys trusted when verifying them."""

from __future__ import annotations

import functools

from django.conf import settings

from yiwang.core.crypto import CryptoError, Sm2KeyPair, sm2_public_from_private, sm3

DEV_KEY_TAG = b"yiwang.ledger.dev-signing-key.v1\x00"
# Order of the SM2 curve group (GB/T 32918.5): a private key is in [1, n - 2].
_SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


@functools.lru_cache(maxsize=8)
def _keypair_for(private_hex: str) -> Sm2KeyPair:
    return Sm2KeyPair(private_hex=private_hex, public_hex=sm2_public_from_private(private_hex))


def _dev_private_key(secret_key: str) -> str:
    """A deterministic development key: SM3(DEV_KEY_TAG ‖ SECRET_KEY), re-hashed until valid."""
    digest = sm3(DEV_KEY_TAG + secret_key.encode("utf-8"))
    while not 1 <= int.from_bytes(digest, "big") <= _SM2_N - 2:  # pragma: no cover - ~2^-32
        digest = sm3(digest)
    return digest.hex()


def signing_keypair() -> Sm2KeyPair:
    """The SM2 key that signs checkpoints.

    ``YIWANG_LEDGER_SM2_PRIVATE_KEY`` (64 hex) when set, as production requires; otherwise a
    development key derived from ``SECRET_KEY``, which is only as secret as ``SECRET_KEY``.
    """
    private_hex = (settings.YIWANG_LEDGER_SM2_PRIVATE_KEY or "").strip().lower()
    if not private_hex:
        private_hex = _dev_private_key(settings.SECRET_KEY)
    try:
        return _keypair_for(private_hex)
    except CryptoError as exc:
        raise CryptoError(f"YIWANG_LEDGER_SM2_PRIVATE_KEY is not a valid SM2 key: {exc}") from exc


def trusted_public_keys() -> frozenset[str]:
    """Public keys whose checkpoints verify: the current one and retired ones (key rotation)."""
    retired = getattr(settings, "YIWANG_LEDGER_SM2_RETIRED_PUBLIC_KEYS", ()) or ()
    return frozenset({signing_keypair().public_hex, *(k.strip().lower() for k in retired if k)})
