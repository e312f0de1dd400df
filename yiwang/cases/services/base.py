"""Shared pieces of the case services: who may act, moving a case, events and ledger entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import (
    Department,
    Enterprise,
    EnterpriseAgent,
    Person,
    Role,
    User,
    region_code_prefix,
)
from yiwang.accounts.selectors import active_staff_roles
from yiwang.cases import states
from yiwang.cases.models import Case, CaseEvent
from yiwang.cases.shared import actor_of
from yiwang.core.errors import NotFound, PermissionDenied, ValidationFailed
from yiwang.core.ledger import record_event

# Capabilities (stored in Role.capabilities).
INTAKE = "cases.intake"  # 受理 at a window (一窗受理, 异地代收代办)
REVIEW = "cases.review"  # 审查; a department's reviewer also accepts its online applications
APPROVE = "cases.approve"  # 审批, 延期
# Who may take an intake decision (受理/不予受理/补正) on a case of a department in his scope.
INTAKE_CAPABILITIES = (INTAKE, REVIEW)
HANDLING_CAPABILITIES = (INTAKE, REVIEW, APPROVE)


def _covers(role_scope: str, role_department: Department, department: Department) -> bool:
    if role_scope == Role.Scope.DEPARTMENT_SUBTREE:
        return department.path.startswith(role_department.path)
    if role_scope == Role.Scope.REGION_SUBTREE:
        return department.region.code.startswith(region_code_prefix(role_department.region.code))
    return department.pk == role_department.pk


def staff_can(user: Any, capabilities: tuple[str, ...], *departments: Department | None) -> bool:
    """Whether one of ``user``'s business roles with one of ``capabilities`` covers one of
    ``departments`` in its data scope."""
    targets = [d for d in departments if d is not None]
    for sr in active_staff_roles(user):
        if sr.role.admin_duty:
            continue
        caps = {str(c) for c in sr.role.capabilities or []}
        if not caps.intersection(capabilities):
            continue
        if any(_covers(sr.role.scope, sr.department, d) for d in targets):
            return True
    return False


def require_staff(user: Any, capabilities: tuple[str, ...], case: Case) -> None:
    if not staff_can(user, capabilities, case.department, case.receiving_department):
        raise PermissionDenied("case_action_not_allowed", _("您的岗位无权办理此办件。"))


def counter_department(user: Any) -> Department:
    """The window where ``user`` receives applicants (a department where he holds intake)."""
    for sr in active_staff_roles(user):
        if not sr.role.admin_duty and INTAKE in (sr.role.capabilities or []):
            return sr.department
    raise PermissionDenied("intake_not_allowed", _("您的岗位无权受理办件（需要窗口受理权限）。"))


def applicant_person(user: Any) -> Person:
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        raise PermissionDenied("applicant_required", _("请以自然人账户登录后申请。"))
    try:
        person = user.person  # cached when the user came with it (API token authentication)
    except Person.DoesNotExist:
        person = None
    if person is None:
        raise PermissionDenied("applicant_required", _("您的账户尚未完成实名登记，无法申请。"))
    return person


def check_enterprise(person: Person, enterprise: Enterprise | int | None) -> Enterprise | None:
    """The enterprise ``person`` may act for (legal representative or active agent)."""
    if enterprise is None:
        return None
    enterprise_id = enterprise if isinstance(enterprise, int) else enterprise.pk
    found = Enterprise.objects.filter(pk=enterprise_id).first()
    if found is None:
        raise NotFound("enterprise_not_found", _("企业不存在或您无权代其办理。"))
    if found.legal_representative_id == person.pk:
        return found
    today = timezone.localdate()
    agent = EnterpriseAgent.objects.filter(enterprise=found, person=person, is_active=True).first()
    if agent is None or (agent.valid_until is not None and agent.valid_until < today):
        raise NotFound("enterprise_not_found", _("企业不存在或您无权代其办理。"))
    return found


def is_applicant_side(user: Any, case: Case) -> bool:
    """The applicant himself, or a legal representative / active agent of the case's enterprise."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        return False
    if case.applicant.user_id == user.pk:
        return True
    if case.enterprise_id is None:
        return False
    if case.enterprise.legal_representative.user_id == user.pk:
        return True
    # The same test as selectors._applicant_q: an expired authorisation no longer counts.
    return (
        EnterpriseAgent.objects.filter(
            enterprise_id=case.enterprise_id, person__user_id=user.pk, is_active=True
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))
        .exists()
    )


def require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason_required", _("请填写理由。"), field=field)
    return reason


def move(
    case: Case,
    action: str,
    actor: Any,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    update_fields: tuple[str, ...] = (),
) -> CaseEvent:
    """Apply ``action`` (checked against the transition table), save, record the event and the
    ledger entry. Call inside the service's transaction."""
    before = case.status
    after = states.check_transition(before, action)
    at = at or timezone.now()
    case.status = after
    case.save(update_fields=["status", "updated_at", *update_fields])
    return record(
        case, action, actor, from_status=before, to_status=after, reason=reason, data=data, at=at
    )


def record(
    case: Case,
    kind: str,
    actor: Any,
    *,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        at=at or timezone.now(),
        actor=actor if isinstance(actor, User) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    payload: dict[str, Any] = {"number": case.number, "from": from_status, "to": to_status}
    if data:
        payload.update({k: v for k, v in data.items() if k in LEDGER_DATA_KEYS})
    if reason:
        payload["reason_given"] = True  # the text stays in the case; the ledger cannot forget
    record_event(
        actor=actor_of(actor),
        action=f"cases.case.{kind}",
        object_type="cases.case",
        object_id=str(case.pk),
        payload=payload,
    )
    return event


LEDGER_DATA_KEYS = frozenset(
    {
        "mode",
        "outcome",
        "materials",
        "item",
        "bundle",
        "channel",
        "amount",
        "reason_code",
        "delivery",
        "department_id",
        "members",
        "task_id",
    }
)
