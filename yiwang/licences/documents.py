"""The signed document of a licence and its canonical bytes (specified for offline verifiers in
docs/licences.md; changing anything here breaks every issued licence — add a new ``format``).

A document is a JSON object::

    {"format": "yiwang.licence.v1", "licence_id": "1.2.156.3005.2.…", "type": {"code", "name"},
     "issuer": {"uscc", "name"}, "holder": {"kind", "name", "id"}, "content": {…},
     "issued_at": "2026-11-22T08:00:00.000000+00:00", "valid_from": "2026-11-22",
     "valid_until": "2031-11-21" | null, "key_id": "…"}

Canonical bytes: UTF-8 of ``json.dumps(document, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``; values are strings, null, booleans, integers or nested objects/arrays of
them (no floats: a number with a fraction is written as a string). The signature is SM2 (GB/T
32918, SM3 digest with Z over the default id ``1234567812345678``), DER-encoded, over those bytes.

The JSON form of a licence for machines is ``{"document": …, "signature": "<base64 DER>",
"signature_algorithm": "SM2-with-SM3", "public_key": "<hex x||y>"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from yiwang.core.crypto import sm3_hex

FORMAT = "yiwang.licence.v1"
SIGNATURE_ALGORITHM = "SM2-with-SM3"
REQUIRED_KEYS = frozenset(
    {
        "format",
        "licence_id",
        "type",
        "issuer",
        "holder",
        "content",
        "issued_at",
        "valid_from",
        "valid_until",
        "key_id",
    }
)


class MalformedDocument(ValueError):
    """The presented JSON is not a licence document (missing keys, floats, wrong shapes)."""


def _check_value(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise MalformedDocument(f"{path}: floats are not allowed in a licence document")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MalformedDocument(f"{path}: keys must be strings")
            _check_value(item, f"{path}.{key}")
        return
    raise MalformedDocument(f"{path}: unsupported value {type(value).__name__}")


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The signed bytes of ``document`` (see the module docstring)."""
    if not isinstance(document, dict):
        raise MalformedDocument("a licence document is a JSON object")
    missing = REQUIRED_KEYS - set(document)
    if missing:
        raise MalformedDocument("missing keys: " + ", ".join(sorted(missing)))
    if document.get("format") != FORMAT:
        raise MalformedDocument(f"unknown format {document.get('format')!r}")
    _check_value(document, "document")
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest(document: dict[str, Any]) -> str:
    return sm3_hex(canonical_bytes(document))


def json_form(document: dict[str, Any], signature: bytes, public_hex: str) -> dict[str, Any]:
    return {
        "document": document,
        "signature": base64.b64encode(signature).decode("ascii"),
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "public_key": public_hex,
    }


def parse_json_form(data: Any) -> tuple[dict[str, Any], bytes]:
    """``(document, signature)`` from a presented JSON form (bytes, text or parsed)."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MalformedDocument("not UTF-8 JSON") from exc
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise MalformedDocument("not JSON") from exc
    if not isinstance(data, dict):
        raise MalformedDocument("a licence JSON form is an object")
    document, signature = data.get("document"), data.get("signature")
    if not isinstance(document, dict) or not isinstance(signature, str):
        raise MalformedDocument("expected {'document': {...}, 'signature': '<base64>'}")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedDocument("the signature is not base64") from exc
    canonical_bytes(document)  # shape check
    return document, raw
