"""JSON API of e-licences (mounted at /api/v1/licences). Thin endpoints over ``services``,
``selectors`` and ``verification``.

Public (no authentication): verification by reference, by JSON form or by file, and the key
directory. Everything else needs a session or an API token: the holder's wallet and licences,
share links, issuing staff's status changes and by-hand issuance, and 一证通办 (a clerk fetches
an applicant's licences for a case, with the purpose recorded).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile

from yiwang.accounts.auth import SessionOrTokenAuth
from yiwang.accounts.selectors import departments_visible_to
from yiwang.cases import selectors as case_selectors
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.core.idempotency import idempotent
from yiwang.licences import keys, render, selectors, services, verification
from yiwang.licences.models import Licence, LicenceStatus
from yiwang.licences.schemas import (
    LICENCE_ID_PATTERN,
    NO_NUL,
    ContentFieldOut,
    IssueIn,
    JsonFormOut,
    LicenceEventOut,
    LicenceOut,
    LicenceRowOut,
    LicenceUseOut,
    ShareLinkCreatedOut,
    ShareLinkIn,
    SigningKeyOut,
    StatusChangeIn,
    VerdictOut,
    VerifyDocumentIn,
)
from yiwang.licences.views import (
    EVENT_LABELS,
    STAFF_DOWNLOAD_PURPOSE,
    STAFF_VIEW_PURPOSE,
    content_rows,
    is_expired,
    record_staff_access,
)

router = Router(tags=["licences"], auth=SessionOrTokenAuth())


def _licence_id_path() -> Any:
    return Path(..., max_length=120, pattern=LICENCE_ID_PATTERN, description="证照标识")


def row_out(licence: Licence) -> LicenceRowOut:
    return LicenceRowOut(
        id=licence.pk,
        licence_id=licence.licence_id,
        type_code=licence.type.code,
        type_name=licence.type.name,
        issuer=licence.issuer.name,
        issuer_uscc=licence.issuer.uscc,
        holder_kind=licence.holder_kind,  # type: ignore[arg-type]
        holder_name=licence.holder_name,
        status=licence.status,
        status_label=str(LicenceStatus(licence.status).label),
        expired=is_expired(licence),
        issued_at=licence.issued_at,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
    )


def licence_out(licence: Licence) -> LicenceOut:
    document = selectors.document_of(licence)
    return LicenceOut(
        **row_out(licence).model_dump(),
        status_reason=licence.status_reason,
        status_changed_at=licence.status_changed_at,
        digest=licence.digest_short,
        key_id=licence.key.key_id,
        verification_url=render.verification_url(licence),
        content=[
            ContentFieldOut(key=key, label=label, value=value)
            for key, label, value in content_rows(licence, document)
        ],
        events=[
            LicenceEventOut(
                action=e.action,
                label=str(EVENT_LABELS.get(e.action, e.action)),
                at=e.at,
                reason=e.reason,
            )
            for e in selectors.events_of(licence)
        ],
        uses=[
            LicenceUseOut(
                at=u.at,
                purpose=u.purpose,
                department=u.department.name if u.department is not None else "",
                case=u.case.number if u.case is not None else "",
            )
            for u in selectors.uses_of(licence)
        ],
    )


def _get(request: HttpRequest, licence_id: str) -> Licence:
    return selectors.get_licence_for_user(request.auth, licence_id)  # type: ignore[attr-defined]


# --- public: verification and keys (declared before /{licence_id}) --------------------------------


@router.get(
    "/verify",
    response=VerdictOut,
    auth=None,
    summary="Verify a licence by id (and the QR code's digest)",
    description="证照核验（公开）：`digest` 为二维码中的内容摘要（SM3 前 16 位）。结果 `result`："
    "valid / revoked / expired / tampered / unknown；标识格式错误返回 422。",
)
def verify_reference(
    request: HttpRequest,
    licence_id: str = Query(..., max_length=120),
    digest: str = Query("", max_length=64, pattern=r"^[0-9A-Fa-f]*$"),
) -> dict[str, Any]:
    return verification.verify_reference(licence_id, digest).public()


@router.post(
    "/verify",
    response=VerdictOut,
    auth=None,
    summary="Verify a presented licence JSON form (document and signature)",
)
def verify_document(request: HttpRequest, payload: VerifyDocumentIn) -> dict[str, Any]:
    return verification.verify_json(
        {"document": payload.document, "signature": payload.signature}
    ).public()


@router.post(
    "/verify/file",
    response=VerdictOut,
    auth=None,
    summary="Verify a presented file: the licence's PDF or its JSON form (≤ 5 MB)",
)
def verify_file(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    if file.size is not None and file.size > verification.MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            "file_too_large", _("文件不能超过 %(limit)s MB。") % {"limit": 5}, field="file"
        )
    return verification.verify_file(file.read(verification.MAX_UPLOAD_BYTES + 1)).public()


@router.get("/keys", response=list[SigningKeyOut], auth=None, summary="Public key directory")
def key_directory(request: HttpRequest) -> list[SigningKeyOut]:
    return [
        SigningKeyOut(
            key_id=k.key_id,
            department=k.department.name,
            department_uscc=k.department.uscc,
            status=k.status,  # type: ignore[arg-type]
            created_at=k.created_at,
            retired_at=k.retired_at,
            public_key=k.public_hex,
            pem_url=reverse("licences:key_pem", args=[k.key_id]),
        )
        for k in keys.published_keys()
    ]


# --- the holder ----------------------------------------------------------------------------------


@router.get("/mine", response=list[LicenceRowOut], summary="My licences (and my enterprises')")
def wallet(request: HttpRequest) -> list[LicenceRowOut]:
    return [row_out(lic) for lic in selectors.wallet(request.auth)]  # type: ignore[attr-defined]


@router.get(
    "/lookup",
    response=list[LicenceOut],
    summary="一证通办: a case party's usable licences, for a clerk of the case's department",
    description="须填写申请事由 `purpose`（缺少时 422 `purpose_required`）；只能为本部门办理的办件"
    "调用（否则 403 `case_not_in_department`），只能调用办件申请人或申请企业的证照。每份返回的证照"
    "都记录为一次使用，持证人可在个人数据宝中查看。",
)
def lookup(
    request: HttpRequest,
    case: str = Query("", max_length=64, pattern=NO_NUL, description="办件编号"),
    holder_id: str = Query("", max_length=18, description="身份证号或统一社会信用代码"),
    purpose: str = Query("", max_length=1000, description="申请事由"),
    type: str = Query("", max_length=40, pattern=NO_NUL, description="证照类型代码"),
) -> list[LicenceOut]:
    found = services.fetch_for_case(
        request.auth,  # type: ignore[attr-defined]
        case_number=case,
        holder_id=holder_id,
        purpose=purpose,
        type_code=type,
    )
    return [licence_out(lic) for lic in found]


@router.post(
    "/issue",
    response={201: LicenceOut},
    summary="Issue a licence by hand (licences.issue); send an Idempotency-Key",
)
@idempotent
def issue(request: HttpRequest, payload: IssueIn) -> Status[LicenceOut]:
    user = request.auth  # type: ignore[attr-defined]
    licence_type = selectors.active_types().filter(code=payload.type_code.strip()).first()
    if licence_type is None:
        raise ValidationFailed(
            "unknown_licence_type", _("没有该证照类型，或已停用。"), field="type_code"
        )
    issuer = departments_visible_to(user).filter(uscc=payload.issuer_uscc.strip().upper()).first()
    if issuer is None:
        raise NotFound(
            "issuer_not_found", _("签发部门不存在或不在您的范围内。"), field="issuer_uscc"
        )
    case = (
        case_selectors.get_case_for_user(user, payload.case_number.strip())
        if payload.case_number.strip()
        else None
    )
    licence = services.issue_by_hand(
        user,
        licence_type=licence_type,
        issuer=issuer,
        content=payload.content,
        holder_id=payload.holder_id,
        case=case,
    )
    return Status(201, licence_out(licence))


@router.delete(
    "/share-links/{link_id}", response={204: None}, summary="Revoke one of my share links"
)
def revoke_share_link(request: HttpRequest, link_id: int) -> HttpResponse:
    user = request.auth  # type: ignore[attr-defined]
    services.revoke_share_link(user, selectors.get_share_link_for_user(user, link_id))
    return HttpResponse(status=204)


# --- one licence (holder or issuing staff) ------------------------------------------------------


@router.get("/{licence_id}", response=LicenceOut, summary="One licence (holder or issuing staff)")
def get_licence(request: HttpRequest, licence_id: str = _licence_id_path()) -> LicenceOut:
    licence = _get(request, licence_id)
    record_staff_access(request.auth, licence, STAFF_VIEW_PURPOSE)  # type: ignore[attr-defined]
    return licence_out(licence)


@router.get("/{licence_id}/json", response=JsonFormOut, summary="The licence's signed JSON form")
def get_json_form(request: HttpRequest, licence_id: str = _licence_id_path()) -> dict[str, Any]:
    licence = _get(request, licence_id)
    record_staff_access(request.auth, licence, STAFF_DOWNLOAD_PURPOSE)  # type: ignore[attr-defined]
    return selectors.json_form_of(licence)


@router.post(
    "/{licence_id}/status",
    response=LicenceOut,
    summary="撤销 / 注销 / 吊销 / 失效 (issuing staff with licences.manage)",
)
def change_status(
    request: HttpRequest, payload: StatusChangeIn, licence_id: str = _licence_id_path()
) -> LicenceOut:
    licence = services.change_status(
        request.auth,  # type: ignore[attr-defined]
        _get(request, licence_id),
        payload.action,
        payload.reason,
    )
    return licence_out(licence)


@router.post(
    "/{licence_id}/share-links",
    response={201: ShareLinkCreatedOut},
    summary="Share my licence with a time-limited link (the URL is shown once)",
)
@idempotent
def create_share_link(
    request: HttpRequest, payload: ShareLinkIn, licence_id: str = _licence_id_path()
) -> Status[ShareLinkCreatedOut]:
    made = services.create_share_link(
        request.auth,  # type: ignore[attr-defined]
        _get(request, licence_id),
        hours=payload.hours,
    )
    url = request.build_absolute_uri(reverse("licences:shared", args=[made.token]))
    return Status(
        201, ShareLinkCreatedOut(id=made.link.pk, url=url, expires_at=made.link.expires_at)
    )


__all__ = ["router"]
