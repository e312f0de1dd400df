"""Verification of a licence: by reference (id and, from the QR code, a digest) or by a presented
copy (the JSON form, or the PDF with the JSON form attached).

Results, checked in this order (the first that applies wins):

- ``unknown``  — no licence with that id here, or signed by a key we never published;
- ``tampered`` — the signature does not verify, the content differs from what was issued, the
  QR digest does not match, or a PDF is not byte-for-byte the one issued;
- ``revoked``  — 撤销/注销/吊销/失效 (``status`` says which);
- ``expired``  — past ``valid_until``;
- ``valid``.

Malformed input (not a licence id, not JSON, a PDF without the attached JSON) is refused with its
own error code instead of a result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.crypto import sm2_verify, sm3_hex
from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import validate_licence_id
from yiwang.core.masking import Audience, mask_name
from yiwang.licences import documents, keys
from yiwang.licences.models import Licence, LicenceStatus

VALID, REVOKED, EXPIRED, TAMPERED, UNKNOWN = "valid", "revoked", "expired", "tampered", "unknown"
RESULT_LABELS = {
    VALID: gettext_lazy("有效"),
    REVOKED: gettext_lazy("已撤销或失效"),
    EXPIRED: gettext_lazy("已过期"),
    TAMPERED: gettext_lazy("已被篡改"),
    UNKNOWN: gettext_lazy("无法识别"),
}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DIGEST_CHARS = 16


@dataclass
class Verdict:
    result: str
    reason: str  # machine code: ok, not_registered, unknown_key, bad_signature, …
    message: str
    licence: Licence | None = None
    checked: list[str] = field(default_factory=list)  # what was checked: registry, digest, …

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self.result])

    def public(self) -> dict[str, Any]:
        """What anyone may see: no ID numbers, the holder's name masked."""
        data: dict[str, Any] = {
            "result": self.result,
            "result_label": self.label,
            "reason": self.reason,
            "message": self.message,
            "checked": list(self.checked),
            "verified_at": timezone.now().isoformat(),
            "licence": None,
        }
        lic = self.licence
        if lic is not None and self.result != UNKNOWN:
            data["licence"] = {
                "licence_id": lic.licence_id,
                "type_code": lic.type.code,
                "type_name": lic.type.name,
                "issuer": lic.issuer.name,
                "issuer_uscc": lic.issuer.uscc,
                "holder": mask_name(lic.holder_name, Audience.PUBLIC)
                if lic.holder_kind == "person"
                else lic.holder_name,
                "issued_at": lic.issued_at.isoformat(),
                "valid_from": lic.valid_from.isoformat(),
                "valid_until": lic.valid_until.isoformat() if lic.valid_until else None,
                "status": lic.status,
                "status_label": str(LicenceStatus(lic.status).label),
                "status_changed_at": lic.status_changed_at.isoformat()
                if lic.status_changed_at
                else None,
                "digest": lic.digest_short,
                "key_id": lic.key.key_id,
            }
        return data


# What a verification reads: never the encrypted document, the signature or a key's private half.
_PUBLIC_COLUMNS = (
    "licence_id",
    "holder_kind",
    "holder_name",
    "document_sm3",
    "issued_at",
    "valid_from",
    "valid_until",
    "status",
    "status_changed_at",
    "pdf_sm3",
    "type__code",
    "type__name",
    "issuer__name",
    "issuer__uscc",
    "key__key_id",
)


def _find(licence_id: str) -> Licence | None:
    found = list(
        Licence.objects.select_related("type", "issuer", "key")
        .only(*_PUBLIC_COLUMNS)
        .filter(licence_id=licence_id)
        .order_by()[:1]
    )  # licence_id is unique: no ORDER BY needed
    return found[0] if found else None


def _find_presented(licence_id: object) -> Licence | None:
    """The licence a presented document names; None (no query) when the id is not well formed."""
    try:
        parsed = validate_licence_id(licence_id)
    except ValidationFailed:
        return None
    return _find(parsed.value)


def _status_verdict(licence: Licence, checked: list[str], today: dt.date | None = None) -> Verdict:
    today = today or timezone.localdate()
    checked.append("status")
    if licence.status != LicenceStatus.VALID:
        return Verdict(
            REVOKED,
            f"status_{licence.status}",
            _("该证照%(status)s。") % {"status": LicenceStatus(licence.status).label},
            licence,
            checked,
        )
    if licence.valid_until is not None and licence.valid_until < today:
        return Verdict(
            EXPIRED,
            "expired",
            _("该证照已于 %(date)s 到期。") % {"date": licence.valid_until.isoformat()},
            licence,
            checked,
        )
    return Verdict(VALID, "ok", _("证照真实有效。"), licence, checked)


def _unknown(reason: str, message: str, checked: list[str]) -> Verdict:
    return Verdict(UNKNOWN, reason, message, None, checked)


def verify_reference(licence_id: str, digest: str = "") -> Verdict:
    """By id (typed in, or from the QR code with the first 16 hex of the document's SM3)."""
    parsed = validate_licence_id(licence_id)
    checked = ["registry"]
    licence = _find(parsed.value)
    if licence is None:
        return _unknown("not_registered", _("本平台没有签发该证照。"), checked)
    digest = str(digest or "").strip().lower()
    if digest:
        checked.append("digest")
        if len(digest) < DIGEST_CHARS or not licence.document_sm3.startswith(digest):
            return Verdict(
                TAMPERED,
                "digest_mismatch",
                _("二维码中的内容摘要与签发记录不一致，证照可能被篡改。"),
                licence,
                checked,
            )
    return _status_verdict(licence, checked)


def verify_document(document: dict[str, Any], signature: bytes) -> Verdict:
    """A presented JSON form: signature against the published key, content against the record."""
    checked = ["signature"]
    canonical = documents.canonical_bytes(document)
    key = keys.key_by_id(str(document.get("key_id") or ""))
    if key is None:
        return _unknown("unknown_key", _("签名密钥不是本平台公布的密钥。"), checked)
    licence = _find_presented(document.get("licence_id"))
    if not sm2_verify(key.public_hex, canonical, signature):
        return Verdict(
            TAMPERED,
            "bad_signature",
            _("签名验证失败：证照内容被改动或签名不是签发机构所签。"),
            licence,
            checked,
        )
    checked.append("registry")
    if licence is None:
        return _unknown("not_registered", _("本平台没有签发该证照。"), checked)
    if sm3_hex(canonical) != licence.document_sm3 or licence.key_id != key.pk:
        return Verdict(
            TAMPERED,
            "content_mismatch",
            _("证照内容与签发记录不一致。"),
            licence,
            checked,
        )
    return _status_verdict(licence, checked)


def verify_json(raw: bytes | str | dict[str, Any]) -> Verdict:
    try:
        document, signature = documents.parse_json_form(raw)
    except documents.MalformedDocument as exc:
        raise ValidationFailed(
            "malformed_licence_json",
            _("不是有效的电子证照 JSON：%(error)s") % {"error": exc},
            field="file",
        ) from exc
    return verify_document(document, signature)


def verify_pdf(raw: bytes) -> Verdict:
    """A presented PDF: its attached JSON form must verify and the file must be the one issued."""
    from yiwang.licences.render import extract_json_form

    attached = extract_json_form(raw)
    if attached is None:
        raise ValidationFailed(
            "no_licence_in_pdf",
            _("该 PDF 不是本平台出具的电子证照文件（未找到签名数据）。"),
            field="file",
        )
    verdict = verify_json(attached)
    if verdict.result in (UNKNOWN, TAMPERED) or verdict.licence is None:
        return verdict
    verdict.checked.append("file")
    if not verdict.licence.pdf_sm3 or sm3_hex(raw) != verdict.licence.pdf_sm3:
        return Verdict(
            TAMPERED,
            "pdf_altered",
            _("PDF 文件与签发的版式文件不一致，可能被改动。"),
            verdict.licence,
            verdict.checked,
        )
    return verdict


def verify_file(raw: bytes) -> Verdict:
    """A presented file: PDF (by its magic) or the JSON form."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            "file_too_large", _("文件不能超过 %(limit)s MB。") % {"limit": 5}, field="file"
        )
    if raw.lstrip()[:5] == b"%PDF-":
        return verify_pdf(raw)
    return verify_json(raw)
