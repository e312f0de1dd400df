"""JSON API of the catalogue (mounted at /api/v1/catalog).

The published catalogue is public (no authentication). Importing is for the system
administrator (三员分立: he maintains the catalogue); anyone else gets 403.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from yiwang.accounts.auth import SessionOrTokenAuth
from yiwang.accounts.permissions import is_system_admin
from yiwang.catalog import selectors, transfer
from yiwang.catalog.models import Bundle, ItemType, ServiceItem
from yiwang.catalog.schemas import (
    BundleMemberOut,
    BundleOut,
    BundleSummaryOut,
    FieldSpecOut,
    FormSpecOut,
    ImportReportOut,
    ItemOut,
    ItemPageOut,
    ItemSummaryOut,
    MaterialOut,
    MaterialSpecOut,
)
from yiwang.core.errors import PermissionDenied, ValidationFailed
from yiwang.core.exports import XLSX_CONTENT_TYPE, content_disposition
from yiwang.core.uploads import check_upload

router = Router(tags=["catalog"])

PAGE_SIZE = 20
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def item_summary(item: ServiceItem) -> ItemSummaryOut:
    return ItemSummaryOut(
        id=item.pk,
        implementation_code=item.implementation_code,
        base_code=item.base_code,
        name=item.name,
        item_type=item.item_type,
        item_type_label=str(item.get_item_type_display()),
        version=item.version,
        department_uscc=item.department.uscc,
        department_name=item.department.name,
        region_code=item.region.code,
        handling_type=item.handling_type,
        legal_limit=item.legal_limit,
        promised_limit=item.promised_limit,
        limit_unit=item.limit_unit,
        online_depth=item.online_depth,
        for_persons=item.for_persons,
        for_enterprises=item.for_enterprises,
        cross_region_modes=list(item.cross_region_modes or []),
    )


def item_out(item: ServiceItem) -> ItemOut:
    summary = item_summary(item).model_dump()
    return ItemOut(
        **summary,
        business_code=item.business_code,
        status=item.status,
        published_at=item.published_at,
        level=item.level,
        legal_basis=item.legal_basis,
        conditions=item.conditions,
        summary=item.summary,
        keywords=item.keywords,
        visits=item.visits,
        visit_reason=item.visit_reason,
        charges=item.charges,
        fee_basis=item.fee_basis,
        fee_description=item.fee_description,
        steps=list(item.steps or []),
        form_fields=list(item.form_fields or []),
        result_name=item.result_name,
        result_type=item.result_type,
        result_sample=item.result_sample,
        result_licence_type=item.result_licence_type,
        consult_phone=item.consult_phone,
        complaint_phone=item.complaint_phone,
        process_key=item.effective_process_key,
        materials=[
            MaterialOut(**{f: getattr(m, f) for f in MaterialOut.model_fields})
            for m in item.materials.all()
        ],
        equivalent_items=[e.implementation_code for e in selectors.equivalent_items(item)],
    )


def form_out(spec: selectors.FormSpec) -> FormSpecOut:
    return FormSpecOut(
        fields=[FieldSpecOut(**vars(f)) for f in spec.fields],
        materials=[MaterialSpecOut(**vars(m)) for m in spec.materials],
    )


def bundle_summary(bundle: Bundle) -> BundleSummaryOut:
    return BundleSummaryOut(
        id=bundle.pk,
        code=bundle.code,
        name=bundle.name,
        summary=bundle.summary,
        audience=bundle.audience,
        department_name=bundle.department.name,
        promised_limit=bundle.promised_limit,
    )


@router.get("/items", response=ItemPageOut, auth=None, summary="Search the published catalogue")
def list_items(
    request: HttpRequest,
    q: str = Query("", max_length=100, description="词语、拼音或繁体"),
    department: str = Query("", max_length=18, description="实施主体统一社会信用代码"),
    type: str = Query("", max_length=20, description="事项类型"),
    audience: str = Query("", pattern="^(|person|enterprise)$"),
    page: int = Query(1, ge=1, le=10_000),
) -> ItemPageOut:
    if type and type not in ItemType.values:
        raise ValidationFailed("invalid_item_type", _("事项类型不正确。"), field="type")
    qs = selectors.search_items(
        q, department=department or None, item_type=type or None, audience=audience or None
    )
    count = qs.count()
    start = (page - 1) * PAGE_SIZE
    return ItemPageOut(
        count=count,
        page=page,
        page_size=PAGE_SIZE,
        items=[item_summary(i) for i in qs[start : start + PAGE_SIZE]],
    )


@router.get("/items/{code}", response=ItemOut, auth=None, summary="An item (current version)")
def get_item(request: HttpRequest, code: str = Path(..., max_length=36)) -> ItemOut:
    return item_out(selectors.get_published_item(code))


@router.get(
    "/items/{code}/versions/{version}",
    response=ItemOut,
    auth=None,
    summary="A published or superseded version of an item",
)
def get_item_version(
    request: HttpRequest,
    code: str = Path(..., max_length=36),
    version: int = Path(..., ge=1, le=1_000_000),
) -> ItemOut:
    return item_out(selectors.get_item_by_version(code, version))


@router.get("/bundles", response=list[BundleSummaryOut], auth=None, summary="一件事 bundles")
def list_bundles(
    request: HttpRequest, q: str = Query("", max_length=100)
) -> list[BundleSummaryOut]:
    return [bundle_summary(b) for b in selectors.search_bundles(q)]


@router.get("/bundles/{code}", response=BundleOut, auth=None, summary="A bundle and its form")
def get_bundle(request: HttpRequest, code: str = Path(..., max_length=64)) -> BundleOut:
    bundle = selectors.get_bundle(code)
    items = {i.implementation_code: i for i in selectors.bundle_items(bundle)}
    members = [
        BundleMemberOut(
            implementation_code=m.implementation_code,
            name=items[m.implementation_code].name,
            department_name=items[m.implementation_code].department.name,
            promised_limit=items[m.implementation_code].promised_limit,
            legal_limit=items[m.implementation_code].legal_limit,
            optional=m.optional,
        )
        for m in bundle.members.all()
        if m.implementation_code in items
    ]
    return BundleOut(
        **bundle_summary(bundle).model_dump(),
        members=members,
        form=form_out(selectors.form_spec_for_bundle(bundle)),
    )


_EXPORT_OPENAPI: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "The published catalogue",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


@router.get(
    "/export",
    auth=None,
    summary="Export the published catalogue (JSON or XLSX)",
    openapi_extra=_EXPORT_OPENAPI,
)
def export(
    request: HttpRequest,
    format: str = Query("json", pattern="^(json|xlsx)$"),
) -> HttpResponse:
    if format == "xlsx":
        response = HttpResponse(transfer.catalogue_xlsx(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition("catalogue", extension=".xlsx")
        return response
    response = HttpResponse(
        json.dumps(transfer.catalogue_document(), ensure_ascii=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = content_disposition("catalogue", extension=".json")
    return response


_IMPORT_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}


@router.post(
    "/import",
    response=ImportReportOut,
    auth=SessionOrTokenAuth(),
    summary="Import items and bundles (system administrator)",
    openapi_extra=_IMPORT_OPENAPI,
)
def import_catalogue(
    request: HttpRequest,
    format: str = Query("json", pattern="^(json|xlsx)$"),
) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    if not is_system_admin(user):
        raise PermissionDenied("catalog_admin_only", _("只有系统管理员可以导入事项目录。"))
    upload = request.FILES.get("file")
    if format == "xlsx":
        if upload is None:
            raise ValidationFailed("file_required", _("请上传 XLSX 文件。"), field="file")
        check_upload(upload, allowed={"xlsx"}, max_bytes=IMPORT_MAX_BYTES)
        data: Any = upload.read()
    elif upload is not None:
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationFailed("upload_too_large", _("文件过大。"), field="file")
        data = upload.read()
    else:
        data = request.body
    return transfer.import_catalogue(user, data, format).as_dict()
