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


class PersonIn(Schema):
    """A walk-in applicant registered at the counter (一窗受理)."""

    name: str = Field(min_length=1, max_length=100, description="姓名")
    id_number: str = Field(min_length=15, max_length=18, description="居民身份证号（GB 11643）")
    phone: str = Field(default="", max_length=20, description="手机号（可选）")
    address: str = Field(default="", max_length=255, description="住址（可选）")
    region_code: str = Field(
        default="",
        max_length=12,
        description="所在行政区划（12位，须在受理范围内）；默认为受理窗口所在区划",
    )


class PersonOut(Schema):
    """A natural person as the caller may see him: masked unless he is the caller himself."""

    id: int
    name: str = Field(description="姓名（工作人员视图保留姓氏）")
    masked_id_number: str = Field(description="身份证号（工作人员视图：前6后4）")
    phone: str = Field(description="手机号（脱敏：前3后4）")
    address: str = Field(description="住址（脱敏：不含门牌号）")
    region_code: str | None
    region_name: str | None
    realname_level: int = Field(
        description="实名等级：0 未实名，1 基本实名，2 实人认证，3 现场核验"
    )
    has_account: bool = Field(description="是否已注册账户")
    created_at: dt.datetime


class PersonPageOut(Schema):
    items: list[PersonOut]
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int
