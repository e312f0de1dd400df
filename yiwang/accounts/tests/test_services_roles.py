"""Role grants under 三员分立: who may grant, which combinations are refused."""

from __future__ import annotations

import pytest

from yiwang.accounts import permissions, services
from yiwang.accounts.models import Role, StaffRole, User
from yiwang.accounts.tests.factories import (
    ledger_entries,
    make_department,
    make_role,
    make_staff,
    make_user,
)
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

SYSTEM, SECURITY, AUDIT = Role.AdminDuty.SYSTEM, Role.AdminDuty.SECURITY, Role.AdminDuty.AUDIT


@pytest.fixture
def city():
    return make_department("市数据局", region="330100000000")


@pytest.fixture
def security_admin(city):
    return make_staff(city, scope=Role.Scope.REGION_SUBTREE, admin_duty=SECURITY)


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (SYSTEM, SECURITY),
        (SYSTEM, AUDIT),
        (SECURITY, SYSTEM),
        (SECURITY, AUDIT),
        (AUDIT, SYSTEM),
        (AUDIT, SECURITY),
    ],
)
def test_one_person_never_holds_two_administrator_duties(
    city, security_admin, held, wanted
) -> None:
    user = make_staff(city, admin_duty=held)
    with pytest.raises(Conflict) as exc:
        services.grant_role(security_admin, user, city, make_role(admin_duty=wanted))
    assert exc.value.code == "separation_of_duties"
    assert permissions.admin_duties(user) == {held}


def test_the_auditor_holds_no_business_role_either(city, security_admin) -> None:
    auditor = make_staff(city, admin_duty=AUDIT)
    with pytest.raises(Conflict) as exc:
        services.grant_role(security_admin, auditor, city, make_role(Role.Scope.OWN_DEPARTMENT))
    assert exc.value.code == "separation_of_duties"
    clerk = make_staff(city)
    with pytest.raises(Conflict):
        services.grant_role(security_admin, clerk, city, make_role(admin_duty=AUDIT))


def test_the_same_duty_in_a_second_department_is_allowed(city, security_admin) -> None:
    other = make_department("区数据局", region="330102000000")
    sysadmin = make_staff(city, admin_duty=SYSTEM)
    services.grant_role(security_admin, sysadmin, other, make_role(admin_duty=SYSTEM))
    assert StaffRole.objects.active().filter(user=sysadmin).count() == 2


def test_a_system_administrator_may_also_hold_a_business_role(city, security_admin) -> None:
    sysadmin = make_staff(city, admin_duty=SYSTEM)
    services.grant_role(security_admin, sysadmin, city, make_role(Role.Scope.OWN_DEPARTMENT))
    assert permissions.admin_duties(sysadmin) == {SYSTEM}


def test_only_the_security_administrator_grants_roles(city) -> None:
    sysadmin = make_staff(city, scope=Role.Scope.REGION_SUBTREE, admin_duty=SYSTEM)
    clerk = make_staff(city)
    target = make_user()
    for by in (sysadmin, clerk):
        with pytest.raises(PermissionDenied) as exc:
            services.grant_role(by, target, city, make_role())
        assert exc.value.code == "security_admin_required"


def test_the_security_administrator_cannot_grant_himself_a_role(city, security_admin) -> None:
    with pytest.raises(PermissionDenied) as exc:
        services.grant_role(security_admin, security_admin, city, make_role())
    assert exc.value.code == "self_grant_forbidden"


def test_grants_stay_within_the_security_administrators_scope(city) -> None:
    district_admin = make_staff(
        make_department("区数据局", region="330102000000"),
        scope=Role.Scope.OWN_DEPARTMENT,
        admin_duty=SECURITY,
    )
    with pytest.raises(NotFound):
        services.grant_role(district_admin, make_user(), city, make_role())


def test_roles_go_to_staff_only_and_only_once(city, security_admin) -> None:
    citizen = make_user(kind=User.Kind.PERSON)
    with pytest.raises(ValidationFailed) as exc:
        services.grant_role(security_admin, citizen, city, make_role())
    assert exc.value.code == "not_staff"
    staff = make_user()
    services.grant_role(security_admin, staff, city, make_role())
    with pytest.raises(Conflict) as exc2:
        services.grant_role(security_admin, staff, city, make_role())
    assert exc2.value.code == "role_already_granted"


def test_a_revoked_role_stops_counting_and_may_be_granted_again(city, security_admin) -> None:
    staff = make_user()
    grant = services.grant_role(security_admin, staff, city, make_role(admin_duty=SYSTEM))
    services.revoke_role(security_admin, grant)
    assert permissions.admin_duties(staff) == set()
    with pytest.raises(Conflict):
        services.revoke_role(security_admin, grant)
    # Once the system duty is gone, the same person may become auditor.
    services.grant_role(security_admin, staff, city, make_role(admin_duty=AUDIT))
    assert permissions.is_auditor(staff)
    granted = ledger_entries("accounts.role.granted", actor=f"user:{security_admin.pk}")
    assert [e.payload["admin_duty"] for e in granted] == ["system", "audit"]
    assert len(ledger_entries("accounts.role.revoked")) == 1


def test_capabilities_come_from_roles_and_duties(city) -> None:
    clerk = make_staff(city, capabilities=("cases.intake",))
    auditor = make_staff(city, admin_duty=AUDIT)
    assert permissions.has_capability(clerk, "cases.intake")
    assert not permissions.has_capability(clerk, permissions.READ_LEDGER)
    assert permissions.can_read_ledger(auditor)
    assert not permissions.can_read_ledger(clerk)


def test_only_the_security_administrator_creates_staff_accounts(city, security_admin) -> None:
    clerk = make_staff(city)
    with pytest.raises(PermissionDenied):
        services.create_user_account("newstaff", kind=User.Kind.STAFF, by=clerk)
    user = services.create_user_account("newstaff", kind=User.Kind.STAFF, by=security_admin)
    assert not user.has_usable_password()
    with pytest.raises(Conflict) as exc:
        services.create_user_account("NEWSTAFF", kind=User.Kind.STAFF, by=security_admin)
    assert exc.value.code == "username_taken"
