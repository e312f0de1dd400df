"""Who may do what: capabilities carried by roles, the three administrator duties (三员分立),
and the second-factor rule.

三员分立 as implemented here (等保 2.0 level 3):

- 系统管理员 (``system``) configures the platform (settings, catalogues, calendars); he does not
  manage accounts or roles and does not read the audit ledger.
- 安全管理员 (``security``) manages accounts and grants/revokes roles — the only one who may; he may
  not grant a role to himself.
- 审计管理员 (``audit``) reads the audit ledger and nothing else: no department lists, no persons,
  no business data; the audit duty cannot be combined with any other role.
- One person never holds two of these duties (``grant_role`` refuses with
  ``separation_of_duties``).

Administrator duties give no access to business data: ``scope_filter`` ignores admin roles (see
``yiwang.accounts.selectors``).
"""

from __future__ import annotations

from typing import Any

from yiwang.accounts.models import Role, StaffRole, User

# Capabilities: stable strings stored in Role.capabilities; apps check them with has_capability.
MANAGE_ROLES = "accounts.manage_roles"
MANAGE_ACCOUNTS = "accounts.manage_accounts"
CONFIGURE_SYSTEM = "system.configure"
READ_LEDGER = "ledger.read"
READ_FULL_ID_NUMBER = "accounts.read_full_id_number"
# Register walk-in applicants as persons (一窗受理) and see persons of the region one serves.
REGISTER_PERSON = "accounts.register_person"

DUTY_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.AdminDuty.SYSTEM: frozenset({CONFIGURE_SYSTEM}),
    Role.AdminDuty.SECURITY: frozenset({MANAGE_ROLES, MANAGE_ACCOUNTS}),
    Role.AdminDuty.AUDIT: frozenset({READ_LEDGER}),
}

# The Django admin site (/admin/) by duty: the model permissions each duty holds there, granted
# by the authentication backend. Administrators enter the admin site (``User.is_staff``, kept in
# step with their duties by ``grant_role``/``revoke_role``); no other account does.
ADMIN_SITE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.AdminDuty.SYSTEM: frozenset(
        {
            "core.view_calendarday",
            "core.add_calendarday",
            "core.change_calendarday",
            "core.delete_calendarday",
            "core.view_calendaryear",
            "core.add_calendaryear",
            "core.change_calendaryear",
            # The service catalogue (事项目录): items with their materials, bundles (一件事).
            "catalog.view_serviceitem",
            "catalog.add_serviceitem",
            "catalog.change_serviceitem",
            "catalog.delete_serviceitem",
            "catalog.view_material",
            "catalog.add_material",
            "catalog.change_material",
            "catalog.delete_material",
            "catalog.view_bundle",
            "catalog.add_bundle",
            "catalog.change_bundle",
            "catalog.delete_bundle",
            "catalog.view_bundlemember",
            "catalog.add_bundlemember",
            "catalog.change_bundlemember",
            "catalog.delete_bundlemember",
            # 证照类型 (e-licence types and their content schemas; never deleted once used).
            "licences.view_licencetype",
            "licences.add_licencetype",
            "licences.change_licencetype",
            # 服务窗口 of the government service centres (rated with the cases taken in there).
            "ratings.view_servicewindow",
            "ratings.add_servicewindow",
            "ratings.change_servicewindow",
        }
    ),
    Role.AdminDuty.SECURITY: frozenset(),
    Role.AdminDuty.AUDIT: frozenset({"core.view_ledgerentry", "core.view_ledgercheckpoint"}),
}


def _active_roles(user: Any) -> list[StaffRole]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(
        StaffRole.objects.active()
        .filter(user_id=user.pk, department__is_active=True)
        .select_related("role", "department__region")
    )


def admin_duties(user: Any) -> set[str]:
    """The administrator duties (system/security/audit) ``user`` currently holds."""
    return {sr.role.admin_duty for sr in _active_roles(user) if sr.role.admin_duty}


def is_auditor(user: Any) -> bool:
    return Role.AdminDuty.AUDIT in admin_duties(user)


def is_security_admin(user: Any) -> bool:
    return Role.AdminDuty.SECURITY in admin_duties(user)


def is_system_admin(user: Any) -> bool:
    return Role.AdminDuty.SYSTEM in admin_duties(user)


def admin_site_permissions(user: Any) -> set[str]:
    """The Django model permissions ``user``'s administrator duties give in the admin site."""
    result: set[str] = set()
    for duty in admin_duties(user):
        result |= ADMIN_SITE_PERMISSIONS.get(duty, frozenset())
    return result


def capabilities(user: Any) -> set[str]:
    """Capabilities from the user's active roles (a duty's capabilities are implied)."""
    result: set[str] = set()
    for sr in _active_roles(user):
        result.update(str(c) for c in (sr.role.capabilities or []))
        result.update(DUTY_CAPABILITIES.get(sr.role.admin_duty, frozenset()))
    return result


def has_capability(user: Any, capability: str) -> bool:
    return capability in capabilities(user)


def can_read_ledger(user: Any) -> bool:
    """Only the audit administrator reads the audit ledger."""
    return is_auditor(user)


def requires_second_factor(user: Any) -> bool:
    """Staff, administrators and Django admin users must pass TOTP after their password."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.kind == User.Kind.STAFF or user.is_staff or user.is_superuser)
