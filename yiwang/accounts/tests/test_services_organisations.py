"""Regions and departments: codes validated, parents derived, subtree paths maintained."""

from __future__ import annotations

import pytest

from yiwang.accounts import services
from yiwang.accounts.models import Department, Region, region_code_prefix
from yiwang.accounts.tests.factories import make_department, make_region, make_staff
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import make_uscc

pytestmark = pytest.mark.django_db


def test_it_derives_level_and_parent_from_the_code() -> None:
    province = services.create_region("330000000000", "浙江省")
    city = services.create_region("330100000000", "杭州市")
    district = services.create_region("330102000000", "上城区")
    street = services.create_region("330102001000", "清波街道")
    community = services.create_region("330102001001", "清波社区")
    assert [r.level for r in (province, city, district, street, community)] == [
        "province",
        "city",
        "district",
        "township",
        "village",
    ]
    assert community.parent == street and street.parent == district and city.parent == province


def test_it_refuses_a_region_whose_parent_is_missing() -> None:
    services.create_region("330000000000", "浙江省")
    with pytest.raises(ValidationFailed) as exc:
        services.create_region("330102000000", "上城区")
    assert exc.value.code == "region_parent_missing"


@pytest.mark.parametrize("code", ["33010200000", "3301020000001", "33a102000000", "000000000000"])
def test_it_refuses_a_malformed_region_code(code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.create_region(code, "坏代码")
    assert exc.value.field == "code"


def test_it_refuses_a_duplicate_current_region() -> None:
    services.create_region("330000000000", "浙江省")
    with pytest.raises(Conflict) as exc:
        services.create_region("330000000000", "浙江省")
    assert exc.value.code == "region_exists"
    assert Region.objects.count() == 1


def test_region_prefix_covers_exactly_the_descendants() -> None:
    assert region_code_prefix("330000000000") == "33"
    assert region_code_prefix("330100000000") == "3301"
    assert region_code_prefix("330102000000") == "330102"
    assert region_code_prefix("330102001000") == "330102001"
    assert region_code_prefix("330102001001") == "330102001001"


def test_a_department_needs_a_valid_uscc_and_a_unique_one() -> None:
    region = make_region("330102000000")
    uscc = make_uscc("1", "1", "330102", "00000001")
    services.create_department("测试局", uscc, region)
    with pytest.raises(Conflict) as exc:
        services.create_department("另一个局", uscc, region)
    assert exc.value.code == "department_exists"
    with pytest.raises(ValidationFailed) as exc2:
        services.create_department("坏局", uscc[:-1] + ("0" if uscc[-1] != "0" else "1"), region)
    assert exc2.value.code == "invalid_uscc_checksum"


def test_a_child_department_lies_within_its_parents_region() -> None:
    parent = make_department("市局", region="330100000000")
    child = make_department("区分局", region="330102000000", parent=parent)
    assert child.path == f"{parent.path}{child.pk}/"
    elsewhere = make_region("340100000000")
    with pytest.raises(ValidationFailed) as exc:
        services.create_department(
            "外地分局", make_uscc("1", "1", "340100", "00000009"), elsewhere, parent=parent
        )
    assert exc.value.code == "department_region_outside_parent"


def test_moving_a_department_rewrites_the_paths_of_its_subtree() -> None:
    root_a = make_department("甲局", region="330100000000")
    root_b = make_department("乙局", region="330100000000")
    middle = make_department("中间处", region="330100000000", parent=root_a)
    leaf = make_department("科室", region="330102000000", parent=middle)
    middle.parent = root_b
    middle.save()
    leaf.refresh_from_db()
    assert leaf.path == f"/{root_b.pk}/{middle.pk}/{leaf.pk}/"
    assert set(Department.objects.filter(path__startswith=root_a.path)) == {root_a}


def test_only_the_system_administrator_maintains_the_organisation() -> None:
    department = make_department(region="330100000000")
    clerk = make_staff(department)
    sysadmin = make_staff(department, admin_duty="system")
    with pytest.raises(PermissionDenied):
        services.create_region("330103000000", "下城区", by=clerk)
    region = services.create_region("330103000000", "下城区", by=sysadmin)
    assert region.parent.code == "330100000000"
