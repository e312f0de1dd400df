"""Regions (行政区划) and departments: the organisation tree data scopes are computed on.

Both are configuration: when a user performs the change (``by`` is not None) he must be the
system administrator; ``by=None`` is the command line or the demo seed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, Region, region_code_prefix
from yiwang.accounts.permissions import is_system_admin
from yiwang.accounts.services.audit import audit
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import (
    region_level,
    region_parent_code,
    validate_region_code,
    validate_uscc,
)


def _require_system_admin(by: Any) -> None:
    if by is not None and not is_system_admin(by):
        raise PermissionDenied("system_admin_required", _("只有系统管理员可以维护行政区划和部门。"))


@transaction.atomic
def create_region(
    code: str, name: str, *, valid_from: dt.date | None = None, by: Any = None
) -> Region:
    """Add a region. The level and the parent follow from the code; the parent must exist."""
    _require_system_admin(by)
    code = validate_region_code(code, field="code")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("region_name_required", _("请填写行政区划名称。"), field="name")
    if Region.objects.filter(code=code, valid_to__isnull=True).exists():
        raise Conflict("region_exists", _("该行政区划代码已存在。"), field="code")
    parent = None
    parent_code = region_parent_code(code)
    if parent_code is not None:
        parent = Region.objects.filter(code=parent_code, valid_to__isnull=True).first()
        if parent is None:
            raise ValidationFailed(
                "region_parent_missing",
                _("上级行政区划（%(code)s）尚未登记，请先添加上级。") % {"code": parent_code},
                field="code",
            )
    region = Region.objects.create(
        code=code, name=name, level=region_level(code), parent=parent, valid_from=valid_from
    )
    audit(by, "accounts.region.created", region, {"code": code, "name": name})
    return region


@transaction.atomic
def create_department(
    name: str,
    uscc: str,
    region: Region,
    *,
    parent: Department | None = None,
    short_name: str = "",
    by: Any = None,
) -> Department:
    """Add a government department (USCC checked; a child lies within its parent's region)."""
    _require_system_admin(by)
    uscc = validate_uscc(uscc, field="uscc")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("department_name_required", _("请填写部门名称。"), field="name")
    if Department.objects.filter(uscc=uscc).exists():
        raise Conflict("department_exists", _("该统一社会信用代码的部门已存在。"), field="uscc")
    if parent is not None and not region.code.startswith(region_code_prefix(parent.region.code)):
        raise ValidationFailed(
            "department_region_outside_parent",
            _("下级部门的行政区划必须在上级部门的辖区之内。"),
            field="region",
        )
    department = Department.objects.create(
        name=name, short_name=short_name.strip(), uscc=uscc, region=region, parent=parent
    )
    audit(
        by,
        "accounts.department.created",
        department,
        {"name": name, "uscc": uscc, "region": region.code, "parent_id": parent and parent.pk},
    )
    return department
