"""The quality rules of RULES.md ("事项 catalogue"): each one passes a good item and catches a
bad one, and the services refuse a rejected item explaining every problem at once."""

from __future__ import annotations

from typing import Any

import pytest

from yiwang.accounts.models import Department
from yiwang.accounts.tests.factories import make_department
from yiwang.catalog import quality, services
from yiwang.catalog.models import ServiceItem
from yiwang.catalog.tests.factories import LICENSING_STEPS, item_data
from yiwang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def department() -> Department:
    return make_department("示范市测试局")


def build(department: Department, **overrides: Any) -> ServiceItem:
    data = item_data(department, **overrides)
    data.pop("department_uscc")
    return ServiceItem(department=department, region=department.region, **data)


def codes(item: ServiceItem) -> set[str]:
    return {i.code for i in quality.check_item(item)}


GOOD_AND_BAD = [
    # (rule code, a passing variation, a failing variation)
    (
        "immediate_needs_type",
        {"promised_limit": 0, "legal_limit": 0, "handling_type": "immediate"},
        {"promised_limit": 0, "handling_type": "promised"},
    ),
    (
        "immediate_needs_zero_limit",
        {"promised_limit": 0, "legal_limit": 0, "handling_type": "immediate"},
        {"promised_limit": 3, "handling_type": "immediate"},
    ),
    (
        "online_iv_no_visits",
        {"online_depth": 4, "visits": 0},
        {"online_depth": 4, "visits": 1, "visit_reason": "采集指纹"},
    ),
    (
        "visit_reason_required",
        {"online_depth": 3, "visits": 1, "visit_reason": "须本人到场采集指纹"},
        {"online_depth": 3, "visits": 1, "visit_reason": ""},
    ),
    (
        "fee_basis_required",
        {"charges": True, "fee_basis": "价费字〔2003〕332号"},
        {"charges": True, "fee_basis": "  "},
    ),
    (
        "phones_differ",
        {"consult_phone": "0579-88001234", "complaint_phone": "12345"},
        {"consult_phone": "0579-88001234", "complaint_phone": "0579 8800 1234"},
    ),
    (
        "licensing_steps",
        {"item_type": "licensing", "steps": LICENSING_STEPS},
        {"item_type": "licensing", "steps": [{"name": "受理"}, {"name": "审批"}]},
    ),
    (
        "result_sample_required",
        {"result_name": "食品经营许可证", "result_sample": "食品经营许可证（样本）"},
        {"result_name": "食品经营许可证", "result_sample": ""},
    ),
    (
        "promised_within_legal",
        {"legal_limit": 20, "promised_limit": 20},
        {"legal_limit": 20, "promised_limit": 21},
    ),
    ("invalid_base_code", {"base_code": "000110001000"}, {"base_code": "0001100010"}),
    (
        "invalid_implementation_code",
        {"implementation_code": "000110001000" + "1" * 24},
        {"implementation_code": "000110001000" + "1" * 25},
    ),
    (
        "invalid_cross_region_modes",
        {"cross_region_modes": ["online", "proxy", "joint"]},
        {"cross_region_modes": ["teleport"]},
    ),
    (
        "invalid_form_fields",
        {"form_fields": [{"key": "birth_date", "label": "出生日期", "type": "date"}]},
        {"form_fields": [{"key": "birth_date", "label": "出生日期", "type": "colour"}]},
    ),
]


@pytest.mark.parametrize(
    ("code", "good", "bad"), GOOD_AND_BAD, ids=[c for c, _g, _b in GOOD_AND_BAD]
)
def test_each_rule_passes_a_good_item_and_catches_a_bad_one(department, code, good, bad):
    assert code not in codes(build(department, **good))
    assert code in codes(build(department, **bad))


def test_licensing_steps_accept_any_naming_that_contains_the_words(department):
    steps = [{"name": n} for n in ("窗口受理", "材料审核", "审批决定", "办结归档", "证照送达")]
    assert "licensing_steps" not in codes(build(department, item_type="licensing", steps=steps))


def test_licensing_steps_name_what_is_missing(department):
    item = build(department, item_type="licensing", steps=[{"name": "受理"}, {"name": "审核"}])
    issue = next(i for i in quality.check_item(item) if i.code == "licensing_steps")
    assert "审批、办结、送达" in issue.message


def test_a_department_with_an_invalid_uscc_is_rejected(department):
    Department.objects.filter(pk=department.pk).update(uscc="911100000000000000")
    department.refresh_from_db()
    assert "department_uscc_invalid" in codes(build(department))


def test_an_implementation_code_not_starting_with_the_base_code_is_only_flagged(department):
    item = build(department, implementation_code="999999999999ABC")
    issue = next(i for i in quality.check_item(item) if i.code == "implementation_code_prefix")
    assert issue.severity == quality.FLAG


def test_an_immediate_item_with_a_legal_limit_is_flagged_not_rejected(department):
    item = build(department, handling_type="immediate", promised_limit=0, legal_limit=20)
    found = {i.code: i.severity for i in quality.check_item(item)}
    assert found["immediate_legal_limit"] == quality.FLAG
    assert quality.rejecting(quality.check_item(item)) == []


def test_creating_a_bad_item_is_refused_with_every_problem_listed(department):
    data = item_data(
        department,
        charges=True,
        fee_basis="",
        visits=2,
        online_depth=4,
        visit_reason="",
        complaint_phone="0571-12345001",
    )
    with pytest.raises(ValidationFailed) as caught:
        services.create_item(None, data)
    error = caught.value
    assert error.code == "item_quality"
    rejected = {i["code"] for i in error.details["issues"] if i["severity"] == "reject"}
    assert rejected == {
        "fee_basis_required",
        "online_iv_no_visits",
        "visit_reason_required",
        "phones_differ",
    }
    assert "收费依据" in error.message and "投诉电话" in error.message
    assert not ServiceItem.objects.exists()


def test_a_malformed_field_is_named_in_the_error(department):
    with pytest.raises(ValidationFailed) as caught:
        services.create_item(None, item_data(department, item_type="no_such_type"))
    assert any(i["field"] == "item_type" for i in caught.value.details["issues"])
