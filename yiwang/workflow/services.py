"""Writes of the workflow engine: definitions, instances, tasks, clocks and warnings.

Every function runs in one transaction, locks the instance row it changes (parallel tasks of one
instance join safely), appends a ``ProcessEvent`` for every step (actor and time) and a ledger
entry for every decision (task outcome, auto decision, 挂起/恢复, 延期, 补正, 终止, escalation),
and calls the business service's hooks (``yiwang.workflow.hooks``) inside the transaction.

Illegal transitions raise ``Conflict`` with stable codes: ``definition_not_active``,
``process_already_started``, ``task_not_open``, ``task_claimed_by_other``, ``instance_not_running``,
``instance_not_suspended``, ``instance_not_awaiting_correction``, ``instance_closed``.

Each function takes an optional ``at`` (the moment of the step, default now) so that callers
replaying history and tests can place steps in time; the clock rules use it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Department, StaffRole
from yiwang.core.calendar import WorkingCalendar, get_calendar
from yiwang.core.deadlines import TimeLimit, Unit, WarningLevel
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.ledger import record_event
from yiwang.workflow import hooks
from yiwang.workflow.clock import instance_clock, moments, task_clock, warning_at
from yiwang.workflow.models import (
    OPEN_INSTANCE_STATES,
    OPEN_TASK_STATES,
    AutoDecision,
    ClockStop,
    DefinitionStatus,
    Extension,
    InstanceState,
    Outcome,
    ProcessDefinition,
    ProcessEvent,
    ProcessInstance,
    StopKind,
    Task,
    TaskState,
)
from yiwang.workflow.permissions import can_approve_in, can_handle
from yiwang.workflow.rules import evaluate_auto_approval, evaluate_condition
from yiwang.workflow.spec import ITEM_DEPARTMENT, Spec, Stage, department_codes, parse_spec

# 挂起 reasons (行政许可法 45: time for these is not counted).
SUSPEND_REASONS: dict[str, Any] = {
    "hearing": gettext_lazy("听证"),
    "inspection": gettext_lazy("检验"),
    "testing": gettext_lazy("检测"),
    "appraisal": gettext_lazy("鉴定"),
    "expert_review": gettext_lazy("专家评审"),
}
INSTANCE_TYPE = "workflow.processinstance"
TASK_TYPE = "workflow.task"


def escalation_role() -> str:
    return str(getattr(settings, "YIWANG_WORKFLOW_ESCALATION_ROLE", "approver"))


def _actor(user: Any) -> str:
    return "system" if user is None else f"user:{user.pk}"


def _actor_id(user: Any) -> int | None:
    return None if user is None else user.pk


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return timezone.now() if at is None else at


# --- definitions -----------------------------------------------------------------------------

_spec_cache: dict[tuple[Any, ...], Spec] = {}
_SPEC_CACHE_SIZE = 256


def spec_of(definition: ProcessDefinition) -> Spec:
    """The parsed spec of a stored definition, parsed once per definition version in this
    process (a published version is immutable; the key also holds ``created_at`` so that a row
    reused after a test database flush is never mistaken for another)."""
    key = (definition.pk, definition.version, definition.created_at)
    cached = _spec_cache.get(key)
    if cached is None:
        if len(_spec_cache) >= _SPEC_CACHE_SIZE:
            _spec_cache.clear()
        cached = _spec_cache[key] = parse_spec(definition.spec)
    return cached


def validate_definition(spec: dict[str, Any]) -> Spec:
    """Parse ``spec`` and check that the departments it names exist (ValidationFailed)."""
    parsed = parse_spec(spec)
    codes = department_codes(parsed)
    if codes:
        known = set(Department.objects.filter(uscc__in=codes).values_list("uscc", flat=True))
        for stage in parsed.stages:
            missing = [d for d in stage.departments if d != ITEM_DEPARTMENT and d not in known]
            if missing:
                raise ValidationFailed(
                    "invalid_process_spec",
                    _("环节“%(name)s”（%(key)s）的办理部门不存在：%(codes)s。")
                    % {"name": stage.name, "key": stage.key, "codes": "、".join(missing)},
                    field="spec",
                )
    return parsed


@transaction.atomic
def publish_definition(
    key: str, name: str, spec: dict[str, Any], *, actor: Any = None
) -> ProcessDefinition:
    """Validate ``spec`` and publish it as version n+1 of ``key`` (active); retire the old one."""
    key = (key or "").strip()
    name = (name or "").strip()
    if not key or len(key) > 64:
        raise ValidationFailed("invalid_process_key", _("流程代码必须是1–64个字符。"), field="key")
    if not name or len(name) > 200:
        raise ValidationFailed(
            "invalid_process_name", _("流程名称必须是1–200个字符。"), field="name"
        )
    validate_definition(spec)
    existing = list(
        ProcessDefinition.objects.select_for_update().filter(key=key).order_by("-version")
    )
    version = existing[0].version + 1 if existing else 1
    retired = [d.pk for d in existing if d.status == DefinitionStatus.ACTIVE]
    if retired:
        ProcessDefinition.objects.filter(pk__in=retired).update(status=DefinitionStatus.RETIRED)
    definition = ProcessDefinition.objects.create(
        key=key,
        version=version,
        name=name,
        status=DefinitionStatus.ACTIVE,
        spec=spec,
        created_by=actor,
    )
    record_event(
        actor=_actor(actor),
        action="workflow.definition_published",
        object_type="workflow.processdefinition",
        object_id=str(definition.pk),
        payload={"key": key, "version": version, "retired": retired},
    )
    return definition


# --- helpers ---------------------------------------------------------------------------------


def _event(
    instance: ProcessInstance,
    kind: str,
    at: datetime.datetime,
    actor: Any = None,
    *,
    task: Task | None = None,
    **data: Any,
) -> ProcessEvent:
    return ProcessEvent.objects.create(
        instance=instance, task=task, at=at, actor_id=_actor_id(actor), kind=kind, data=data
    )


def _note(
    journal: list[ProcessEvent],
    instance: ProcessInstance,
    kind: str,
    at: datetime.datetime,
    actor: Any = None,
    *,
    task: Task | None = None,
    **data: Any,
) -> None:
    """Queue an event of the current step; ``_flush`` writes the queue with one INSERT."""
    journal.append(
        ProcessEvent(
            instance=instance, task=task, at=at, actor_id=_actor_id(actor), kind=kind, data=data
        )
    )


def _flush(journal: list[ProcessEvent]) -> None:
    """Write the queued events in order (before any hook runs, so hooks see them)."""
    if journal:
        ProcessEvent.objects.bulk_create(journal)
        journal.clear()


class _ClockInputs:
    """The stored clock inputs of an instance (stops, extensions) and a calendar snapshot,
    each loaded at most once per step and only when a clock is computed."""

    def __init__(
        self,
        instance: ProcessInstance,
        *,
        stops: list[ClockStop] | None = None,
        extensions: list[Extension] | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.instance = instance
        self._stops = stops
        self._extensions = extensions
        self._calendar = calendar

    @property
    def stops(self) -> list[ClockStop]:
        if self._stops is None:
            self._stops = list(ClockStop.objects.filter(instance_id=self.instance.pk))
        return self._stops

    @property
    def extensions(self) -> list[Extension]:
        if self._extensions is None:
            self._extensions = list(Extension.objects.filter(instance_id=self.instance.pk))
        return self._extensions

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = get_calendar()
        return self._calendar


def _ledger(actor: Any, action: str, instance: ProcessInstance, **payload: Any) -> None:
    record_event(
        actor=_actor(actor),
        action=action,
        object_type=INSTANCE_TYPE,
        object_id=str(instance.pk),
        payload={
            "business_service": instance.business_service,
            "business_key": instance.business_key,
            **payload,
        },
    )


def _lock(instance: ProcessInstance) -> ProcessInstance:
    """Lock the instance row for the transaction and refresh ``instance`` from it."""
    locked = (
        ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("definition", "department__region")
        .filter(pk=instance.pk)
        .first()
    )
    if locked is None:
        raise NotFound("process_not_found", _("流程实例不存在。"))
    for field in ProcessInstance._meta.concrete_fields:
        setattr(instance, field.attname, getattr(locked, field.attname))
    instance.definition = locked.definition
    instance.department = locked.department
    return instance


def _require_open(instance: ProcessInstance) -> None:
    if instance.state not in OPEN_INSTANCE_STATES:
        raise Conflict("instance_closed", _("该流程已结束，不能再办理。"))


def _require_running(instance: ProcessInstance) -> None:
    _require_open(instance)
    if instance.state != InstanceState.RUNNING:
        raise Conflict(
            "instance_not_running",
            _("该流程当前为“%(state)s”，不能办理。") % {"state": instance.get_state_display()},
        )


# --- the stage engine ------------------------------------------------------------------------


def _stage_status(stage: Stage, tasks: list[Task]) -> str:
    """pending | skipped | open | approved | rejected for one stage from its tasks."""
    if not tasks:
        return "pending"
    if any(t.state == TaskState.SKIPPED for t in tasks):
        return "skipped"
    done = [t for t in tasks if t.state == TaskState.COMPLETED]
    approvals = sum(1 for t in done if t.outcome == Outcome.APPROVE)
    rejections = sum(1 for t in done if t.outcome == Outcome.REJECT)
    if stage.mode == "any":
        if approvals:
            return "approved"
        live = [t for t in tasks if t.state in OPEN_TASK_STATES]
        return "rejected" if not live and rejections else "open"
    if rejections:
        return "rejected"
    if approvals and approvals == len(tasks):
        return "approved"
    return "open"


def _resolve_departments(instance: ProcessInstance, wanted: list[tuple[Task, str, Stage]]) -> None:
    """Set the department of each new task from its stage's USCC (one query for all)."""
    if not wanted:
        return
    codes = {code for _task, code, _stage in wanted}
    found = {d.uscc: d for d in Department.objects.select_related("region").filter(uscc__in=codes)}
    for task, code, stage in wanted:
        dept = found.get(code)
        if dept is None:
            raise ValidationFailed(
                "stage_department_missing",
                _("环节“%(name)s”的办理部门 %(code)s 不存在。")
                % {"name": stage.name, "code": code},
            )
        task.department = dept


def _advance(
    instance: ProcessInstance,
    spec: Spec,
    tasks: list[Task],
    at: datetime.datetime,
    actor: Any,
    journal: list[ProcessEvent],
    inputs: _ClockInputs,
) -> list[Task]:
    """Open every stage whose predecessors are finished (skip those whose condition is false).

    The new tasks (opened and skipped) are inserted with one query, with their stage clocks
    (``due_at``/``yellow_at``) already computed; their events are queued on ``journal``.
    Returns the tasks opened. ``tasks`` (all of the instance's tasks) is extended in place.
    """
    by_stage: dict[str, list[Task]] = {}
    for task in tasks:
        by_stage.setdefault(task.stage_key, []).append(task)
    new: list[Task] = []
    opened: list[Task] = []
    notes: list[tuple[Task, str, dict[str, Any]]] = []
    wanted: list[tuple[Task, str, Stage]] = []
    for stage in spec.order:
        if by_stage.get(stage.key):
            continue
        statuses = [_stage_status(spec.stage(a), by_stage.get(a, [])) for a in stage.after]
        if any(s not in ("approved", "skipped") for s in statuses):
            continue
        holds, explanation = evaluate_condition(stage.when, instance.data)
        limit = stage.limit
        common = {
            "instance": instance,
            "stage_key": stage.key,
            "name": stage.name,
            "mode": stage.mode,
            "role_code": stage.role,
            "created_at": at,
            "limit_amount": None if limit is None else limit.amount,
            "limit_unit": Unit.WORKING_DAYS if limit is None else limit.unit,
        }
        if not holds:
            skipped = Task(
                **common, department=instance.department, state=TaskState.SKIPPED, completed_at=at
            )
            by_stage[stage.key] = [skipped]
            new.append(skipped)
            notes.append(
                (skipped, "stage_skipped", {"stage": stage.key, "explanation": explanation})
            )
            continue
        stage_tasks = []
        for code in stage.departments:
            task = Task(**common)
            if code == ITEM_DEPARTMENT:
                task.department = instance.department
            else:
                wanted.append((task, code, stage))
            stage_tasks.append(task)
            data: dict[str, Any] = {"stage": stage.key}
            if stage.when is not None:
                data["explanation"] = explanation
            notes.append((task, "task_opened", data))
        by_stage[stage.key] = stage_tasks
        new.extend(stage_tasks)
        opened.extend(stage_tasks)
    if not new:
        return opened
    _resolve_departments(instance, wanted)
    for task in opened:
        clock = task_clock(task, instance, inputs.stops, inputs.extensions)
        if clock is not None:
            m = moments(clock, inputs.calendar)
            task.due_at, task.yellow_at = m.due_at, m.yellow_at
    Task.objects.bulk_create(new)
    tasks.extend(new)
    for task, kind, data in notes:
        if kind == "task_opened":
            data = {"stage": data["stage"], "department": task.department_id, **data}
        _note(journal, instance, kind, at, actor, task=task, **data)
    return opened


def _all_done(spec: Spec, tasks: list[Task]) -> bool:
    by_stage: dict[str, list[Task]] = {}
    for task in tasks:
        by_stage.setdefault(task.stage_key, []).append(task)
    return all(
        _stage_status(stage, by_stage.get(stage.key, [])) in ("approved", "skipped")
        for stage in spec.stages
    )


def _cancel_tasks(
    instance: ProcessInstance,
    tasks: Iterable[Task],
    at: datetime.datetime,
    actor: Any,
    reason: str,
    journal: list[ProcessEvent] | None = None,
) -> None:
    """Cancel the open tasks among ``tasks``; their events go to ``journal`` (or are written)."""
    live = [t for t in tasks if t.state in OPEN_TASK_STATES]
    if not live:
        return
    Task.objects.filter(pk__in=[t.pk for t in live]).update(
        state=TaskState.CANCELLED, completed_at=at
    )
    queue: list[ProcessEvent] = [] if journal is None else journal
    for task in live:
        task.state = TaskState.CANCELLED
        task.completed_at = at
        _note(queue, instance, "task_cancelled", at, actor, task=task, reason=reason)
    if journal is None:
        _flush(queue)


def _finish(
    instance: ProcessInstance,
    state: str,
    at: datetime.datetime,
    actor: Any,
    reason: str,
    journal: list[ProcessEvent] | None = None,
) -> None:
    """End the instance; the queued events and the end event are written before the hook."""
    instance.state = state
    instance.ended_at = at
    instance.outcome_reason = reason
    instance.warning = WarningLevel.NONE
    ProcessInstance.objects.filter(pk=instance.pk).update(
        state=state, ended_at=at, outcome_reason=reason, warning=WarningLevel.NONE
    )
    queue: list[ProcessEvent] = [] if journal is None else journal
    _note(queue, instance, state, at, actor, reason=reason)
    _flush(queue)
    hooks.finished(instance)


# --- instances -------------------------------------------------------------------------------


@transaction.atomic
def start_process(
    definition: ProcessDefinition,
    *,
    business_key: str,
    department: Department,
    data: dict[str, Any],
    started_at: datetime.datetime,
    limit: TimeLimit,
    legal_limit: TimeLimit,
    actor: Any = None,
    business_service: str = "cases.case",
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """Start ``definition`` for one business object; the clock runs from ``started_at``.

    Auto-approval (智能秒办) runs first when the definition enables it and records an
    ``AutoDecision`` either way; a rule that fires ends the instance ``approved`` at once.
    Otherwise the first stages' tasks open (at ``started_at``).
    """
    if definition.status != DefinitionStatus.ACTIVE:
        raise Conflict("definition_not_active", _("该流程定义未启用。"))
    if Unit(limit.unit) != Unit(legal_limit.unit):
        raise ValidationFailed(
            "limit_units_differ", _("承诺时限与法定时限的单位必须相同。"), field="limit"
        )
    if ProcessInstance.objects.filter(
        business_service=business_service, business_key=business_key
    ).exists():
        raise Conflict("process_already_started", _("该办件的流程已经启动。"))
    spec = spec_of(definition)
    calendar = get_calendar()
    instance = ProcessInstance(
        definition=definition,
        business_service=business_service,
        business_key=business_key,
        department=department,
        data=data,
        clock_started_at=started_at,
        limit_amount=limit.amount,
        legal_limit_amount=legal_limit.amount,
        limit_unit=Unit(limit.unit),
    )
    # A new instance has no stops or extensions: its clocks are known before the INSERT.
    inputs = _ClockInputs(instance, stops=[], extensions=[], calendar=calendar)
    _set_instance_clock(instance, inputs)
    instance.save(force_insert=True)
    moment = _now(at) if at is not None else started_at
    journal: list[ProcessEvent] = []
    _note(
        journal,
        instance,
        "started",
        moment,
        actor,
        definition=definition.key,
        version=definition.version,
        limit=limit.amount,
        legal_limit=legal_limit.amount,
        unit=str(limit.unit),
    )
    if spec.auto_approval.enabled:
        result = evaluate_auto_approval(spec, data)
        AutoDecision.objects.create(
            instance=instance,
            rule_id=result.rule_id,
            decision=result.decision,
            reasons=result.reasons,
            data=data,
        )
        _note(
            journal,
            instance,
            "auto_decision",
            moment,
            None,
            decision=result.decision,
            rule=result.rule_id,
        )
        _ledger(
            None,
            "workflow.auto_decision",
            instance,
            decision=result.decision,
            rule_id=result.rule_id,
            reasons=result.reasons,
        )
        if result.approved:
            _flush(journal)
            _apply_warnings(instance, [], moment)
            _finish(
                instance,
                InstanceState.APPROVED,
                moment,
                None,
                _("智能秒办：规则 %(rule)s 命中。") % {"rule": result.rule_id},
            )
            return instance
    tasks: list[Task] = []
    opened = _advance(instance, spec, tasks, started_at, actor, journal, inputs)
    _flush(journal)
    _apply_warnings(instance, opened, moment)
    for task in opened:
        hooks.task_opened(task, business_service)
    hooks.clock_changed(instance)
    if _all_done(spec, tasks):
        _finish(instance, InstanceState.APPROVED, moment, actor, _("所有环节均已跳过。"))
    return instance


# --- tasks -----------------------------------------------------------------------------------


def _locked_task(task: Task) -> tuple[ProcessInstance, Task, list[Task]]:
    """Lock the task's instance, then read and lock all of its tasks with one query.

    Returns the instance, the fresh copy of ``task`` and every task of the instance (the copy
    among them), each with its department and region loaded.
    """
    instance = ProcessInstance(pk=task.instance_id)
    _lock(instance)
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .select_related("department__region")
        .filter(instance_id=instance.pk)
        .order_by("created_at", "id")
    )
    fresh = None
    for each in tasks:
        each.instance = instance
        if each.pk == task.pk:
            fresh = each
    if fresh is None:
        raise NotFound("task_not_found", _("任务不存在。"))
    return instance, fresh, tasks


def _require_handler(actor: Any, task: Task) -> None:
    if actor is None or not can_handle(actor, task.role_code, task.department):
        raise PermissionDenied(
            "not_task_handler",
            _("您没有办理此任务的权限：需要在%(dept)s具有“%(role)s”角色。")
            % {"dept": task.department.name, "role": task.role_code},
        )


@transaction.atomic
def claim_task(task: Task, *, actor: Any, at: datetime.datetime | None = None) -> Task:
    """Take an open task (签收): it stays assigned to ``actor`` until completed."""
    instance, task, _tasks = _locked_task(task)
    _require_handler(actor, task)
    if task.state == TaskState.CLAIMED and task.assignee_id == actor.pk:
        return task
    if task.state != TaskState.OPEN:
        code = "task_claimed_by_other" if task.state == TaskState.CLAIMED else "task_not_open"
        raise Conflict(code, _("该任务已被签收或已办结。"))
    _require_running(instance)
    moment = _now(at)
    task.state, task.assignee = TaskState.CLAIMED, actor
    task.save(update_fields=["state", "assignee"])
    _event(instance, "task_claimed", moment, actor, task=task)
    return task


@transaction.atomic
def complete_task(
    task: Task,
    *,
    actor: Any,
    outcome: str,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """Record ``actor``'s decision on ``task`` and move the process on.

    PermissionDenied (``not_task_handler``) unless the actor holds ``task.role_code`` in a
    department whose scope covers the task's; Conflict ``task_not_open`` for a closed task,
    ``task_claimed_by_other`` for a task someone else signed for, ``instance_not_running`` while
    挂起/补正. A reject in a single/会签 stage rejects the process; in a 或签 stage the first
    approval closes the other tasks and the stage is rejected only when every task rejected.
    """
    if outcome not in Outcome.values:
        raise ValidationFailed(
            "invalid_outcome", _("办理结果必须是“同意”或“不同意”。"), field="outcome"
        )
    instance, task, tasks = _locked_task(task)
    _require_handler(actor, task)
    if task.state not in OPEN_TASK_STATES:
        raise Conflict("task_not_open", _("该任务已办结，不能重复办理。"))
    if task.state == TaskState.CLAIMED and task.assignee_id not in (None, actor.pk):
        raise Conflict("task_claimed_by_other", _("该任务已由他人签收。"))
    _require_running(instance)
    moment = _now(at)
    task.state = TaskState.COMPLETED
    task.outcome = outcome
    task.comment = comment
    task.completed_at = moment
    task.completed_by = actor
    Task.objects.filter(pk=task.pk).update(
        state=TaskState.COMPLETED,
        outcome=outcome,
        comment=comment,
        completed_at=moment,
        completed_by=actor,
    )
    journal: list[ProcessEvent] = []
    _note(
        journal,
        instance,
        "task_completed",
        moment,
        actor,
        task=task,
        outcome=outcome,
        comment=comment,
    )

    spec = spec_of(instance.definition)
    stage = spec.stage(task.stage_key)
    stage_tasks = [t for t in tasks if t.stage_key == stage.key]
    status = _stage_status(stage, stage_tasks)
    result_state = instance.state
    opened: list[Task] = []
    if status == "rejected":
        _cancel_tasks(instance, tasks, moment, actor, "process_rejected", journal)
        result_state = InstanceState.REJECTED
    elif status == "approved":
        if stage.mode == "any":
            _cancel_tasks(instance, stage_tasks, moment, actor, "any_sign_closed", journal)
        opened = _advance(instance, spec, tasks, moment, actor, journal, _ClockInputs(instance))
        if _all_done(spec, tasks):
            result_state = InstanceState.APPROVED
    if opened:
        _flush(journal)
        for new_task in opened:
            hooks.task_opened(new_task, instance.business_service)
    _ledger(
        actor,
        "workflow.task_completed",
        instance,
        task=task.pk,
        stage=task.stage_key,
        department=task.department_id,
        outcome=outcome,
        stage_status=status,
        process_state=str(result_state),
    )
    if result_state == InstanceState.REJECTED:
        _finish(
            instance,
            InstanceState.REJECTED,
            moment,
            actor,
            _("环节“%(stage)s”不同意。") % {"stage": stage.name},
            journal,
        )
    elif result_state == InstanceState.APPROVED:
        _finish(instance, InstanceState.APPROVED, moment, actor, _("所有环节均已同意。"), journal)
    else:
        _flush(journal)
    return instance


# --- clock changes ---------------------------------------------------------------------------


@transaction.atomic
def suspend(
    instance: ProcessInstance,
    *,
    actor: Any,
    reason_code: str,
    reason: str,
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """挂起: stop the clock for 听证/检验/检测/鉴定/专家评审 (``SUSPEND_REASONS``)."""
    if reason_code not in SUSPEND_REASONS:
        raise ValidationFailed(
            "invalid_suspend_reason",
            _("挂起原因必须是：%(codes)s。")
            % {"codes": "、".join(f"{k}（{v}）" for k, v in SUSPEND_REASONS.items())},
            field="reason_code",
        )
    _lock(instance)
    _require_running(instance)
    moment = _now(at)
    ClockStop.objects.create(
        instance=instance,
        kind=StopKind.SUSPEND,
        reason_code=reason_code,
        reason=reason,
        started_at=moment,
        started_by=actor,
    )
    _set_state(instance, InstanceState.SUSPENDED)
    _event(instance, "suspended", moment, actor, reason_code=reason_code, reason=reason)
    _ledger(actor, "workflow.suspended", instance, reason_code=reason_code, reason=reason)
    refresh_clock(instance, moment)
    return instance


@transaction.atomic
def resume(
    instance: ProcessInstance, *, actor: Any, at: datetime.datetime | None = None
) -> ProcessInstance:
    """End the 挂起: the clock runs again from ``at``."""
    _lock(instance)
    _require_open(instance)
    if instance.state != InstanceState.SUSPENDED:
        raise Conflict("instance_not_suspended", _("该流程未挂起。"))
    moment = _now(at)
    _close_stop(instance, moment, actor)
    _set_state(instance, InstanceState.RUNNING)
    _event(instance, "resumed", moment, actor)
    _ledger(actor, "workflow.resumed", instance)
    refresh_clock(instance, moment)
    return instance


@transaction.atomic
def extend(
    instance: ProcessInstance,
    *,
    actor: Any,
    amount: int,
    reason: str,
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """延期: add ``amount`` (in the limit's unit) with an approver's consent (cases.approve in a
    role covering the instance's department); all extensions together ≤ ``max_extension``."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValidationFailed("invalid_extension", _("延期天数必须是正整数。"), field="amount")
    if not (reason or "").strip():
        raise ValidationFailed("extension_reason_required", _("请填写延期理由。"), field="reason")
    _lock(instance)
    _require_open(instance)
    department = Department.objects.select_related("region").get(pk=instance.department_id)
    if actor is None or not can_approve_in(actor, department):
        raise PermissionDenied("extension_needs_approver", _("延期须经本部门审批负责人批准。"))
    spec = spec_of(instance.definition)
    used = sum(e.amount for e in instance.extensions.all())
    if used + amount > spec.max_extension:
        raise ValidationFailed(
            "extension_limit_exceeded",
            _("延期总计不得超过 %(max)d 个单位（已延期 %(used)d）。")
            % {"max": spec.max_extension, "used": used},
            field="amount",
        )
    moment = _now(at)
    Extension.objects.create(
        instance=instance, amount=amount, reason=reason, approved_by=actor, approved_at=moment
    )
    _event(instance, "extended", moment, actor, amount=amount, reason=reason)
    _ledger(actor, "workflow.extended", instance, amount=amount, reason=reason, total=used + amount)
    refresh_clock(instance, moment)
    return instance


@transaction.atomic
def request_correction(
    instance: ProcessInstance,
    *,
    actor: Any,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """补正: the applicant must complete the materials; the clock stops until they arrive."""
    _lock(instance)
    _require_running(instance)
    moment = _now(at)
    ClockStop.objects.create(
        instance=instance,
        kind=StopKind.CORRECTION,
        reason_code="correction",
        reason=reason,
        started_at=moment,
        started_by=actor,
    )
    _set_state(instance, InstanceState.AWAITING_CORRECTION)
    _event(instance, "correction_requested", moment, actor, reason=reason)
    _ledger(actor, "workflow.correction_requested", instance, reason=reason)
    refresh_clock(instance, moment)
    return instance


@transaction.atomic
def correction_received(
    instance: ProcessInstance, *, actor: Any, at: datetime.datetime
) -> ProcessInstance:
    """The corrected materials arrived at ``at``: the clock restarts from ``at`` (counting begins
    anew; stops before the restart no longer count) and the instance runs again."""
    _lock(instance)
    _require_open(instance)
    if instance.state != InstanceState.AWAITING_CORRECTION:
        raise Conflict("instance_not_awaiting_correction", _("该流程未处于待补正状态。"))
    _close_stop(instance, at, actor)
    instance.clock_started_at = at
    instance.state = InstanceState.RUNNING
    ProcessInstance.objects.filter(pk=instance.pk).update(
        clock_started_at=at, state=InstanceState.RUNNING
    )
    _event(instance, "correction_received", at, actor)
    _ledger(actor, "workflow.correction_received", instance, clock_started_at=at.isoformat())
    refresh_clock(instance, at)
    return instance


@transaction.atomic
def cancel(
    instance: ProcessInstance,
    *,
    actor: Any,
    reason: str,
    at: datetime.datetime | None = None,
) -> ProcessInstance:
    """终止 (withdrawal, 不予受理 after start …): open tasks are cancelled, the clock stops."""
    _lock(instance)
    _require_open(instance)
    moment = _now(at)
    ClockStop.objects.filter(instance=instance, ended_at__isnull=True).update(
        ended_at=moment, ended_by=actor
    )
    _cancel_tasks(instance, list(instance.tasks.all()), moment, actor, "process_cancelled")
    _ledger(actor, "workflow.cancelled", instance, reason=reason)
    _finish(instance, InstanceState.CANCELLED, moment, actor, reason)
    return instance


def _set_state(instance: ProcessInstance, state: str) -> None:
    instance.state = state
    ProcessInstance.objects.filter(pk=instance.pk).update(state=state)


def _close_stop(instance: ProcessInstance, at: datetime.datetime, actor: Any) -> None:
    stop = ClockStop.objects.filter(instance=instance, ended_at__isnull=True).first()
    if stop is not None:
        if at < stop.started_at:
            raise ValidationFailed(
                "stop_ends_before_start", _("恢复时间不能早于挂起时间。"), field="at"
            )
        stop.ended_at, stop.ended_by = at, actor
        stop.save(update_fields=["ended_at", "ended_by"])


# --- clocks and warnings ---------------------------------------------------------------------


def _set_instance_clock(instance: ProcessInstance, inputs: _ClockInputs) -> bool:
    """Compute the cached clock fields of ``instance`` in memory; True if any changed."""
    stops, extensions, calendar = inputs.stops, inputs.extensions, inputs.calendar
    promised = moments(instance_clock(instance, stops, extensions), calendar)
    legal = moments(instance_clock(instance, stops, extensions, legal=True), calendar)
    new = (
        promised.due_at,
        legal.due_at,
        promised.yellow_at,
        promised.provisional or legal.provisional,
    )
    old = (instance.due_at, instance.legal_due_at, instance.yellow_at, instance.provisional)
    instance.due_at, instance.legal_due_at, instance.yellow_at, instance.provisional = new
    return old != new


def _apply_warnings(instance: ProcessInstance, tasks: list[Task], now: datetime.datetime) -> None:
    """Set the colours at ``now`` of an open instance and of its open ``tasks`` (writes only
    what changes)."""
    if instance.state in OPEN_INSTANCE_STATES:
        _apply_warning(instance, warning_at(now, instance.due_at, instance.yellow_at), now)
        for task in tasks:
            if task.state in OPEN_TASK_STATES:
                _apply_task_warning(
                    instance, task, warning_at(now, task.due_at, task.yellow_at), now
                )


def _refresh(
    instance: ProcessInstance,
    calendar: WorkingCalendar,
    now: datetime.datetime,
    *,
    notify: bool,
    tasks: list[Task] | None = None,
) -> bool:
    inputs = _ClockInputs(instance, calendar=calendar)
    changed = _set_instance_clock(instance, inputs)
    ProcessInstance.objects.filter(pk=instance.pk).update(
        due_at=instance.due_at,
        legal_due_at=instance.legal_due_at,
        yellow_at=instance.yellow_at,
        provisional=instance.provisional,
    )
    if tasks is None:
        tasks = list(
            Task.objects.filter(instance_id=instance.pk, state__in=OPEN_TASK_STATES).select_related(
                "department"
            )
        )
    for task in tasks:
        clock = task_clock(task, instance, inputs.stops, inputs.extensions)
        if clock is None:
            continue
        m = moments(clock, calendar)
        if (task.due_at, task.yellow_at) != (m.due_at, m.yellow_at):
            task.due_at, task.yellow_at = m.due_at, m.yellow_at
            Task.objects.filter(pk=task.pk).update(due_at=m.due_at, yellow_at=m.yellow_at)
    _apply_warnings(instance, tasks, now)
    if changed and notify:
        hooks.clock_changed(instance)
    return changed


def refresh_clock(
    instance: ProcessInstance, now: datetime.datetime | None = None
) -> ProcessInstance:
    """Recompute due_at, legal_due_at, yellow_at, provisional and warning of ``instance`` and of
    its open tasks from the stored inputs (call after a calendar change, or any clock step).

    A warning that rises here is handled as in ``check_deadlines`` (event, hook, escalation).
    """
    with transaction.atomic():
        _refresh(instance, get_calendar(), _now(now), notify=True)
    return instance


def _apply_warning(instance: ProcessInstance, level: WarningLevel, now: datetime.datetime) -> bool:
    if instance.warning == level:
        return False
    instance.warning = level
    ProcessInstance.objects.filter(pk=instance.pk).update(warning=level)
    _event(instance, "warning", now, None, level=str(level))
    if level != WarningLevel.NONE:
        hooks.warning(instance, str(level), instance.business_service)
    return True


def supervisors_for(task: Task) -> list[int]:
    """User ids of the escalation role (default ``approver``) in the task's department or an
    ancestor (nearest first)."""
    ancestor_ids = [int(p) for p in task.department.path.strip("/").split("/") if p]
    rows = (
        StaffRole.objects.active()
        .filter(
            role__code=escalation_role(),
            department_id__in=ancestor_ids,
            department__is_active=True,
            user__is_active=True,
        )
        .values_list("user_id", "department_id")
    )
    rank = {dept: -i for i, dept in enumerate(ancestor_ids)}
    return [u for u, _d in sorted(rows, key=lambda r: (rank.get(r[1], 0), r[0]))]


def _apply_task_warning(
    instance: ProcessInstance, task: Task, level: WarningLevel, now: datetime.datetime
) -> bool:
    if task.warning == level:
        return False
    task.warning = level
    updates: dict[str, Any] = {"warning": level}
    _event(instance, "task_warning", now, None, task=task, level=str(level))
    if level == WarningLevel.RED and task.escalated_at is None:
        supervisors = supervisors_for(task)
        task.escalated_at = now
        updates["escalated_at"] = now
        _event(instance, "task_escalated", now, None, task=task, supervisors=supervisors)
        _ledger(
            None,
            "workflow.task_escalated",
            instance,
            task=task.pk,
            stage=task.stage_key,
            department=task.department_id,
            supervisors=supervisors,
        )
    Task.objects.filter(pk=task.pk).update(**updates)
    if level != WarningLevel.NONE:
        hooks.warning(task, str(level), instance.business_service)
    return True


def check_deadlines(now: datetime.datetime | None = None) -> int:
    """Raise yellow/red warnings whose moment has passed on open instances and tasks; escalate
    red tasks to a supervisor. Each instance is handled in its own transaction. Returns how many
    instances and tasks changed colour."""
    now = _now(now)
    rising = Q(due_at__lt=now) & ~Q(warning=WarningLevel.RED)
    rising |= Q(yellow_at__lte=now, warning=WarningLevel.NONE)
    instance_ids = set(
        ProcessInstance.objects.filter(rising, state__in=OPEN_INSTANCE_STATES).values_list(
            "pk", flat=True
        )
    )
    instance_ids |= set(
        Task.objects.filter(
            rising, state__in=OPEN_TASK_STATES, instance__state__in=OPEN_INSTANCE_STATES
        ).values_list("instance_id", flat=True)
    )
    changed = 0
    for pk in sorted(instance_ids):
        with transaction.atomic():
            instance = ProcessInstance(pk=pk)
            _lock(instance)
            if instance.state not in OPEN_INSTANCE_STATES:
                continue
            changed += _apply_warning(
                instance, warning_at(now, instance.due_at, instance.yellow_at), now
            )
            tasks = Task.objects.select_for_update().filter(
                instance_id=pk, state__in=OPEN_TASK_STATES
            )
            for task in tasks.select_related("department"):
                level = warning_at(now, task.due_at, task.yellow_at)
                changed += _apply_task_warning(instance, task, level, now)
    return changed
