"""ninja schemas for the e-licence API (explicit fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

LICENCE_ID_PATTERN = r"^1\.2\.156\.3005\.2\.[0-9A-Z.]{1,100}$"
# No NUL: PostgreSQL text cannot hold it, so a lookup with one would fail instead of answering.
NO_NUL = r"^[^\x00]*$"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class LicenceRowOut(Schema):
    id: int
    licence_id: str
    type_code: str
    type_name: str
    issuer: str
    issuer_uscc: str
    holder_kind: Literal["person", "enterprise"]
    holder_name: str
    status: str
    status_label: str
    expired: bool = Field(description="past valid_until (expiry is not a status)")
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date | None


class ContentFieldOut(Schema):
    key: str
    label: str
    value: str


class LicenceEventOut(Schema):
    action: str
    label: str
    at: dt.datetime
    reason: str


class LicenceUseOut(Schema):
    at: dt.datetime
    purpose: str
    department: str
    case: str


class LicenceOut(LicenceRowOut):
    status_reason: str
    status_changed_at: dt.datetime | None
    digest: str = Field(description="the first 16 hex of the signed document's SM3 (QR code)")
    key_id: str
    verification_url: str
    content: list[ContentFieldOut]
    events: list[LicenceEventOut]
    uses: list[LicenceUseOut]


class JsonFormOut(Schema):
    """The licence's signed JSON form (docs/licences.md)."""

    document: dict[str, Any]
    signature: str = Field(description="base64 of the DER SM2 signature")
    signature_algorithm: str
    public_key: str = Field(description="hex x||y of the SM2 public key")


class VerifiedLicenceOut(Schema):
    licence_id: str
    type_code: str
    type_name: str
    issuer: str
    issuer_uscc: str
    holder: str = Field(description="a person's name masked; an enterprise's name")
    issued_at: str
    valid_from: str
    valid_until: str | None
    status: str
    status_label: str
    status_changed_at: str | None
    digest: str
    key_id: str


class VerdictOut(Schema):
    result: Literal["valid", "revoked", "expired", "tampered", "unknown"]
    result_label: str
    reason: str
    message: str
    checked: list[str]
    verified_at: str
    licence: VerifiedLicenceOut | None


class VerifyDocumentIn(Schema):
    document: dict[str, Any]
    signature: str = Field(..., max_length=512, description="base64 of the DER signature")

    @field_validator("document")
    @classmethod
    def _no_nul(cls, value: dict[str, Any]) -> dict[str, Any]:
        if _has_nul(value):
            raise ValueError("a licence document never contains NUL characters")
        return value


class SigningKeyOut(Schema):
    key_id: str
    department: str
    department_uscc: str
    status: Literal["active", "retired"]
    created_at: dt.datetime
    retired_at: dt.datetime | None
    public_key: str = Field(description="hex x||y (SM2, uncompressed without the 04 prefix)")
    pem_url: str


class StatusChangeIn(Schema):
    action: Literal["revoke", "cancel", "withdraw", "invalidate"]
    reason: str = Field("", max_length=2000)


class ShareLinkIn(Schema):
    hours: int = Field(..., ge=1, le=720, description="1 hour to 30 days")


class ShareLinkCreatedOut(Schema):
    id: int
    url: str = Field(description="shown once: only a digest of its token is kept")
    expires_at: dt.datetime


class IssueIn(Schema):
    type_code: str = Field(..., min_length=1, max_length=40, pattern=NO_NUL)
    issuer_uscc: str = Field(..., min_length=18, max_length=18, pattern=NO_NUL)
    holder_id: str = Field(..., min_length=1, max_length=18, description="ID number or USCC")
    content: dict[str, Any] = Field(default_factory=dict)
    case_number: str = Field("", max_length=64, pattern=NO_NUL)
