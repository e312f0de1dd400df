"""Permission-checked reads for cases: the applicant's list, one case, the staff worklist, the
timeline. A case the user may not see is ``NotFound`` (never told apart from a missing one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as When_
from django.db.models import CharField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import User
from yiwang.accounts.selectors import scope_q
from yiwang.cases.models import OPEN_CASE_STATUSES, Case, CaseEvent
from yiwang.cases.states import TRANSITIONS
from yiwang.core.errors import NotFound

PAGE_SIZE = 50
WARNINGS = ("none", "yellow", "red")


def _applicant_q(user: Any) -> Q:
    today = timezone.localdate()
    agent = Q(
        enterprise__agents__person__user_id=user.pk,
        enterprise__agents__is_active=True,
    ) & (
        Q(enterprise__agents__valid_until__isnull=True)
        | Q(enterprise__agents__valid_until__gte=today)
    )
    return (
        Q(applicant__user_id=user.pk) | Q(enterprise__legal_representative__user_id=user.pk) | agent
    )


def cases_for_applicant(user: Any) -> QuerySet[Case]:
    """The user's own applications and those of enterprises he acts for (bundles as one row)."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        return Case.objects.none()
    ids = Case.objects.filter(_applicant_q(user), parent__isnull=True).values("pk")
    return (
        Case.objects.filter(pk__in=ids)
        .select_related("item", "bundle", "department")
        .order_by("-submitted_at", "-id")
    )


def _reprefixed(q: Q, old: str, new: str) -> Q:
    """``q`` with every lookup starting ``old`` rewritten to start ``new`` (same connectors)."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_reprefixed(child, old, new))
        else:
            lookup, value = child
            if lookup.startswith(old):
                lookup = new + lookup[len(old) :]
            out.children.append((lookup, value))
    return out


def staff_scopes(user: Any) -> tuple[Q, Q] | None:
    """(deciding-department Q, receiving-department Q) of the user's data scope, or None.

    The user's roles are read once (the two conditions differ only in the field)."""
    own = scope_q(user, "department")
    if own is None:
        return None
    return own, _reprefixed(own, "department__", "receiving_department__")


def staff_q(user: Any) -> Q | None:
    """Cases whose deciding or receiving department lies in the user's data scope."""
    scopes = staff_scopes(user)
    if scopes is None:
        return None
    return scopes[0] | scopes[1]


def visible_cases(user: Any) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    if user.kind == User.Kind.PERSON:
        ids = Case.objects.filter(_applicant_q(user)).values("pk")
        return Case.objects.filter(pk__in=ids)
    q = staff_q(user)
    if q is None:
        return Case.objects.none()
    return Case.objects.filter(q)


def get_case_for_user(user: Any, number: str) -> Case:
    """The case ``number`` if ``user`` is its applicant (or acts for its enterprise) or a staff
    member whose scope covers its department or receiving department; else ``NotFound``."""
    case = (
        visible_cases(user)
        .filter(number=number)
        .select_related(
            "item",
            "bundle",
            "department",
            "receiving_department",
            "applicant",
            "enterprise",
            "process",
            "parent",
        )
        .first()
    )
    if case is None:
        raise NotFound("case_not_found", _("办件不存在或您无权查看。"))
    return case


# What a worklist row shows (api.row_out, cases/worklist.html): the rest stays in the database.
WORKLIST_FIELDS = (
    "id",
    "number",
    "status",
    "item_id",
    "bundle_id",
    "department_id",
    "submitted_at",
    "due_at",
    "yellow_at",
    "item__implementation_code",
    "item__name",
    "department__name",
)


def warning_expression(now: dt.datetime) -> When_:
    """SQL: red when ``due_at`` has passed, yellow when ``yellow_at`` has, else none."""
    return When_(
        When(due_at__lt=now, then=Value("red")),
        When(yellow_at__lte=now, then=Value("yellow")),
        default=Value("none"),
        output_field=CharField(),
    )


def worklist(
    user: Any,
    *,
    status: str | None = None,
    warning: str | None = None,
    item: str | None = None,
    q: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """Open cases in the staff user's scope, soonest due first (not yet accepted ones last),
    each annotated with ``warning`` (none/yellow/red) computed in SQL from the cached
    ``yellow_at``/``due_at``. One query per page, whatever the number of cases.

    Two branches, each served by a partial index in due order (no index serves their ``OR``):
    the cases of the departments in scope, and those a window in scope received for another
    department. The second is checked first (one cheap ``EXISTS``); only when it holds cases is
    the result their ``UNION ALL``. Slice it and count it, but do not ``filter`` or
    ``values_list`` it (pass the filters as arguments)."""
    scopes = staff_scopes(user) if getattr(user, "kind", None) == User.Kind.STAFF else None
    if scopes is None:
        return Case.objects.none()
    own, received = scopes
    now = now or timezone.now()
    # Two indexed branches instead of one OR (which no index can serve in due order): the cases
    # of the departments in scope, and those received by a window in scope for another one.
    branches = [Q(own), Q(received) & ~Q(own)]
    parts = []
    for scope in branches:
        qs = Case.objects.filter(scope, item__isnull=False)
        qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_CASE_STATUSES)
        if warning == "red":
            qs = qs.filter(due_at__lt=now)
        elif warning == "yellow":
            qs = qs.filter(yellow_at__lte=now, due_at__gte=now)
        elif warning == "none":
            qs = qs.filter(Q(due_at__isnull=True) | Q(due_at__gte=now)).filter(
                Q(yellow_at__isnull=True) | Q(yellow_at__gt=now)
            )
        if item:
            qs = qs.filter(item__implementation_code=item)
        if q:
            qs = qs.filter(Q(number__icontains=q.strip()) | Q(item__name__icontains=q.strip()))
        parts.append(
            qs.annotate(warning=warning_expression(now))
            .select_related("item", "department")
            .only(*WORKLIST_FIELDS)
            .order_by()
        )
    ordering = ("due_at", "submitted_at", "id")
    if not parts[1].exists():  # the usual case: no window in scope received another's case
        return parts[0].order_by(*ordering)
    return parts[0].union(parts[1], all=True).order_by(*ordering)


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    title: str
    actor: str = ""
    note: str = ""
    tone: str = "neutral"
    source: str = "case"


_TONES = {
    "submitted": "info",
    "accept": "success",
    "accept_with_deficiency": "success",
    "accept_with_commitment": "success",
    "approve": "success",
    "deliver": "success",
    "bundle_complete": "success",
    "reject": "danger",
    "deny": "danger",
    "request_correction": "warning",
    "suspend": "warning",
    "extend": "warning",
}

_KIND_TITLES = {
    "submitted": gettext_lazy("提交申请"),
    "material_uploaded": gettext_lazy("上传材料"),
    # 好差评 (written by yiwang.ratings; no rater, no level on the timeline)
    "rated": gettext_lazy("申请人已评价"),
    "rerated": gettext_lazy("申请人已重新评价"),
    "review_closed": gettext_lazy("差评整改已办结"),
}


def _actor_name(user: Any) -> str:
    if user is None:
        return _("系统")
    return user.display_name or user.username


def case_events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))


_PROCESS_TITLES: dict[str, tuple[Any, str]] = {
    "started": (gettext_lazy("审批流程启动"), "neutral"),
    "auto_decision": (gettext_lazy("智能秒办规则判定：%(decision)s"), "info"),
    "task_opened": (gettext_lazy("%(stage)s：待%(department)s办理"), "neutral"),
    "task_claimed": (gettext_lazy("%(stage)s：%(department)s已签收"), "neutral"),
    "task_completed": (gettext_lazy("%(stage)s：%(department)s%(outcome)s"), "success"),
    "task_cancelled": (gettext_lazy("%(stage)s：%(department)s的任务已取消"), "neutral"),
    "stage_skipped": (gettext_lazy("%(stage)s：条件不满足，已跳过"), "neutral"),
    "suspended": (gettext_lazy("挂起，计时暂停"), "warning"),
    "resumed": (gettext_lazy("恢复计时"), "neutral"),
    "extended": (gettext_lazy("延期 %(amount)s 个工作日"), "warning"),
    "correction_requested": (gettext_lazy("要求补正，计时暂停"), "warning"),
    "correction_received": (gettext_lazy("补正材料已收到，重新计时"), "neutral"),
    "warning": (gettext_lazy("办件时限预警：%(level)s"), "warning"),
    "task_warning": (gettext_lazy("%(stage)s：时限预警（%(level)s）"), "warning"),
    "task_escalated": (gettext_lazy("%(stage)s：超期，已上报督办"), "danger"),
    "approved": (gettext_lazy("审批通过"), "success"),
    "rejected": (gettext_lazy("审批不通过"), "danger"),
    "cancelled": (gettext_lazy("审批流程终止"), "neutral"),
}
_LEVELS = {
    "yellow": gettext_lazy("黄牌"),
    "red": gettext_lazy("红牌"),
    "none": gettext_lazy("正常"),
}
_OUTCOMES = {"approve": gettext_lazy("同意"), "reject": gettext_lazy("不同意")}
_DECISIONS = {"approve": gettext_lazy("自动准予"), "manual": gettext_lazy("转人工审查")}


def process_event_title(event: Any) -> tuple[str, str]:
    """A workflow event as a line of the case timeline, in words the applicant understands."""
    data = event.data or {}
    task = event.task
    template, tone = _PROCESS_TITLES.get(event.kind, (None, "neutral"))
    if template is None:
        return str(event.kind), tone
    values = {
        "stage": task.name if task is not None else data.get("stage", ""),
        "department": (
            (task.department.short_name or task.department.name)
            if task is not None and task.department_id
            else ""
        ),
        "outcome": str(_OUTCOMES.get(task.outcome if task is not None else "", "")),
        "level": str(_LEVELS.get(str(data.get("level", "")), data.get("level", ""))),
        "decision": str(_DECISIONS.get(str(data.get("decision", "")), data.get("decision", ""))),
        "amount": data.get("amount", ""),
    }
    if event.kind == "task_completed" and task is not None and task.outcome == "reject":
        tone = "danger"
    return str(template) % values, tone


def timeline(case: Case) -> list[TimelineEntry]:
    """The case's events merged with its process's events, oldest first."""
    entries = []
    for event in case_events(case):
        label = (
            TRANSITIONS[event.kind].label
            if event.kind in TRANSITIONS
            else _KIND_TITLES.get(event.kind, event.kind)
        )
        entries.append(
            TimelineEntry(
                event.at,
                str(label),
                _actor_name(event.actor),
                event.reason,
                _TONES.get(event.kind, "neutral"),
            )
        )
    if case.process_id is not None:
        try:
            from yiwang.workflow import selectors as wf_selectors
        except ImportError:  # pragma: no cover - the engine is part of the platform
            wf_selectors = None
        if wf_selectors is not None and hasattr(wf_selectors, "timeline"):
            for pe in wf_selectors.timeline(case.process):
                title, tone = process_event_title(pe)
                data = pe.data or {}
                note = data.get("comment") or data.get("reason") or ""
                entries.append(
                    TimelineEntry(pe.at, title, _actor_name(pe.actor), str(note), tone, "process")
                )
    entries.sort(key=lambda e: e.at)
    return entries
