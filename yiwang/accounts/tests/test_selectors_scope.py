"""Data scopes: own department, department subtree, region subtree — and who sees nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from yiwang.accounts import selectors, services
from yiwang.accounts.models import Department, Role, StaffRole, User
from yiwang.accounts.selectors import scope_filter
from yiwang.accounts.tests.factories import (
    make_citizen,
    make_department,
    make_person,
    make_region,
    make_role,
    make_staff,
    make_user,
)
from yiwang.core.errors import NotFound

pytestmark = pytest.mark.django_db

OWN = Role.Scope.OWN_DEPARTMENT
SUBTREE = Role.Scope.DEPARTMENT_SUBTREE
REGION = Role.Scope.REGION_SUBTREE


@pytest.fixture
def world():
    """Two trees of departments over a city with two districts, plus one in another city."""
    bureau = make_department("市市场监管局", region="330100000000")
    branch_a = make_department("东区分局", region="330102000000", parent=bureau)
    unit_a1 = make_department("湖滨所", region="330102001000", parent=branch_a)
    branch_b = make_department("西区分局", region="330103000000", parent=bureau)
    other = make_department("市民政局", region="330100000000")
    district_gov = make_department("东区政务服务局", region="330102000000")
    far = make_department("外市局", region="340100000000")
    return SimpleNamespace(
        bureau=bureau,
        branch_a=branch_a,
        unit_a1=unit_a1,
        branch_b=branch_b,
        other=other,
        district_gov=district_gov,
        far=far,
        all=[bureau, branch_a, unit_a1, branch_b, other, district_gov, far],
    )


def _visible(user) -> set[Department]:
    return set(scope_filter(user, Department.objects.all(), None))


def test_own_department_scope_sees_only_that_department(world) -> None:
    user = make_staff(world.branch_a, scope=OWN)
    assert _visible(user) == {world.branch_a}


def test_department_subtree_scope_sees_the_department_and_its_descendants(world) -> None:
    assert _visible(make_staff(world.branch_a, scope=SUBTREE)) == {world.branch_a, world.unit_a1}
    assert _visible(make_staff(world.bureau, scope=SUBTREE)) == {
        world.bureau,
        world.branch_a,
        world.unit_a1,
        world.branch_b,
    }


def test_region_subtree_scope_sees_every_department_in_the_region(world) -> None:
    assert _visible(make_staff(world.district_gov, scope=REGION)) == {
        world.branch_a,
        world.unit_a1,
        world.district_gov,
    }
    assert _visible(make_staff(world.other, scope=REGION)) == set(world.all) - {world.far}


def test_several_roles_add_up(world) -> None:
    user = make_staff(world.branch_b, scope=OWN)
    services.grant_role(None, user, world.branch_a, make_role(SUBTREE))
    assert _visible(user) == {world.branch_b, world.branch_a, world.unit_a1}


def test_scope_filter_follows_a_department_foreign_key(world) -> None:
    viewer = make_staff(world.branch_a, scope=SUBTREE)
    in_scope = make_staff(world.unit_a1)
    out_of_scope = make_staff(world.branch_b)
    users = {sr.user for sr in scope_filter(viewer, StaffRole.objects.all())}
    assert in_scope in users and viewer in users
    assert out_of_scope not in users


def test_a_revoked_role_no_longer_gives_a_scope(world) -> None:
    user = make_staff(world.branch_a, scope=SUBTREE)
    services.revoke_role(None, StaffRole.objects.get(user=user))
    assert _visible(user) == set()


def test_an_inactive_department_gives_no_scope(world) -> None:
    user = make_staff(world.branch_a, scope=SUBTREE)
    Department.objects.filter(pk=world.branch_a.pk).update(is_active=False)
    assert _visible(user) == set()


def test_citizens_anonymous_and_inactive_users_see_nothing(world) -> None:
    citizen = make_citizen()
    staff = make_staff(world.bureau, scope=REGION)
    User.objects.filter(pk=staff.pk).update(is_active=False)
    staff.refresh_from_db()
    for user in (citizen, AnonymousUser(), staff, make_user(kind=User.Kind.SERVICE)):
        assert _visible(user) == set()


def test_administrator_duties_give_no_business_scope_but_list_departments(world) -> None:
    secadmin = make_staff(world.bureau, scope=REGION, admin_duty=Role.AdminDuty.SECURITY)
    assert _visible(secadmin) == set()
    assert set(selectors.departments_visible_to(secadmin)) == set(world.all) - {world.far}


def test_the_auditor_sees_no_departments_and_no_persons(world) -> None:
    auditor = make_staff(world.bureau, scope=REGION, admin_duty=Role.AdminDuty.AUDIT)
    make_person(region=make_region("330102001001"))
    assert list(selectors.departments_visible_to(auditor)) == []
    assert list(selectors.persons_visible_to(auditor)) == []
    with pytest.raises(NotFound):
        selectors.get_department_for_user(auditor, world.bureau.pk)


def test_get_department_for_user_answers_not_found_outside_the_scope(world) -> None:
    user = make_staff(world.branch_a, scope=OWN)
    assert selectors.get_department_for_user(user, world.branch_a.pk) == world.branch_a
    for department in (world.bureau, world.branch_b):
        with pytest.raises(NotFound) as exc:
            selectors.get_department_for_user(user, department.pk)
        assert exc.value.code == "department_not_found"
    with pytest.raises(NotFound):
        selectors.get_department_for_user(user, 10**9)


def test_persons_are_visible_to_region_staff_and_to_themselves(world) -> None:
    east = make_person(region=make_region("330102001001"))
    west = make_person(region=make_region("330103001001"))
    nowhere = make_person()
    region_staff = make_staff(world.district_gov, scope=REGION)
    department_staff = make_staff(world.branch_a, scope=SUBTREE)
    citizen = make_citizen(region="330102001001")
    assert set(selectors.persons_visible_to(region_staff)) == {east, citizen.person}
    assert list(selectors.persons_visible_to(department_staff)) == []
    assert list(selectors.persons_visible_to(citizen)) == [citizen.person]
    assert selectors.get_person_for_user(region_staff, east.pk) == east
    for person in (west, nowhere):
        with pytest.raises(NotFound):
            selectors.get_person_for_user(region_staff, person.pk)
    with pytest.raises(NotFound):
        selectors.get_person_for_user(citizen, east.pk)
