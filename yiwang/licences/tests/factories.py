"""Factories for licence tests: types, a cast (holders, issuing staff of two departments) and
issued licences. Builds on the cases cast."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from yiwang.accounts.models import Department, Enterprise, Role, User
from yiwang.cases.tests.factories import Cast, make_cast, staff_with_role
from yiwang.licences import services
from yiwang.licences.models import HolderKind, Licence, LicenceType

_seq = itertools.count(1)
AUTHORITY = "11100000000013338W"

PERSON_FIELDS = [
    {
        "key": "holder_name",
        "label": "持证人",
        "type": "string",
        "required": True,
        "source": "applicant.name",
    },
    {"key": "shop_name", "label": "店铺名称", "type": "string", "required": True},
    {"key": "start_date", "label": "开业日期", "type": "date", "required": False},
]
ENTERPRISE_FIELDS = [
    {
        "key": "name",
        "label": "名称",
        "type": "string",
        "required": True,
        "source": "enterprise.name",
    },
    {
        "key": "scope",
        "label": "经营范围",
        "type": "text",
        "required": True,
        "source": "const:食品销售",
    },
]


def make_licence_type(
    *,
    holder_kind: str = HolderKind.PERSON,
    validity_years: int | None = 5,
    fields: list[dict[str, Any]] | None = None,
    code: str | None = None,
    name: str | None = None,
) -> LicenceType:
    n = next(_seq)
    return LicenceType.objects.create(
        code=code or f"{AUTHORITY}{900 + n % 100:03d}",
        key=f"test-type-{n}",
        name=name or f"测试证照{n}",
        holder_kind=holder_kind,
        validity_years=validity_years,
        fields=fields
        if fields is not None
        else (ENTERPRISE_FIELDS if holder_kind == HolderKind.ENTERPRISE else PERSON_FIELDS),
    )


@dataclass
class LicenceCast:
    base: Cast
    person_type: LicenceType
    enterprise_type: LicenceType
    officer_a: User  # licences.issue + licences.manage in dept A
    officer_b: User  # the same in dept B (another department)

    @property
    def dept_a(self) -> Department:
        return self.base.dept_a

    @property
    def citizen(self) -> User:
        return self.base.citizen

    @property
    def enterprise(self) -> Enterprise:
        return self.base.enterprise


def make_licence_cast() -> LicenceCast:
    base = make_cast()
    officer_a = staff_with_role(
        base.dept_a,
        "licence_officer",
        ("licences.issue", "licences.manage"),
        scope=Role.Scope.OWN_DEPARTMENT,
    )
    officer_b = staff_with_role(
        base.dept_b,
        "licence_officer",
        ("licences.issue", "licences.manage"),
        scope=Role.Scope.OWN_DEPARTMENT,
    )
    return LicenceCast(
        base,
        make_licence_type(),
        make_licence_type(holder_kind=HolderKind.ENTERPRISE, validity_years=None),
        officer_a,
        officer_b,
    )


def issue_to_citizen(cast: LicenceCast, user: User | None = None, **content: Any) -> Licence:
    """A licence of dept A held by ``user`` (the cast's citizen by default)."""
    user = user or cast.citizen
    return services.issue(
        licence_type=cast.person_type,
        issuer=cast.dept_a,
        content={"holder_name": user.person.name, "shop_name": "示范小吃店", **content},
        holder_person=user.person,
    )


def issue_to_enterprise(cast: LicenceCast) -> Licence:
    return services.issue(
        licence_type=cast.enterprise_type,
        issuer=cast.dept_a,
        content={"name": cast.enterprise.name, "scope": "食品销售"},
        holder_enterprise=cast.enterprise,
    )
