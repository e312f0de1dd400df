"""Factories for the workflow tests: staff holding the demo role codes, specs and instances."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from yiwang.accounts import services as account_services
from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import make_department, make_user
from yiwang.core.deadlines import TimeLimit
from yiwang.workflow import services
from yiwang.workflow.models import ProcessDefinition, ProcessInstance, Task

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)

# The demo roles (yiwang/accounts/demo.py ROLES) with their scopes and capabilities.
ROLE_SPECS: dict[str, tuple[str, tuple[str, ...]]] = {
    "counter_clerk": (Role.Scope.OWN_DEPARTMENT, ("cases.intake",)),
    "reviewer": (Role.Scope.OWN_DEPARTMENT, ("cases.review",)),
    "approver": (Role.Scope.DEPARTMENT_SUBTREE, ("cases.review", "cases.approve")),
}


def local(*args: int) -> dt.datetime:
    """An aware datetime in China time: ``local(2025, 9, 30, 10)``."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


def demo_role(code: str) -> Role:
    role = Role.objects.filter(code=code).first()
    if role is None:
        scope, capabilities = ROLE_SPECS[code]
        role = account_services.create_role(
            code, code, scope=scope, capabilities=list(capabilities)
        )
    return role


def make_officer(role_code: str, department: Department, *, username: str | None = None) -> User:
    """A staff user holding the demo role ``role_code`` in ``department``."""
    user = make_user(kind=User.Kind.STAFF, username=username)
    account_services.grant_role(None, user, department, demo_role(role_code))
    return user


def stage(
    key: str,
    role: str = "reviewer",
    *,
    name: str | None = None,
    departments: list[str] | None = None,
    mode: str = "single",
    after: list[str] | None = None,
    when: dict[str, Any] | None = None,
    limit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "key": key,
        "name": name or key,
        "role": role,
        "departments": departments or ["$item"],
        "mode": mode,
        "after": after or [],
    }
    if when is not None:
        raw["when"] = when
    if limit is not None:
        raw["limit"] = limit
    return raw


def linear_spec(**extra: Any) -> dict[str, Any]:
    """审查 (reviewer, 3 working days) then 审批 (approver)."""
    return {
        "stages": [
            stage(
                "review",
                "reviewer",
                name="审查",
                limit={"amount": 3, "unit": "working_days"},
            ),
            stage("approve", "approver", name="审批", after=["review"]),
        ],
        **extra,
    }


def make_definition(
    spec: dict[str, Any] | None = None, *, key: str | None = None
) -> ProcessDefinition:
    key = key or f"proc-{next(_seq)}"
    return services.publish_definition(key, f"测试流程{key}", spec or linear_spec())


def start(
    definition: ProcessDefinition,
    department: Department | None = None,
    *,
    data: dict[str, Any] | None = None,
    started_at: dt.datetime | None = None,
    limit: int = 20,
    legal_limit: int = 20,
    business_key: str | None = None,
) -> ProcessInstance:
    return services.start_process(
        definition,
        business_key=business_key or f"CASE-{next(_seq):06d}",
        department=department or make_department(),
        data=data or {},
        started_at=started_at or local(2025, 9, 30, 10),
        limit=TimeLimit.working_days(limit),
        legal_limit=TimeLimit.working_days(legal_limit),
    )


def open_tasks(instance: ProcessInstance, stage_key: str | None = None) -> list[Task]:
    tasks = Task.objects.filter(instance=instance, state__in=("open", "claimed"))
    if stage_key:
        tasks = tasks.filter(stage_key=stage_key)
    return list(tasks.select_related("department").order_by("id"))
