"""The workflow engine's state: versioned process definitions, running instances, their tasks,
clock stops (挂起/补正), extensions (延期), auto-approval decisions and the event timeline.

Semantics follow DIGIT's workflow service (a *business service* with states, actions, an SLA per
state and overall, escalation) with the Chinese clock rules of the core deadline engine:

- ``ProcessDefinition`` (key, version): the ``spec`` JSON lists stages (user tasks assigned to a
  department role), their order (``after``), mode (single / 会签 all / 或签 any), conditions on the
  instance data, per-stage limits, and the auto-approval rules. Definitions are immutable once
  active; a change is a new version. An instance keeps the version it started with.
- ``ProcessInstance``: one run for one business object (``business_service`` + ``business_key``,
  e.g. ``cases.case`` + the case number). It owns the overall clock; ``due_at``/``yellow_at``/
  ``legal_due_at`` are cached for indexed worklists and recomputed on every clock change.
- ``Task``: one assignment of a stage to a department (and role); 会签 creates one task per
  department, all must approve; 或签 one per department, the first approval closes the others.
- ``ClockStop`` and ``Extension``: the inputs of ``yiwang.core.deadlines.Clock``.
- ``AutoDecision``: which auto-approval rule fired (or why none did), with the data it saw.
- ``ProcessEvent``: every step with actor and time (the case timeline merges these).

See docs/decisions/0005-own-workflow-engine.md and docs/workflow.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department


class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class ProcessDefinition(models.Model):
    key = models.CharField(_("流程代码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=DefinitionStatus.choices, default=DefinitionStatus.DRAFT
    )
    spec = models.JSONField(_("流程定义"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="definition_key_version"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="active"), name="definition_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.key} v{self.version}）"


class InstanceState(models.TextChoices):
    RUNNING = "running", _("办理中")
    SUSPENDED = "suspended", _("挂起")
    AWAITING_CORRECTION = "awaiting_correction", _("待补正")
    APPROVED = "approved", _("审批通过")
    REJECTED = "rejected", _("审批不通过")
    CANCELLED = "cancelled", _("已终止")


OPEN_INSTANCE_STATES = (
    InstanceState.RUNNING,
    InstanceState.SUSPENDED,
    InstanceState.AWAITING_CORRECTION,
)


class Warning(models.TextChoices):  # the domain's word (预警); shadows the builtin here only
    NONE = "none", _("正常")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌超期")


class ProcessInstance(models.Model):
    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="instances"
    )
    business_service = models.CharField(max_length=64, default="cases.case")
    business_key = models.CharField(max_length=80)
    # The department that owns the instance (the item's implementing organ): data scope.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=24, choices=InstanceState.choices, default=InstanceState.RUNNING
    )
    # Data the conditions and auto-approval rules read (form data + shared data), a snapshot.
    data = models.JSONField(default=dict, blank=True)
    # Overall clock: the promised limit (承诺时限) runs the case, the legal one (法定时限) measures.
    clock_started_at = models.DateTimeField()
    limit_amount = models.PositiveIntegerField()
    legal_limit_amount = models.PositiveIntegerField()
    limit_unit = models.CharField(max_length=16, default="working_days")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    legal_due_at = models.DateTimeField(null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    provisional = models.BooleanField(default=False)
    warning = models.CharField(max_length=8, choices=Warning.choices, default=Warning.NONE)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")
        constraints = [
            models.UniqueConstraint(
                fields=["business_service", "business_key"], name="instance_business_key"
            )
        ]
        indexes = [models.Index(fields=["department", "state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.business_key} · {self.get_state_display()}"


class TaskState(models.TextChoices):
    OPEN = "open", _("待办")
    CLAIMED = "claimed", _("办理中")
    COMPLETED = "completed", _("已办")
    SKIPPED = "skipped", _("已跳过")
    CANCELLED = "cancelled", _("已取消")


OPEN_TASK_STATES = (TaskState.OPEN, TaskState.CLAIMED)


class Outcome(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")


class Task(models.Model):
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="tasks")
    stage_key = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=8, default="single")  # single / all (会签) / any (或签)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tasks")
    role_code = models.CharField(max_length=50)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=12, choices=TaskState.choices, default=TaskState.OPEN)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    comment = models.TextField(blank=True)
    # Stage clock (cached from the stage limit with the instance's stops and extensions).
    created_at = models.DateTimeField()
    limit_amount = models.PositiveIntegerField(null=True, blank=True)
    limit_unit = models.CharField(max_length=16, default="working_days")
    due_at = models.DateTimeField(null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    warning = models.CharField(max_length=8, choices=Warning.choices, default=Warning.NONE)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("审批任务")
        verbose_name_plural = _("审批任务")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["department", "state", "due_at"]),
            models.Index(fields=["instance", "stage_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.instance.business_key} · {self.name}"


class StopKind(models.TextChoices):
    SUSPEND = "suspend", _("挂起")
    CORRECTION = "correction", _("补正")


class ClockStop(models.Model):
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="stops")
    kind = models.CharField(max_length=12, choices=StopKind.choices, default=StopKind.SUSPEND)
    # 听证 / 检验 / 检测 / 鉴定 / 专家评审 / 补正 …
    reason_code = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance"], condition=Q(ended_at__isnull=True), name="one_open_stop"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reason_code} {self.started_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="extensions"
    )
    amount = models.PositiveIntegerField()
    reason = models.TextField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at", "id"]

    def __str__(self) -> str:
        return f"+{self.amount} ({self.approved_at:%Y-%m-%d})"


class AutoDecision(models.Model):
    """One evaluation of a definition's auto-approval rules (智能秒办) for one instance."""

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="auto_decisions"
    )
    rule_id = models.CharField(max_length=64, blank=True)  # empty: no rule fired
    decision = models.CharField(max_length=16)  # approve / manual
    reasons = models.JSONField(default=list)  # per rule: fired?, and each condition's result
    data = models.JSONField(default=dict)  # the data the rules saw
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} {self.rule_id}".strip()


class ProcessEvent(models.Model):
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["instance", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"
