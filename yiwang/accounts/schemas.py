"""API schemas for accounts: explicit fields, nothing read from the model implicitly."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class RoleAssignmentOut(Schema):
    department_id: int
    department_name: str
    role_code: str
    role_name: str
    scope: str
    admin_duty: str


class DepartmentRefOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    kind: str
    display_name: str
    masked_id_number: str = Field(description="本人身份证号（脱敏：前6后4），无则为空")
    second_factor_required: bool
    roles: list[RoleAssignmentOut]
    departments: list[DepartmentRefOut]


class DepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    uscc: str
    parent_id: int | None
    region_code: str
    region_name: str
    is_active: bool


class ApiTokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int = Field(default=90, ge=1, le=365)


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(description="明文令牌，仅在创建时返回一次")
