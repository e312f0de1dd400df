"""Who may handle a task: a role code held in a department whose data scope covers the task's.

The scope rules are those of ``yiwang.accounts.selectors.scope_filter``: ``own_department`` covers
the department the role was granted in, ``department_subtree`` that department and its
descendants (``Department.path``), ``region_subtree`` every department of the region subtree.
Administrator duties (三员) never handle tasks.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from yiwang.accounts.models import Department, Role, StaffRole, region_code_prefix
from yiwang.accounts.permissions import has_capability, is_system_admin
from yiwang.accounts.selectors import active_staff_roles

APPROVE_CAPABILITY = "cases.approve"


def covers(staff_role: StaffRole, department: Department) -> bool:
    """Whether ``staff_role``'s scope covers ``department`` (needs ``department.region``)."""
    granted = staff_role.department
    scope = staff_role.role.scope
    if scope == Role.Scope.DEPARTMENT_SUBTREE:
        return department.path.startswith(granted.path)
    if scope == Role.Scope.REGION_SUBTREE:
        return department.region.code.startswith(region_code_prefix(granted.region.code))
    return staff_role.department_id == department.pk


def handler_roles(user: Any) -> list[StaffRole]:
    """The user's roles that can handle tasks (administrator duties and auditors excluded)."""
    roles = active_staff_roles(user)
    if any(sr.role.admin_duty == Role.AdminDuty.AUDIT for sr in roles):
        return []
    return [sr for sr in roles if not sr.role.admin_duty]


def can_handle(user: Any, role_code: str, department: Department) -> bool:
    return any(sr.role.code == role_code and covers(sr, department) for sr in handler_roles(user))


def can_approve_in(user: Any, department: Department) -> bool:
    """``cases.approve`` in a role whose scope covers ``department`` (延期 approval)."""
    return any(
        APPROVE_CAPABILITY in (sr.role.capabilities or []) and covers(sr, department)
        for sr in handler_roles(user)
    )


def can_simulate(user: Any) -> bool:
    """Simulation reads past instances' data: approvers (cases.approve) or the system admin."""
    return has_capability(user, APPROVE_CAPABILITY) or is_system_admin(user)


def task_q(user: Any, prefix: str = "") -> Q | None:
    """A ``Q`` over ``Task`` selecting the tasks ``user`` may handle, or None for none."""
    parts: list[Q] = []
    for sr in handler_roles(user):
        code = Q(**{f"{prefix}role_code": sr.role.code})
        scope = sr.role.scope
        if scope == Role.Scope.DEPARTMENT_SUBTREE:
            where = Q(**{f"{prefix}department__path__startswith": sr.department.path})
        elif scope == Role.Scope.REGION_SUBTREE:
            where = Q(
                **{
                    f"{prefix}department__region__code__startswith": region_code_prefix(
                        sr.department.region.code
                    )
                }
            )
        else:
            where = Q(**{f"{prefix}department_id": sr.department_id})
        parts.append(code & where)
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q
