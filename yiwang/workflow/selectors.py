"""Reads of the workflow engine, permission-checked where they concern data.

Tasks are visible to the users who may handle them: a role with the task's ``role_code`` in a
department whose scope covers the task's department (``permissions.task_q``). A task outside that
answers ``NotFound``. Definitions are public (the process of a public item is public).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.workflow.models import (
    OPEN_TASK_STATES,
    DefinitionStatus,
    ProcessDefinition,
    ProcessEvent,
    ProcessInstance,
    Task,
)
from yiwang.workflow.permissions import task_q

WARNING_FILTERS = ("yellow", "red", "none")


def active_definition(key: str) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(key=key, status=DefinitionStatus.ACTIVE).first()
    if definition is None:
        raise NotFound("definition_not_found", _("流程定义不存在或未启用。"))
    return definition


def warning_q(warning: str, now: datetime.datetime, prefix: str = "") -> Q:
    """Colour at ``now`` from the cached moments, as indexed comparisons (see clock.py):
    red ``due_at < now``; yellow ``yellow_at ≤ now`` and not red; none otherwise."""
    due, yellow = f"{prefix}due_at", f"{prefix}yellow_at"
    red = Q(**{f"{due}__lt": now})
    if warning == "red":
        return red
    is_yellow = Q(**{f"{yellow}__lte": now})
    if warning == "yellow":
        return is_yellow & ~red
    if warning == "none":
        return ~is_yellow & ~red
    raise ValidationFailed(
        "invalid_warning_filter", _("预警筛选只能是 yellow、red 或 none。"), field="warning"
    )


def tasks_for_user(
    user: Any,
    *,
    open_only: bool = True,
    warning: str | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Task]:
    """The tasks ``user`` may handle, soonest due first (no deadline last).

    ``warning`` (yellow / red / none) filters by colour at ``now`` with indexed comparisons.
    """
    q = task_q(user)
    if q is None:
        return Task.objects.none()
    queryset = Task.objects.filter(q)
    if open_only:
        queryset = queryset.filter(state__in=OPEN_TASK_STATES)
    if warning:
        queryset = queryset.filter(warning_q(warning, now or timezone.now()))
    return queryset.select_related("instance", "department").order_by(
        F("due_at").asc(nulls_last=True), "id"
    )


def get_task_for_user(user: Any, task_id: int) -> Task:
    task = tasks_for_user(user, open_only=False).filter(pk=task_id).first()
    if task is None:
        raise NotFound("task_not_found", _("任务不存在或您无权查看。"))
    return task


def open_task_for(user: Any, instance: ProcessInstance) -> Task | None:
    """The first open task of ``instance`` that ``user`` may handle, or None."""
    return tasks_for_user(user).filter(instance_id=instance.pk).first()


def timeline(instance: ProcessInstance) -> list[ProcessEvent]:
    """Every step of ``instance`` in order, with actor and task (the caller checked access)."""
    return list(
        ProcessEvent.objects.filter(instance_id=instance.pk)
        .select_related("actor", "task__department")
        .order_by("at", "id")
    )


def instances_for_simulation(key: str, *, limit: int = 10000) -> list[ProcessInstance]:
    """Past and current instances of every version of definition ``key`` (newest first) with
    their auto decisions, for ``rules.simulate``."""
    return list(
        ProcessInstance.objects.filter(definition__key=key)
        .prefetch_related("auto_decisions")
        .order_by("-started_at", "-id")[:limit]
    )
