"""National cryptography (商用密码) behind one small interface.

- SM3 hash, HMAC-SM3, HKDF-SM3 and SM4-GCM: OpenSSL through ``cryptography``.
- SM2 sign/verify/encrypt/decrypt: GmSSL's C implementation through ``gmssl_pyx``.

Formats, fixed here so that callers never think about them:
- keys are hex strings: private 64 hex (32 bytes), public 128 hex (64 bytes, x||y, no 04 prefix);
- signatures are ASN.1 DER ``SEQUENCE {r, s}`` (GM/T 0009) over SM3 with Z computed from the signer
  id, default ``1234567812345678``;
- SM2 ciphertext is ASN.1 DER in C1C3C2 order (GM/T 0009); ``c1c3c2_raw`` converts to the raw
  ``04||x||y||C3||C2`` byte string other libraries expect (never the old C1C2C3 order).
- SM4 ciphertext is ``nonce(12) || ciphertext || tag(16)``.

Field encryption (ID numbers at rest): ``sm4_gcm_encrypt(field_encryption_key(), …)`` plus
``blind_index(blind_index_key(), value)`` stored beside it for exact-match lookups. The keys come
from the settings ``YIWANG_SM4_KEY`` and ``YIWANG_BLIND_INDEX_KEY`` (hex); when a setting is empty
(development and tests only: production settings refuse to start without them) the key is derived
from ``SECRET_KEY``.

GmSSL prints a source-location line to stderr whenever a verification fails; the library is
compiled with ``DEBUG 1`` so this cannot be switched off at run time. Malformed signatures are
rejected here before they reach the C code, so only well-formed but wrong signatures print.

Pure-Python SM2 is ~1000× slower; do not add one here (the scalar multiplication below serves only
key derivation, which is rare).
"""

from __future__ import annotations

import functools
import hmac as _hmac
import os
import unicodedata
from dataclasses import dataclass

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SM2_DEFAULT_USER_ID = b"1234567812345678"
SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
BLIND_INDEX_MIN_KEY_BYTES = 16


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


def derive_key(master: bytes, label: str, length: int = SM4_KEY_BYTES) -> bytes:
    """A ``length``-byte key for one purpose (``label``) from ``master``: HKDF (RFC 5869) with SM3."""
    if not master:
        raise CryptoError("the master key is empty")
    if not 1 <= length <= 255 * 32:
        raise CryptoError("HKDF-SM3 derives 1–8160 bytes")
    return HKDF(algorithm=hashes.SM3(), length=length, salt=None, info=label.encode()).derive(
        master
    )


def normalise_for_index(value: str) -> str:
    """The form a value is indexed under: NFKC (full-width → ASCII), trimmed, upper case."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def blind_index(key: bytes, value: str) -> str:
    """Hex HMAC-SM3 of the normalised ``value``: lets an encrypted column be searched by equality."""
    if len(key) < BLIND_INDEX_MIN_KEY_BYTES:
        raise CryptoError(f"a blind-index key needs at least {BLIND_INDEX_MIN_KEY_BYTES} bytes")
    return hmac_sm3(key, normalise_for_index(value).encode()).hex()


def _key_from_settings(name: str, label: str, *, exact_length: int | None) -> bytes:
    configured = getattr(settings, name, "") or ""
    if not configured:
        return derive_key(settings.SECRET_KEY.encode(), label, exact_length or 32)
    try:
        key = bytes.fromhex(configured)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be hex") from exc
    if exact_length is not None and len(key) != exact_length:
        raise ImproperlyConfigured(f"{name} must be {exact_length * 2} hex characters")
    if len(key) < BLIND_INDEX_MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"{name} must be at least {BLIND_INDEX_MIN_KEY_BYTES * 2} hex characters"
        )
    return key


def field_encryption_key() -> bytes:
    """The SM4 key for personal data at rest (``YIWANG_SM4_KEY``, 32 hex characters)."""
    return _key_from_settings(
        "YIWANG_SM4_KEY", "yiwang:field-encryption:sm4", exact_length=SM4_KEY_BYTES
    )


def blind_index_key() -> bytes:
    """The HMAC-SM3 key for blind indexes (``YIWANG_BLIND_INDEX_KEY``, ≥ 32 hex characters)."""
    return _key_from_settings(
        "YIWANG_BLIND_INDEX_KEY", "yiwang:blind-index:hmac-sm3", exact_length=None
    )


# --- SM4 -------------------------------------------------------------------------------------


def _check_sm4_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != SM4_KEY_BYTES:
        raise CryptoError(f"SM4 key must be {SM4_KEY_BYTES} bytes")


def _sm4_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Authenticated encryption with a fresh random nonce; returns nonce || ciphertext || tag.

    ``aad`` (e.g. ``b"accounts.Person.id_number:42"``) binds the ciphertext to its place: it must be
    given again, unchanged, to decrypt.
    """
    _check_sm4_key(key)
    return _sm4_gcm_seal(key, os.urandom(GCM_NONCE_BYTES), plaintext, aad)


def sm4_gcm_decrypt(key: bytes, blob: bytes | bytearray | memoryview, aad: bytes = b"") -> bytes:
    """Decrypt ``nonce || ciphertext || tag``; ``blob`` may be a ``memoryview`` (a BinaryField)."""
    _check_sm4_key(key)
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise CryptoError("SM4 ciphertext must be bytes")
    blob = bytes(blob)
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


def sm4_ecb_encrypt_block(key: bytes, block: bytes, iterations: int = 1) -> bytes:
    """One raw SM4 block, encrypted ``iterations`` times (GB/T 32907 known-answer tests only).

    Never use ECB for data.
    """
    _check_sm4_key(key)
    if len(block) != 16:
        raise CryptoError("SM4 block must be 16 bytes")
    # One raw block for the GB/T 32907 known-answer test only.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305  # nosec
    for _ in range(iterations):
        block = encryptor.update(block)
    return block + encryptor.finalize()


# --- SM2 -------------------------------------------------------------------------------------

# The recommended curve (GB/T 32918.5).
_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

_Point = tuple[int, int]


@dataclass(frozen=True)
class Sm2KeyPair:
    private_hex: str
    public_hex: str


def _public_bytes(public_hex: str) -> bytes:
    try:
        raw = bytes.fromhex(public_hex)
    except (ValueError, TypeError) as exc:
        raise CryptoError("SM2 public key is not hex") from exc
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise CryptoError("SM2 public key must be 64 bytes (x||y)")
    return raw


def _private_bytes(private_hex: str) -> bytes:
    try:
        raw = bytes.fromhex(private_hex)
    except (ValueError, TypeError) as exc:
        raise CryptoError("SM2 private key is not hex") from exc
    if len(raw) != 32:
        raise CryptoError("SM2 private key must be 32 bytes")
    return raw


def sm2_generate_keypair() -> Sm2KeyPair:
    public, private = gmssl_pyx.sm2_key_generate()
    return Sm2KeyPair(private_hex=private.hex(), public_hex=public.hex())


def _sm2_add(p1: _Point | None, p2: _Point | None) -> _Point | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % _P == 0:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] + _A) * pow(2 * p1[1], -1, _P) % _P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, _P) % _P
    x3 = (lam * lam - p1[0] - p2[0]) % _P
    return x3, (lam * (p1[0] - x3) - p1[1]) % _P


def _sm2_mul(k: int, point: _Point = _G) -> _Point | None:
    """k·point on the SM2 curve, affine double-and-add (not constant time: no secret signing here)."""
    result: _Point | None = None
    addend: _Point | None = point
    while k:
        if k & 1:
            result = _sm2_add(result, addend)
        addend = _sm2_add(addend, addend)
        k >>= 1
    return result


def sm2_public_from_private(private_hex: str) -> str:
    """Derive the public key (x||y hex) from a private key d, 1 ≤ d ≤ n − 2."""
    d = int.from_bytes(_private_bytes(private_hex), "big")
    if not 1 <= d <= _N - 2:
        raise CryptoError("SM2 private key is out of range")
    point = _sm2_mul(d)
    if point is None:  # pragma: no cover - impossible for d in range
        raise CryptoError("invalid SM2 private key")
    return f"{point[0]:064x}{point[1]:064x}"


@functools.lru_cache(maxsize=1024)
def _sm2_z(public: bytes, user_id: bytes) -> bytes:
    """Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2, 5.5), cached per key."""
    if not user_id or len(user_id) * 8 > 0xFFFF:
        raise CryptoError("SM2 signer id must be 1 to 8191 bytes")
    return sm3(
        (len(user_id) * 8).to_bytes(2, "big")
        + user_id
        + b"".join(v.to_bytes(32, "big") for v in (_A, _B, _G[0], _G[1]))
        + public
    )


def sm2_sign(
    private_hex: str, public_hex: str, message: bytes, user_id: bytes = SM2_DEFAULT_USER_ID
) -> bytes:
    """Sign ``message`` (SM3 with Z from ``user_id``); returns a DER signature.

    The digest e = SM3(Z ‖ M) is computed here (OpenSSL's SM3, Z cached per key) and GmSSL signs
    it: ``gmssl_pyx.sm2_sign`` would set up a fresh signing context per call, which precomputes
    32 nonces and uses one (≈ 10× slower)."""
    try:
        digest = sm3(_sm2_z(_public_bytes(public_hex), bytes(user_id)) + message)
        return gmssl_pyx.sm2_sign_sm3_digest(_private_bytes(private_hex), digest)
    except (gmssl_pyx.GmsslInnerError, TypeError, ValueError) as exc:
        if isinstance(exc, CryptoError):
            raise
        raise CryptoError(f"SM2 signing failed: {exc}") from exc


def _signature_is_well_formed(signature: bytes) -> bool:
    """Strict DER ``SEQUENCE {INTEGER r, INTEGER s}`` with 1 ≤ r, s < n."""
    try:
        body, end = _der_read(signature, 0, 0x30)
        r, pos = _der_read(body, 0, 0x02)
        s, pos = _der_read(body, pos, 0x02)
    except CryptoError:
        return False
    if end != len(signature) or pos != len(body):
        return False
    for value in (r, s):
        if not value or value[0] & 0x80:  # empty or negative
            return False
        if len(value) > 1 and value[0] == 0 and not value[1] & 0x80:  # not minimal
            return False
        if not 1 <= int.from_bytes(value, "big") < _N:
            return False
    return True


def sm2_verify(
    public_hex: str,
    message: bytes,
    signature: bytes | bytearray | memoryview,
    user_id: bytes = SM2_DEFAULT_USER_ID,
) -> bool:
    """True when ``signature`` is valid for ``message``; False for a wrong or malformed one."""
    if not isinstance(signature, bytes | bytearray | memoryview):
        return False
    signature = bytes(signature)
    if not _signature_is_well_formed(signature):
        return False
    try:
        return bool(
            gmssl_pyx.sm2_verify(_public_bytes(public_hex), message, signature, signer_id=user_id)
        )
    except (CryptoError, gmssl_pyx.GmsslInnerError, ValueError, TypeError):
        return False


SM2_MAX_PLAINTEXT = 255


def sm2_encrypt(public_hex: str, plaintext: bytes) -> bytes:
    """Encrypt 1–255 bytes (wrap an SM4 key for more); DER, C1C3C2 order."""
    if not 1 <= len(plaintext) <= SM2_MAX_PLAINTEXT:
        raise CryptoError("SM2 encrypts 1–255 bytes; wrap an SM4 key for longer data")
    try:
        return gmssl_pyx.sm2_encrypt(_public_bytes(public_hex), plaintext)
    except gmssl_pyx.GmsslInnerError as exc:
        raise CryptoError(f"SM2 encryption failed: {exc}") from exc


def sm2_decrypt(private_hex: str, ciphertext: bytes) -> bytes:
    try:
        return gmssl_pyx.sm2_decrypt(_private_bytes(private_hex), ciphertext)
    except (gmssl_pyx.GmsslInnerError, ValueError, TypeError) as exc:
        raise CryptoError("SM2 decryption failed") from exc


# --- DER ⇄ raw C1C3C2 ---------------------------------------------------------------------------


def _der_read(data: bytes, pos: int, expected_tag: int) -> tuple[bytes, int]:
    """The content of the TLV at ``pos`` with tag ``expected_tag``, and the position after it."""
    if pos + 2 > len(data) or data[pos] != expected_tag:
        raise CryptoError("malformed DER")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2 or pos + count > len(data):
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


def _coordinate(value: bytes) -> bytes:
    stripped = value.lstrip(b"\x00")
    if len(stripped) > 32:
        raise CryptoError("SM2 point coordinate is longer than 32 bytes")
    return stripped.rjust(32, b"\x00")


def c1c3c2_raw(der_ciphertext: bytes) -> bytes:
    """DER SM2Cipher → ``04 || x || y || C3 || C2`` (the raw C1C3C2 byte order)."""
    body, end = _der_read(der_ciphertext, 0, 0x30)
    if end != len(der_ciphertext):
        raise CryptoError("trailing bytes after DER")
    x, pos = _der_read(body, 0, 0x02)
    y, pos = _der_read(body, pos, 0x02)
    c3, pos = _der_read(body, pos, 0x04)
    c2, pos = _der_read(body, pos, 0x04)
    if pos != len(body):
        raise CryptoError("trailing bytes inside SM2Cipher")
    if len(c3) != 32 or not c2:
        raise CryptoError("SM2Cipher needs a 32-byte C3 and a non-empty C2")
    return b"\x04" + _coordinate(x) + _coordinate(y) + c3 + c2


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
