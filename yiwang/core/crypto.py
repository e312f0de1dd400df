"""National cryptography (商用密码) behind one small interface.

- SM3 hash and HMAC-SM3, SM4-GCM: OpenSSL through ``cryptography``.
- SM2 sign/verify/encrypt/decrypt: GmSSL's C implementation through ``gmssl_pyx``.

Formats, fixed here so that callers never think about them:
- keys are hex strings: private 64 hex (32 bytes), public 128 hex (64 bytes, x||y, no 04 prefix);
- signatures are ASN.1 DER ``SEQUENCE {r, s}`` (GM/T 0009) over SM3 with Z computed from the signer
  id, default ``1234567812345678``;
- SM2 ciphertext is ASN.1 DER in C1C3C2 order (GM/T 0009); ``c1c3c2_raw`` converts to the raw
  ``04||x||y||C3||C2`` byte string other libraries expect (never the old C1C2C3 order).
- SM4 ciphertext is ``nonce(12) || ciphertext || tag(16)``.

Pure-Python SM2 is ~1000× slower; do not add one here.
"""

from __future__ import annotations

import hmac as _hmac
import os
from dataclasses import dataclass

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SM2_DEFAULT_USER_ID = b"1234567812345678"
SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16


class CryptoError(ValueError):
    """A key, signature or ciphertext is malformed, or decryption/verification failed."""


# --- SM3 -------------------------------------------------------------------------------------


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes) -> str:
    return sm3(data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac.compare_digest(a, b)


# --- SM4 -------------------------------------------------------------------------------------


def _check_sm4_key(key: bytes) -> None:
    if len(key) != SM4_KEY_BYTES:
        raise CryptoError(f"SM4 key must be {SM4_KEY_BYTES} bytes, got {len(key)}")


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Authenticated encryption; returns nonce || ciphertext || tag."""
    _check_sm4_key(key)
    nonce = os.urandom(GCM_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    _check_sm4_key(key)
    if len(blob) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise CryptoError("SM4 ciphertext is too short")
    nonce, body, tag = (
        blob[:GCM_NONCE_BYTES],
        blob[GCM_NONCE_BYTES:-GCM_TAG_BYTES],
        blob[-GCM_TAG_BYTES:],
    )
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise CryptoError("SM4 ciphertext failed authentication") from exc


def sm4_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One raw SM4 block (for known-answer tests only; never use ECB for data)."""
    _check_sm4_key(key)
    if len(block) != 16:
        raise CryptoError("SM4 block must be 16 bytes")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - KAT only
    return encryptor.update(block) + encryptor.finalize()


# --- SM2 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sm2KeyPair:
    private_hex: str
    public_hex: str


def _public_bytes(public_hex: str) -> bytes:
    try:
        raw = bytes.fromhex(public_hex)
    except ValueError as exc:
        raise CryptoError("SM2 public key is not hex") from exc
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise CryptoError("SM2 public key must be 64 bytes (x||y)")
    return raw


def _private_bytes(private_hex: str) -> bytes:
    try:
        raw = bytes.fromhex(private_hex)
    except ValueError as exc:
        raise CryptoError("SM2 private key is not hex") from exc
    if len(raw) != 32:
        raise CryptoError("SM2 private key must be 32 bytes")
    return raw


def sm2_generate_keypair() -> Sm2KeyPair:
    public, private = gmssl_pyx.sm2_key_generate()
    return Sm2KeyPair(private_hex=private.hex(), public_hex=public.hex())


def sm2_public_from_private(private_hex: str) -> str:
    """Derive the public key (x||y hex) from a private key."""
    from cryptography.hazmat.primitives.asymmetric import ec  # local: rarely needed

    scalar = int.from_bytes(_private_bytes(private_hex), "big")
    try:
        curve = ec.SM2()  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - depends on the OpenSSL build
        curve = None
    if curve is not None:
        try:
            numbers = ec.derive_private_key(scalar, curve).public_key().public_numbers()
            return f"{numbers.x:064x}{numbers.y:064x}"
        except Exception:  # noqa: S110 - fall back to the pure arithmetic below
            pass
    return _sm2_scalar_mult_public(scalar)


def _sm2_scalar_mult_public(k: int) -> str:
    """Public key = k·G on the SM2 curve (GB/T 32918.5), affine double-and-add."""
    p = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
    a = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
    gx = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
    gy = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

    def add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        if p1[0] == p2[0] and (p1[1] + p2[1]) % p == 0:
            return None
        if p1 == p2:
            lam = (3 * p1[0] * p1[0] + a) * pow(2 * p1[1], -1, p) % p
        else:
            lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, p) % p
        x3 = (lam * lam - p1[0] - p2[0]) % p
        return x3, (lam * (p1[0] - x3) - p1[1]) % p

    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = (gx, gy)
    while k:
        if k & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        k >>= 1
    if result is None:
        raise CryptoError("invalid SM2 private key")
    return f"{result[0]:064x}{result[1]:064x}"


def sm2_sign(
    private_hex: str, public_hex: str, message: bytes, user_id: bytes = SM2_DEFAULT_USER_ID
) -> bytes:
    """Sign ``message`` (SM3 with Z from ``user_id``); returns a DER signature."""
    try:
        return gmssl_pyx.sm2_sign(
            _private_bytes(private_hex), _public_bytes(public_hex), message, signer_id=user_id
        )
    except gmssl_pyx.GmsslInnerError as exc:
        raise CryptoError(f"SM2 signing failed: {exc}") from exc


def sm2_verify(
    public_hex: str, message: bytes, signature: bytes, user_id: bytes = SM2_DEFAULT_USER_ID
) -> bool:
    """True when ``signature`` is valid for ``message``; False for a wrong or malformed one."""
    try:
        return bool(
            gmssl_pyx.sm2_verify(_public_bytes(public_hex), message, signature, signer_id=user_id)
        )
    except (gmssl_pyx.GmsslInnerError, ValueError, TypeError):
        return False


SM2_MAX_PLAINTEXT = 255


def sm2_encrypt(public_hex: str, plaintext: bytes) -> bytes:
    """Encrypt up to 255 bytes (wrap an SM4 key for more); DER, C1C3C2 order."""
    if not 1 <= len(plaintext) <= SM2_MAX_PLAINTEXT:
        raise CryptoError("SM2 encrypts 1–255 bytes; wrap an SM4 key for longer data")
    try:
        return gmssl_pyx.sm2_encrypt(_public_bytes(public_hex), plaintext)
    except gmssl_pyx.GmsslInnerError as exc:
        raise CryptoError(f"SM2 encryption failed: {exc}") from exc


def sm2_decrypt(private_hex: str, ciphertext: bytes) -> bytes:
    try:
        return gmssl_pyx.sm2_decrypt(_private_bytes(private_hex), ciphertext)
    except (gmssl_pyx.GmsslInnerError, ValueError) as exc:
        raise CryptoError("SM2 decryption failed") from exc


# --- DER ⇄ raw C1C3C2 ---------------------------------------------------------------------------


def _der_read(data: bytes, pos: int, expected_tag: int) -> tuple[bytes, int]:
    if pos >= len(data) or data[pos] != expected_tag:
        raise CryptoError("malformed DER")
    pos += 1
    length = data[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2:
            raise CryptoError("malformed DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise CryptoError("truncated DER")
    return data[pos:end], end


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_int(value: bytes) -> bytes:
    stripped = value.lstrip(b"\x00") or b"\x00"
    if stripped[0] & 0x80:
        stripped = b"\x00" + stripped
    return b"\x02" + _der_len(len(stripped)) + stripped


def c1c3c2_raw(der_ciphertext: bytes) -> bytes:
    """DER SM2Cipher → ``04 || x || y || C3 || C2`` (the raw C1C3C2 byte order)."""
    body, end = _der_read(der_ciphertext, 0, 0x30)
    if end != len(der_ciphertext):
        raise CryptoError("trailing bytes after DER")
    x, pos = _der_read(body, 0, 0x02)
    y, pos = _der_read(body, pos, 0x02)
    c3, pos = _der_read(body, pos, 0x04)
    c2, pos = _der_read(body, pos, 0x04)
    x = x.lstrip(b"\x00").rjust(32, b"\x00")
    y = y.lstrip(b"\x00").rjust(32, b"\x00")
    return b"\x04" + x + y + c3 + c2


def c1c3c2_der(raw: bytes) -> bytes:
    """``04 || x || y || C3 || C2`` → DER SM2Cipher accepted by ``sm2_decrypt``."""
    if len(raw) < 1 + 64 + 32 + 1 or raw[0] != 4:
        raise CryptoError("raw C1C3C2 ciphertext must start with 04 and hold x, y, C3, C2")
    x, y, c3, c2 = raw[1:33], raw[33:65], raw[65:97], raw[97:]
    inner = (
        _der_int(x)
        + _der_int(y)
        + b"\x04"
        + _der_len(len(c3))
        + c3
        + b"\x04"
        + _der_len(len(c2))
        + c2
    )
    return b"\x30" + _der_len(len(inner)) + inner
