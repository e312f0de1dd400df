"""Intake decisions (受理环节): pre-review, 受理 (normal, 容缺, 告知承诺), 不予受理, 补正 and the
applicant's re-submission, 异地代收代办 forwarding, withdrawal.

The clock (RULES.md): nothing runs before acceptance. Acceptance starts the item's process with
its promised limit (承诺时限, 即办件 = 0) and legal limit (法定时限) in the item's unit. A 补正 after
acceptance stops the process clock (``workflow.request_correction``); the re-submission restarts
it from that moment, counting anew (``workflow.correction_received``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases import notifications, specs
from yiwang.cases.models import (
    AcceptanceMode,
    Case,
    CaseMaterial,
    CaseStatus,
    Channel,
    CorrectionNotice,
    MaterialSource,
)
from yiwang.cases.services.base import (
    INTAKE,
    INTAKE_CAPABILITIES,
    is_applicant_side,
    move,
    require_reason,
    require_staff,
    staff_can,
)
from yiwang.cases.services.submission import (
    PURPOSE_ONLINE,
    Problems,
    applicant_facts,
    clean_form,
    create_materials,
    plan_materials,
)
from yiwang.catalog.models import HandlingType, Material
from yiwang.core.deadlines import TimeLimit
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed


def _require_intake(user: Any, case: Case) -> None:
    """Intake decisions: a window or the deciding department. A forwarded case (异地代收代办) is
    accepted by the item's department only, never by the window that forwarded it."""
    if case.item_id is None:
        raise Conflict("illegal_transition", _("一件事由各成员事项分别受理。"))
    if case.channel == Channel.PROXY:
        if not staff_can(user, INTAKE_CAPABILITIES, case.department):
            raise PermissionDenied("case_action_not_allowed", _("您的岗位无权受理此办件。"))
        return
    require_staff(user, INTAKE_CAPABILITIES, case)


def current_materials(case: Case) -> dict[str, CaseMaterial]:
    return {
        cm.material.key: cm
        for cm in case.materials.filter(replaced_at__isnull=True).select_related("material")
    }


def missing_materials(case: Case) -> list[Material]:
    """Pre-review (预审): the item's required materials that nothing satisfies yet."""
    have = current_materials(case)
    return [
        m for m in Material.objects.filter(item_id=case.item_id, required=True) if m.key not in have
    ]


def _limits(case: Case) -> tuple[TimeLimit, TimeLimit]:
    item = case.item
    promised = 0 if item.handling_type == HandlingType.IMMEDIATE else item.promised_limit
    legal = 0 if item.handling_type == HandlingType.IMMEDIATE else item.legal_limit
    return TimeLimit(promised, item.limit_unit), TimeLimit(legal, item.limit_unit)


def process_data(case: Case) -> dict[str, Any]:
    """What the process conditions and auto-approval rules read: form + applicant + shared."""
    shared_data = {}
    for cm in case.materials.filter(
        replaced_at__isnull=True, shared_record__isnull=False
    ).select_related("shared_record"):
        shared_data[cm.shared_record.dataset] = cm.shared_record.payload
    return {
        "form": dict(case.form_data or {}),
        "applicant": applicant_facts(case.applicant, case.enterprise),
        "shared": shared_data,
        "item": case.item.implementation_code,
        "channel": case.channel,
        "acceptance_mode": case.acceptance_mode,
    }


def sync_clock(case: Case, instance: Any) -> None:
    case.due_at = instance.due_at
    case.legal_due_at = instance.legal_due_at
    case.yellow_at = instance.yellow_at
    case.save(update_fields=["due_at", "legal_due_at", "yellow_at", "updated_at"])


def _start_process(case: Case, actor: Any) -> None:
    from yiwang.workflow import selectors as wf_selectors
    from yiwang.workflow import services as wf

    definition = wf_selectors.active_definition(case.item.effective_process_key)
    limit, legal = _limits(case)
    instance = wf.start_process(
        definition,
        business_key=case.number,
        department=case.department,
        data=process_data(case),
        started_at=case.accepted_at,
        limit=limit,
        legal_limit=legal,
        actor=actor,
        business_service="cases.case",
    )
    case.refresh_from_db()
    case.process = instance
    case.save(update_fields=["process", "updated_at"])
    sync_clock(case, instance)
    if instance.state in ("approved", "rejected"):
        from yiwang.cases.services.decisions import on_process_finished

        on_process_finished(instance)
        case.refresh_from_db()


@transaction.atomic
def accept(
    clerk: Any,
    case: Case,
    mode: str = AcceptanceMode.NORMAL,
    *,
    deficient: list[str] | None = None,
    deficiency_due: Any = None,
    note: str = "",
) -> Case:
    """受理. ``normal``: every required material present. ``deficiency`` (容缺受理): the missing
    ones (or ``deficient`` keys) must all allow 容缺 and are listed as owed. ``commitment``
    (告知承诺): the missing ones must all allow a commitment, which the applicant signs."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_intake(clerk, case)
    if case.status == CaseStatus.FORWARDED:
        move(case, "receive", clerk, data={"department_id": case.department_id})
    missing = missing_materials(case)
    now = timezone.now()
    if mode == AcceptanceMode.NORMAL:
        if missing:
            raise Conflict(
                "materials_missing",
                _("材料不齐全，不能正常受理：%(names)s。可容缺受理或一次性告知补正。")
                % {"names": "、".join(m.name for m in missing)},
                details={"missing": [m.key for m in missing]},
            )
        action = "accept"
    elif mode == AcceptanceMode.DEFICIENCY:
        keys = set(deficient or []) | {m.key for m in missing}
        owed = list(Material.objects.filter(item_id=case.item_id, key__in=keys))
        refused = [m for m in owed if not m.deficiency_allowed]
        if refused or not owed:
            raise Conflict(
                "deficiency_not_allowed",
                _("以下材料不适用容缺受理：%(names)s。")
                % {"names": "、".join(m.name for m in refused)}
                if refused
                else _("没有需要容缺的材料，请正常受理。"),
            )
        have = current_materials(case)
        for material in owed:
            if material.key in have:
                have[material.key].replaced_at = now
                have[material.key].save(update_fields=["replaced_at"])
            CaseMaterial.objects.create(
                case=case,
                material=material,
                source=MaterialSource.DEFICIENT,
                checked_by=clerk,
                checked_at=now,
            )
        due = (
            deficiency_due.isoformat()
            if hasattr(deficiency_due, "isoformat")
            else (deficiency_due or "")
        )
        case.deficiencies = [{"material": m.key, "name": m.name, "due": due} for m in owed]
        action = "accept_with_deficiency"
    elif mode == AcceptanceMode.COMMITMENT:
        refused = [m for m in missing if not m.commitment_allowed]
        if refused:
            raise Conflict(
                "commitment_not_allowed",
                _("以下材料不适用告知承诺：%(names)s。")
                % {"names": "、".join(m.name for m in refused)},
            )
        for material in missing:
            CaseMaterial.objects.create(
                case=case,
                material=material,
                source=MaterialSource.COMMITMENT,
                checked_by=clerk,
                checked_at=now,
            )
        case.commitment_signed_at = case.commitment_signed_at or now
        action = "accept_with_commitment"
    else:
        raise ValidationFailed("invalid_mode", _("受理方式无效。"), field="mode")
    case.acceptance_mode = mode
    case.accepted_at = now
    move(
        case,
        action,
        clerk,
        reason=note,
        at=now,
        data={"mode": mode},
        update_fields=("acceptance_mode", "accepted_at", "deficiencies", "commitment_signed_at"),
    )
    _start_process(case, clerk)
    case.refresh_from_db()
    _bundle_started(case, clerk)
    if case.parent_id is None:
        notifications.notify_applicant(
            case,
            _("您的申请已受理：%(number)s") % {"number": case.number},
            _("承诺办结时间：%(due)s。")
            % {
                "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d")
                if case.due_at
                else _("即办")
            },
        )
    return case


def _bundle_started(case: Case, actor: Any) -> None:
    if case.parent_id is None:
        return
    parent = Case.objects.select_for_update().get(pk=case.parent_id)
    if parent.status == CaseStatus.SUBMITTED:
        move(parent, "bundle_in_review", actor, data={"members": [case.number]})


@transaction.atomic
def reject(clerk: Any, case: Case, reason: str) -> Case:
    """不予受理, with the reason the applicant is told."""
    reason = require_reason(reason)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_intake(clerk, case)
    case.decision_reason = reason
    case.decided_at = timezone.now()
    move(case, "reject", clerk, reason=reason, update_fields=("decision_reason", "decided_at"))
    notifications.notify_applicant(
        case, _("您的申请不予受理：%(number)s") % {"number": case.number}, reason
    )
    from yiwang.cases.services.decisions import check_bundle_done

    check_bundle_done(case, clerk)
    return case


@transaction.atomic
def request_correction(
    clerk: Any, case: Case, items: list[dict[str, str]] | None = None, note: str = ""
) -> CorrectionNotice:
    """补正: ONE notice listing every missing or defective material (一次性告知) and a note.
    After acceptance the process clock stops until the applicant re-submits."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_intake_or_review(clerk, case)
    if case.corrections.filter(resolved_at__isnull=True).exists():
        raise Conflict("correction_pending", _("已有未完成的补正告知，请等待申请人补正。"))
    rows = {m.key: m for m in Material.objects.filter(item_id=case.item_id)}
    listed = []
    for entry in items or []:
        key = str(entry.get("material", "")).strip()
        if key and key not in rows:
            raise ValidationFailed(
                "material_not_found", _("补正清单中有不属于该事项的材料。"), field="items"
            )
        listed.append(
            {
                "material": key,
                "name": rows[key].name if key else "",
                "note": str(entry.get("note", "")).strip(),
            }
        )
    note = (note or "").strip()
    if not listed and not note:
        raise ValidationFailed("correction_empty", _("请列出需要补正的材料或说明。"), field="items")
    now = timezone.now()
    notice = CorrectionNotice.objects.create(
        case=case, items=listed, note=note, issued_by=clerk, issued_at=now
    )
    if case.process_id is not None:
        from yiwang.workflow import services as wf

        wf.request_correction(case.process, actor=clerk)
        case.process.refresh_from_db()
        sync_clock(case, case.process)
    move(
        case,
        "request_correction",
        clerk,
        reason=note,
        at=now,
        data={"materials": {i["material"]: "correction" for i in listed if i["material"]}},
    )
    lines = [f"· {i['name'] or _('其他')}{('：' + i['note']) if i['note'] else ''}" for i in listed]
    notifications.notify_applicant(
        case,
        _("请补正申请材料：%(number)s") % {"number": case.number},
        "\n".join([*lines, note]).strip(),
    )
    return notice


def _require_intake_or_review(user: Any, case: Case) -> None:
    if case.status == CaseStatus.IN_REVIEW:
        require_staff(user, INTAKE_CAPABILITIES, case)
    else:
        _require_intake(user, case)


@transaction.atomic
def resubmit(
    user: Any,
    case: Case,
    materials: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    *,
    paper: list[str] | set[str] = (),
) -> Case:
    """The applicant answers the 补正 notice: new materials (and corrected fields). At the
    counter a clerk (``cases.intake``) may hand them in for a walk-in applicant, uploading scans
    or ticking the ``paper`` originals received (those are recorded as checked by him)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    is_clerk = staff_can(user, (INTAKE,), case.department, case.receiving_department)
    if not is_applicant_side(user, case) and not is_clerk:
        raise PermissionDenied("case_action_not_allowed", _("您无权补正此办件。"))
    paper_keys = set(paper or ())
    if paper_keys and not is_clerk:
        raise PermissionDenied("paper_needs_clerk", _("纸质材料须由窗口工作人员核收。"))
    if case.status != CaseStatus.CORRECTION:
        raise Conflict(
            "illegal_transition",
            _("办件当前状态不允许此操作。"),
            details={"status": case.status, "action": "resubmit"},
        )
    spec = specs.spec_for_item(case.item)
    problems = Problems()
    if form:
        merged = {**case.form_data, **form}
        case.form_data = clean_form(
            spec,
            merged,
            person=case.applicant,
            enterprise=case.enterprise,
            actor=user,
            purpose=PURPOSE_ONLINE,
            problems=problems,
        )
    wanted = {k: v for k, v in (materials or {}).items() if v}
    # Only the materials given are re-planned; the others stay as they are.
    spec_materials = [m for m in spec.materials if m.key in wanted or m.key in paper_keys]

    planned = plan_materials(
        SimpleNamespace(materials=spec_materials),
        wanted,
        person=case.applicant,
        enterprise=case.enterprise,
        bundle=False,
        paper=paper_keys,
        problems=problems,
    )
    problems.raise_if_any()
    if not planned and not form:
        raise ValidationFailed("materials_required", _("请提交补正材料。"), field="materials")
    notice = case.corrections.filter(resolved_at__isnull=True).first()
    now = timezone.now()
    keys = [p.key for p in planned if not (p.source == MaterialSource.UPLOAD and p.upload is None)]
    CaseMaterial.objects.filter(case=case, material__key__in=keys, replaced_at__isnull=True).update(
        replaced_at=now
    )
    created = create_materials(
        case, planned, actor=user, purpose=PURPOSE_ONLINE, checked_by=user if paper_keys else None
    )
    if notice is not None:
        notice.resolved_at = now
        notice.save(update_fields=["resolved_at"])
    data = {"materials": {cm.material.key: cm.source for cm in created}}
    if case.process_id is not None:
        from yiwang.workflow import services as wf

        wf.correction_received(case.process, actor=user, at=now)
        move(case, "resubmit_in_review", user, at=now, data=data, update_fields=("form_data",))
        case.process.refresh_from_db()
        sync_clock(case, case.process)
    else:
        move(case, "resubmit", user, at=now, data=data, update_fields=("form_data",))
    notifications.notify_department(
        case.department, _("申请人已补正：%(number)s") % {"number": case.number}, "", case=case
    )
    return case


@transaction.atomic
def forward(clerk: Any, case: Case) -> Case:
    """异地代收代办: the receiving window has checked the form and the applicant's identity
    (形式审查 + 身份核验) and forwards the case to the item's department."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not staff_can(clerk, (INTAKE,), case.receiving_department):
        raise PermissionDenied("case_action_not_allowed", _("您的岗位无权转递此办件。"))
    move(
        case, "forward", clerk, data={"department_id": case.department_id, "channel": case.channel}
    )
    notifications.notify_department(
        case.department,
        _("异地代收转递件：%(number)s") % {"number": case.number},
        _("由 %(window)s 代收，已完成形式审查和身份核验。")
        % {"window": case.receiving_department.name},
        case=case,
    )
    return case


@transaction.atomic
def withdraw(user: Any, case: Case, reason: str = "") -> Case:
    """The applicant withdraws before a decision (while submitted, forwarded or in 补正)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not is_applicant_side(user, case):
        raise PermissionDenied("case_action_not_allowed", _("只有申请人可以撤回申请。"))
    move(case, "withdraw", user, reason=(reason or "").strip())
    if case.process_id is not None and case.process.state in (
        "running",
        "suspended",
        "awaiting_correction",
    ):
        from yiwang.workflow import services as wf

        wf.cancel(case.process, actor=user, reason=reason or _("申请人撤回"))
    from yiwang.cases.services.decisions import check_bundle_done

    check_bundle_done(case, user)
    return case
