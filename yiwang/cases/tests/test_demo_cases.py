"""The demo cases: one per state a visitor should see, made through the services, seeded once."""

from __future__ import annotations

import pytest
from django.test import override_settings

from yiwang.accounts import demo as accounts_demo
from yiwang.cases import selectors
from yiwang.cases.demo import seed_cases
from yiwang.cases.models import Case, CaseStatus, Channel
from yiwang.catalog.demo import seed_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        seed_catalog()
        yield seed_cases()


def _case(username: str, *, item: str) -> Case:
    from yiwang.accounts.models import User

    user = User.objects.get(username=username)
    return selectors.cases_for_applicant(user).get(item__name=item)


def test_the_demo_has_a_case_in_each_state(seeded):
    assert seeded["demo cases"] == 6
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {
        CaseStatus.SUBMITTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.CORRECTION,
        CaseStatus.COMPLETED,
    } <= statuses


def test_a_case_awaits_acceptance_at_the_market_regulator(seeded):
    case = _case("wangfang", item="个体工商户登记")
    assert case.status == CaseStatus.SUBMITTED
    assert case.department.short_name == "市市场监管局"


def test_the_reviewer_sees_a_yellow_and_a_red_case_in_his_worklist(seeded):
    from yiwang.accounts.models import User

    reviewer = User.objects.get(username="reviewer")
    warnings = {case.number: case.warning for case in selectors.worklist(reviewer)}
    yellow = _case("liuyang", item="食品经营许可")
    red = _case("chenjing", item="个体工商户登记")
    assert warnings[yellow.number] == "yellow"
    assert warnings[red.number] == "red"
    assert red.accepted_at < red.due_at < red.updated_at


def test_a_case_waits_for_the_applicants_correction(seeded):
    case = _case("zhaolei", item="个体工商户登记")
    assert case.status == CaseStatus.CORRECTION
    assert case.corrections.get().items


def test_a_walk_in_case_from_the_window_is_completed(seeded):
    case = Case.objects.get(channel=Channel.COUNTER)
    assert case.status == CaseStatus.COMPLETED
    assert case.applicant.user is None


def test_an_agent_applied_for_her_enterprise(seeded):
    case = _case("lina", item="特种设备使用登记")
    assert case.enterprise.name == "示范市新桥建材有限公司"
    assert case.status == CaseStatus.IN_REVIEW


def test_zhangwei_starts_the_newborn_journey_from_an_empty_application(seeded):
    from yiwang.accounts.models import User

    assert not selectors.cases_for_applicant(User.objects.get(username="zhangwei")).exists()


def test_seeding_twice_makes_no_more_cases(seeded):
    count = Case.objects.count()
    with override_settings(YIWANG_DEMO=True):
        again = seed_cases()
    assert "demo cases" not in again
    assert Case.objects.count() == count
