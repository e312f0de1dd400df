"""Factories for the catalogue: valid item data and published items.

item = make_item(name="食品经营许可")            # published version 1
data = item_data(department, legal_limit=20)    # the dict the services take
"""

from __future__ import annotations

import itertools
from typing import Any

from yiwang.accounts.models import Department
from yiwang.accounts.tests.factories import make_department
from yiwang.catalog import services
from yiwang.catalog.models import ServiceItem

_seq = itertools.count(1)

LICENSING_STEPS = [
    {"name": "受理", "description": "窗口或网上受理申请"},
    {"name": "审核", "description": "审查申请材料"},
    {"name": "审批", "description": "作出许可决定"},
    {"name": "办结", "description": "制作许可证"},
    {"name": "送达", "description": "电子证照送达"},
]


def item_data(department: Department | None = None, **overrides: Any) -> dict[str, Any]:
    department = department or make_department()
    n = next(_seq)
    base = f"{n:04d}00000000"[:12]
    data: dict[str, Any] = {
        "base_code": base,
        "implementation_code": f"{base}{department.uscc}",
        "name": f"测试事项{n}",
        "item_type": "public_service",
        "level": "municipal",
        "department_uscc": department.uscc,
        "legal_basis": "《测试条例》第一条",
        "conditions": "符合条件的申请人",
        "handling_type": "promised",
        "legal_limit": 20,
        "promised_limit": 5,
        "visits": 0,
        "online_depth": 4,
        "consult_phone": "0571-12345001",
        "complaint_phone": "12345",
        "steps": [{"name": "受理"}, {"name": "办结"}],
        "form_fields": [
            {
                "key": "applicant_name",
                "label": "申请人姓名",
                "type": "text",
                "source": "person.name",
            }
        ],
    }
    data.update(overrides)
    return data


def material_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": f"material_{next(_seq)}",
        "name": "申请表",
        "trust_level": "C",
        "required": True,
    }
    data.update(overrides)
    return data


def make_item(
    department: Department | None = None,
    *,
    materials: list[dict[str, Any]] | None = None,
    publish: bool = True,
    **overrides: Any,
) -> ServiceItem:
    data = item_data(department, **overrides)
    item = services.create_item(
        None, data, materials if materials is not None else [material_data()]
    )
    if publish:
        item = services.publish_item(None, item)
    return item
