"""JSON API for cases (mounted at /api/v1/cases): apply, upload, follow, and the staff worklist
and decisions. Thin endpoints over ``services`` and ``selectors``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from yiwang.accounts.auth import SessionOrTokenAuth
from yiwang.cases import selectors, services
from yiwang.cases.models import Case, CaseStatus
from yiwang.cases.schemas import (
    AcceptIn,
    CaseIn,
    CaseMaterialOut,
    CaseOut,
    CasePageOut,
    CaseRowOut,
    CorrectionIn,
    DeliverIn,
    ExtendIn,
    ReasonIn,
    ResubmitIn,
    ReviewIn,
    SuspendIn,
    TimelineOut,
)
from yiwang.cases.selectors import PAGE_SIZE
from yiwang.catalog import selectors as catalog_selectors
from yiwang.core.errors import ValidationFailed
from yiwang.core.idempotency import idempotent

router = Router(tags=["cases"], auth=SessionOrTokenAuth())


def _current_materials(case: Case) -> list[Any]:
    # A case just submitted carries the materials it was written with (no re-read).
    written = getattr(case, "submitted_materials", None)
    if written is not None:
        return sorted(written, key=lambda cm: (cm.material.order, cm.pk))
    return list(case.materials.filter(replaced_at__isnull=True).select_related("material"))


def _member_numbers(case: Case) -> list[str]:
    written = getattr(case, "submitted_members", None)
    if written is not None:
        return list(written)
    if case.bundle_id is None or case.parent_id is not None:
        return []  # only a bundle's parent case has members
    return [m.number for m in case.members.order_by("id")]


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        item=case.item.implementation_code if case.item_id else None,
        item_name=case.item.name if case.item_id else (case.bundle.name if case.bundle_id else ""),
        bundle=case.bundle.code if case.bundle_id else None,
        parent=case.parent.number if case.parent_id else None,
        members=_member_numbers(case),
        department=case.department.name,
        channel=case.channel,
        acceptance_mode=case.acceptance_mode,
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        due_at=case.due_at,
        legal_due_at=case.legal_due_at,
        decided_at=case.decided_at,
        completed_at=case.completed_at,
        decision_reason=case.decision_reason,
        result=case.result or {},
        delivery=case.delivery,
        deficiencies=case.deficiencies or [],
        materials=[
            CaseMaterialOut(
                key=cm.material.key,
                name=cm.material.name,
                source=cm.source,
                original_name=cm.original_name,
                size=cm.size,
                sha256=cm.sha256,
                licence_id=cm.licence_id,
                trust_level=cm.trust_level,
            )
            for cm in _current_materials(case)
        ],
    )


def row_out(case: Case) -> CaseRowOut:
    return CaseRowOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        item=case.item.implementation_code if case.item_id else None,
        item_name=case.item.name if case.item_id else (case.bundle.name if case.bundle_id else ""),
        department=case.department.name,
        submitted_at=case.submitted_at,
        due_at=case.due_at,
        warning=getattr(case, "warning", "none"),
    )


def _materials(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v.dict() for k, v in raw.items()}


def _get(request: HttpRequest, number: str) -> Case:
    return selectors.get_case_for_user(request.auth, number)  # type: ignore[attr-defined]


@router.post("", response={201: CaseOut}, summary="Apply (online); send an Idempotency-Key")
@idempotent
def submit_case(request: HttpRequest, payload: CaseIn) -> Status[CaseOut]:
    user = request.auth  # type: ignore[attr-defined]
    if bool(payload.item) == bool(payload.bundle):
        raise ValidationFailed(
            "item_or_bundle", _("请指定事项（item）或一件事（bundle）之一。"), field="item"
        )
    target = (
        catalog_selectors.get_published_item(payload.item)
        if payload.item
        else catalog_selectors.get_bundle(payload.bundle)
    )
    case = services.submit_online(
        user,
        target,
        payload.form,
        _materials(payload.materials),
        enterprise=payload.enterprise,
        delivery=payload.delivery,
        delivery_address=payload.delivery_address,
    )
    return Status(201, case_out(case))


@router.post("/{number}/materials/{key}", response={201: CaseOut}, summary="Upload a material")
def upload_material(
    request: HttpRequest, number: str, key: str, file: File[UploadedFile]
) -> Status[CaseOut]:
    case = _get(request, number)
    services.upload_material(request.auth, case, key, file)  # type: ignore[attr-defined]
    return Status(201, case_out(_get(request, number)))


@router.get("", response=CasePageOut, summary="My applications")
def my_cases(request: HttpRequest, page: int = 1) -> CasePageOut:
    qs = selectors.cases_for_applicant(request.auth)  # type: ignore[attr-defined]
    page = max(page, 1)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    return CasePageOut(count=qs.count(), page=page, results=[row_out(c) for c in rows])


@router.get("/worklist", response=CasePageOut, summary="Staff worklist (scope-filtered)")
def worklist(
    request: HttpRequest,
    status: str = "",
    warning: str = "",
    item: str = "",
    q: str = "",
    page: int = 1,
) -> CasePageOut:
    qs = selectors.worklist(
        request.auth,
        status=status or None,  # type: ignore[attr-defined]
        warning=warning or None,
        item=item or None,
        q=q or None,
    )
    page = max(page, 1)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    return CasePageOut(count=qs.count(), page=page, results=[row_out(c) for c in rows])


@router.get("/{number}", response=CaseOut, summary="One case")
def get_case(request: HttpRequest, number: str) -> CaseOut:
    return case_out(_get(request, number))


@router.get("/{number}/timeline", response=list[TimelineOut], summary="The case's timeline")
def get_timeline(request: HttpRequest, number: str) -> list[TimelineOut]:
    return [
        TimelineOut(at=e.at, title=e.title, actor=e.actor, note=e.note, source=e.source)
        for e in selectors.timeline(_get(request, number))
    ]


@router.post("/{number}/accept", response=CaseOut, summary="受理 / 容缺受理 / 告知承诺")
def accept(request: HttpRequest, number: str, payload: AcceptIn) -> CaseOut:
    case = services.accept(
        request.auth,
        _get(request, number),
        payload.mode,  # type: ignore[attr-defined]
        deficient=payload.deficient,
        deficiency_due=payload.deficiency_due,
        note=payload.note,
    )
    return case_out(case)


@router.post("/{number}/reject", response=CaseOut, summary="不予受理")
def reject(request: HttpRequest, number: str, payload: ReasonIn) -> CaseOut:
    return case_out(services.reject(request.auth, _get(request, number), payload.reason))  # type: ignore[attr-defined]


@router.post("/{number}/request-correction", response=CaseOut, summary="补正（一次性告知）")
def request_correction(request: HttpRequest, number: str, payload: CorrectionIn) -> CaseOut:
    case = _get(request, number)
    services.request_correction(
        request.auth,
        case,  # type: ignore[attr-defined]
        [i.dict() for i in payload.items],
        payload.note,
    )
    return case_out(_get(request, number))


@router.post("/{number}/resubmit", response=CaseOut, summary="补正后重新提交")
def resubmit(request: HttpRequest, number: str, payload: ResubmitIn) -> CaseOut:
    case = services.resubmit(
        request.auth,
        _get(request, number),  # type: ignore[attr-defined]
        _materials(payload.materials),
        payload.form,
    )
    return case_out(case)


@router.post("/{number}/review", response=CaseOut, summary="审查意见")
def review(request: HttpRequest, number: str, payload: ReviewIn) -> CaseOut:
    case = services.review(
        request.auth,
        _get(request, number),
        payload.outcome,  # type: ignore[attr-defined]
        payload.comment,
    )
    return case_out(case)


@router.post("/{number}/suspend", response=CaseOut, summary="挂起")
def suspend(request: HttpRequest, number: str, payload: SuspendIn) -> CaseOut:
    case = services.suspend(
        request.auth,
        _get(request, number),
        payload.reason_code,  # type: ignore[attr-defined]
        payload.reason,
    )
    return case_out(case)


@router.post("/{number}/resume", response=CaseOut, summary="恢复计时")
def resume(request: HttpRequest, number: str) -> CaseOut:
    return case_out(services.resume(request.auth, _get(request, number)))  # type: ignore[attr-defined]


@router.post("/{number}/extend", response=CaseOut, summary="延期")
def extend(request: HttpRequest, number: str, payload: ExtendIn) -> CaseOut:
    case = services.extend(
        request.auth,
        _get(request, number),
        payload.amount,  # type: ignore[attr-defined]
        payload.reason,
    )
    return case_out(case)


@router.post("/{number}/deliver", response=CaseOut, summary="送达")
def deliver(request: HttpRequest, number: str, payload: DeliverIn) -> CaseOut:
    return case_out(services.deliver(request.auth, _get(request, number), payload.method))  # type: ignore[attr-defined]


@router.post("/{number}/withdraw", response=CaseOut, summary="撤回")
def withdraw(request: HttpRequest, number: str, payload: ReasonIn) -> CaseOut:
    return case_out(services.withdraw(request.auth, _get(request, number), payload.reason))  # type: ignore[attr-defined]


__all__ = ["router"]
