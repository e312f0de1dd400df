"""Review and decision: the reviewer's opinion on his open task, 挂起/恢复/延期 (delegated to the
workflow engine), the outcome when the process finishes, delivery (送达), and the completion of a
bundle (一件事) when all its members are done — with exactly one notice to the applicant.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases import notifications, results, states
from yiwang.cases.models import Case, CaseStatus, Delivery
from yiwang.cases.services.base import (
    APPROVE,
    HANDLING_CAPABILITIES,
    REVIEW,
    move,
    record,
    require_reason,
    require_staff,
)
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed


def _require_in_review(case: Case, action: str) -> None:
    states.check_transition(case.status, action)
    if case.process_id is None:
        raise Conflict("no_process", _("办件尚未受理，没有审批流程。"))


@transaction.atomic
def review(user: Any, case: Case, outcome: str, comment: str = "") -> Case:
    """The user's opinion (审查意见) on his open task of the case's process."""
    from yiwang.workflow import selectors as wf_selectors
    from yiwang.workflow import services as wf

    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_in_review(case, "review")
    if outcome not in ("approve", "reject"):
        raise ValidationFailed(
            "invalid_outcome", _("审查意见只能是同意或不同意。"), field="outcome"
        )
    if outcome == "reject":
        comment = require_reason(comment, "comment")
    task = wf_selectors.open_task_for(user, case.process)
    if task is None:
        raise PermissionDenied("no_open_task", _("您在此办件上没有待办的审查任务。"))
    record(
        case,
        "review",
        user,
        from_status=case.status,
        to_status=case.status,
        reason=comment,
        data={"outcome": outcome, "task_id": task.pk},
    )
    wf.complete_task(task, actor=user, outcome=outcome, comment=comment)
    case.refresh_from_db()
    instance = case.process
    instance.refresh_from_db()
    if instance.state in ("approved", "rejected") and case.status == CaseStatus.IN_REVIEW:
        on_process_finished(instance)  # in case the engine did not call the hook
        case.refresh_from_db()
    return case


@transaction.atomic
def suspend(user: Any, case: Case, reason_code: str, reason: str) -> Case:
    """挂起: 听证、检验、检测、鉴定、专家评审 — the clock stops."""
    from yiwang.workflow import services as wf

    case = Case.objects.select_for_update().get(pk=case.pk)
    require_staff(user, HANDLING_CAPABILITIES, case)
    _require_in_review(case, "suspend")
    reason = require_reason(reason)
    wf.suspend(case.process, actor=user, reason_code=reason_code or "other", reason=reason)
    move(case, "suspend", user, reason=reason, data={"reason_code": reason_code})
    _sync(case)
    return case


@transaction.atomic
def resume(user: Any, case: Case) -> Case:
    from yiwang.workflow import services as wf

    case = Case.objects.select_for_update().get(pk=case.pk)
    require_staff(user, HANDLING_CAPABILITIES, case)
    _require_in_review(case, "resume")
    wf.resume(case.process, actor=user)
    move(case, "resume", user)
    _sync(case)
    return case


@transaction.atomic
def extend(user: Any, case: Case, amount: int, reason: str) -> Case:
    """延期 (approved extension; the engine checks ``cases.approve`` and the maximum)."""
    from yiwang.workflow import services as wf

    case = Case.objects.select_for_update().get(pk=case.pk)
    require_staff(user, (REVIEW, APPROVE), case)
    _require_in_review(case, "extend")
    reason = require_reason(reason)
    if int(amount) <= 0:
        raise ValidationFailed("invalid_amount", _("延期天数须为正整数。"), field="amount")
    wf.extend(case.process, actor=user, amount=int(amount), reason=reason)
    move(case, "extend", user, reason=reason, data={"amount": int(amount)})
    _sync(case)
    notifications.notify_applicant(
        case, _("办件已延期：%(number)s") % {"number": case.number}, reason, sms=False
    )
    return case


def _sync(case: Case) -> None:
    from yiwang.cases.services.intake import sync_clock

    case.process.refresh_from_db()
    sync_clock(case, case.process)


# --- outcome (workflow hooks) --------------------------------------------------------------------


def _case_of(instance: Any) -> Case | None:
    if getattr(instance, "business_service", "cases.case") != "cases.case":
        return None
    return Case.objects.select_for_update().filter(number=instance.business_key).first()


def on_clock_changed(instance: Any) -> None:
    case = _case_of(instance)
    if case is None:
        return
    from yiwang.cases.services.intake import sync_clock

    sync_clock(case, instance)


def on_process_finished(instance: Any) -> None:
    """approved → 准予 (and 电子送达 at once); rejected → 不予许可 with the reason."""
    case = _case_of(instance)
    if case is None or case.status != CaseStatus.IN_REVIEW:
        return  # already handled, or cancelled by a withdrawal
    if case.process_id is None:
        case.process = instance
        case.save(update_fields=["process"])
    now = timezone.now()
    case.decided_at = now
    if instance.state == "approved":
        case.result = {
            "name": case.item.result_name or case.item.name,
            "type": case.item.result_type,
            "licence_ids": [],
        }
        case.result["licence_ids"] = results.issue(case)
        move(case, "approve", None, at=now, update_fields=("decided_at", "result"))
        if case.parent_id is None:
            notifications.notify_applicant(
                case,
                _("您的申请已准予：%(number)s") % {"number": case.number},
                _("办理结果：%(name)s。") % {"name": case.result["name"]},
            )
        if case.delivery == Delivery.ELECTRONIC:
            deliver(None, case, Delivery.ELECTRONIC)
    elif instance.state == "rejected":
        case.decision_reason = instance.outcome_reason or _("经审查，不符合许可条件。")
        move(
            case,
            "deny",
            None,
            at=now,
            reason=case.decision_reason,
            update_fields=("decided_at", "decision_reason"),
        )
        if case.parent_id is None:
            notifications.notify_applicant(
                case,
                _("您的申请不予许可：%(number)s") % {"number": case.number},
                case.decision_reason,
            )
        check_bundle_done(case, None)


@transaction.atomic
def deliver(user: Any, case: Case, method: str | None = None) -> Case:
    """送达: the result reaches the applicant (electronic, post, pick-up) → 办结."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if user is not None:
        require_staff(user, HANDLING_CAPABILITIES, case)
    method = method or case.delivery
    if method not in Delivery.values:
        raise ValidationFailed("invalid_delivery", _("送达方式无效。"), field="method")
    case.delivery = method
    case.completed_at = timezone.now()
    move(
        case, "deliver", user, data={"delivery": method}, update_fields=("delivery", "completed_at")
    )
    if case.parent_id is None:
        notifications.notify_applicant(
            case,
            _("您的办件已办结：%(number)s") % {"number": case.number},
            _("办理结果：%(name)s，送达方式：%(method)s。")
            % {"name": case.result.get("name", ""), "method": Delivery(method).label},
        )
    check_bundle_done(case, user)
    return case


def check_bundle_done(case: Case, actor: Any) -> None:
    """When every member of a bundle is done, complete the parent and send ONE notice."""
    if case.parent_id is None:
        return
    parent = Case.objects.select_for_update().get(pk=case.parent_id)
    if parent.status in states.FINAL_STATUSES:
        return
    members = list(parent.members.select_related("item").order_by("id"))
    if any(m.status not in states.FINAL_STATUSES for m in members):
        return
    parent.completed_at = timezone.now()
    parent.result = {
        "members": [
            {
                "number": m.number,
                "item": m.item.name,
                "status": m.status,
                "result": m.result.get("name", ""),
                "reason": m.decision_reason,
            }
            for m in members
        ]
    }
    move(
        parent,
        "bundle_complete",
        actor,
        update_fields=("completed_at", "result"),
        data={"members": [m.number for m in members]},
    )
    issued = _("（电子证照已签发，可在“我的证照”查看）")
    lines = [
        _("· %(item)s：%(status)s") % {"item": m.item.name, "status": m.get_status_display()}
        + (issued if (m.result or {}).get("licence_ids") else "")
        for m in members
    ]
    notifications.notify_applicant(
        parent,
        _("“%(name)s”已全部办结：%(number)s")
        % {"name": parent.bundle.name, "number": parent.number},
        "\n".join(lines),
    )
