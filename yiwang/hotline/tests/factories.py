"""Factories for hotline tests: the taxonomy in the database, dispatch rules and the personas of a
ticket's life (a hotline agent, a clerk of the responsible department, a clerk of another
department, a citizen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.accounts.models import Department, Role, User
from yiwang.accounts.tests.factories import make_citizen, make_department, make_region
from yiwang.cases.tests.factories import staff_with_role
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import DispatchRule, Ticket

CITY = "330100000000"
DISTRICT = "330102000000"
STREET = "330102001001"  # a community in the district
OTHER_DISTRICT_STREET = "330105001001"

PROPERTY = "010101"  # 物业服务质量: 5 working days, zj
LIFT = "010103"  # 电梯故障与安全: 24 hours
GAS_LEAK = "090301"  # 燃气泄漏隐患: 2 hours
FIRE = "990102"  # 火灾险情: not accepted, refer to 119

PROPERTY_TEXT = "小区物业不打扫楼道卫生，垃圾堆了一个星期没人管，物业服务太差了。"


@dataclass
class HotlineCast:
    hotline: Department  # the 12345 centre
    zj: Department  # 住建局: responsible for 物业 by the rules
    scjg: Department  # 市场监管局: another department
    agent: User  # hotline_agent (hotline.intake, hotline.dispatch) at the centre
    clerk: User  # hotline.handle in 住建局
    other_clerk: User  # hotline.handle in 市场监管局
    citizen: User


def rule(category_prefix: str, department: Department, region_prefix: str = "") -> DispatchRule:
    return DispatchRule.objects.create(
        category_prefix=category_prefix, region_prefix=region_prefix, department=department
    )


def make_hotline_cast() -> HotlineCast:
    sync_categories()
    make_region(CITY)
    hotline = make_department("示范市12345政务服务便民热线中心", region=CITY)
    zj = make_department("市住房和城乡建设局", region=CITY)
    scjg = make_department("市市场监督管理局", region=CITY)
    agent = staff_with_role(hotline, "hotline_agent", ("hotline.intake", "hotline.dispatch"))
    clerk = staff_with_role(
        zj, "hotline_handler", ("hotline.handle",), scope=Role.Scope.OWN_DEPARTMENT
    )
    other = staff_with_role(scjg, "hotline_handler", ("hotline.handle",))
    rule("01", zj)
    rule("0101", zj)
    rule("010103", scjg)
    rule("09", scjg)
    return HotlineCast(hotline, zj, scjg, agent, clerk, other, make_citizen(region=STREET))


def intake_kwargs(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "complaint",
        "channel": "phone",
        "content": PROPERTY_TEXT,
        "region_code": STREET,
        "address": "西湖区文三路100号",
        "caller_name": "王先生",
        "caller_phone": "13812345678",
        "category_code": PROPERTY,
    }
    values.update(overrides)
    return values


def new_ticket(cast: HotlineCast, **overrides: Any) -> Ticket:
    return services.intake(cast.agent, **intake_kwargs(**overrides))


def dispatched_ticket(cast: HotlineCast, **overrides: Any) -> Ticket:
    return services.dispatch(cast.agent, new_ticket(cast, **overrides))


def answered_ticket(cast: HotlineCast, **overrides: Any) -> Ticket:
    ticket = dispatched_ticket(cast, **overrides)
    services.sign(cast.clerk, ticket)
    return services.answer(cast.clerk, ticket, "已督促物业公司清运垃圾并每日打扫楼道。")
