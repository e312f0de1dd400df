"""User accounts and role grants, under 三员分立 (see ``yiwang.accounts.permissions``).

Only the security administrator creates staff accounts and grants or revokes roles (``by`` is the
acting user; ``by=None`` is the command line or the demo seed, still bound by the duty rules).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, Person, Role, StaffRole, User
from yiwang.accounts.permissions import is_security_admin
from yiwang.accounts.selectors import departments_visible_to, find_person_by_id_number
from yiwang.accounts.services.audit import audit
from yiwang.accounts.services.people import register_person
from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def _require_security_admin(by: Any) -> None:
    if by is not None and not is_security_admin(by):
        raise PermissionDenied("security_admin_required", _("只有安全管理员可以管理账号和角色。"))


@transaction.atomic
def create_user_account(
    username: str,
    *,
    kind: str,
    display_name: str = "",
    password: str | None = None,
    person: Person | None = None,
    phone: str = "",
    by: Any = None,
) -> User:
    """Create a login. Staff and service accounts need the security administrator; a citizen's
    account may be created by anyone entitled to register (``by=None`` for self-registration).

    Without a password the account cannot sign in with one (service accounts use API tokens,
    OIDC users the province identity service).
    """
    if kind not in User.Kind.values:
        raise ValidationFailed("invalid_account_kind", _("账户类型无效。"), field="kind")
    if kind != User.Kind.PERSON:
        _require_security_admin(by)
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise ValidationFailed(
            "username_required", _("请填写1–150个字符的用户名。"), field="username"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("username_taken", _("该用户名已被使用。"), field="username")
    if person is not None and person.user_id is not None:
        raise Conflict("person_has_account", _("此人已有账号。"), field="person")
    user = User(
        username=username,
        kind=kind,
        display_name=(display_name or (person.name if person else "")).strip(),
        phone=phone.strip(),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if person is not None:
        person.user = user
        person.save(update_fields=["user"])
    audit(
        by,
        "accounts.user.created",
        user,
        {"username": username, "kind": kind, "person_id": person.pk if person else None},
    )
    return user


@transaction.atomic
def create_role(
    code: str,
    name: str,
    *,
    scope: str = Role.Scope.OWN_DEPARTMENT,
    admin_duty: str = "",
    capabilities: list[str] | None = None,
    by: Any = None,
) -> Role:
    _require_security_admin(by)
    if scope not in Role.Scope.values:
        raise ValidationFailed("invalid_scope", _("数据范围无效。"), field="scope")
    if admin_duty not in Role.AdminDuty.values:
        raise ValidationFailed("invalid_admin_duty", _("三员职责无效。"), field="admin_duty")
    if Role.objects.filter(code=code).exists():
        raise Conflict("role_exists", _("该角色代码已存在。"), field="code")
    role = Role.objects.create(
        code=code,
        name=name,
        scope=scope,
        admin_duty=admin_duty,
        capabilities=sorted(set(capabilities or [])),
    )
    audit(
        by,
        "accounts.role.created",
        role,
        {"code": code, "scope": scope, "admin_duty": admin_duty, "capabilities": role.capabilities},
    )
    return role


def _check_separation_of_duties(user: User, role: Role) -> None:
    """三员分立: duties never combine; the auditor holds no other role of any kind."""
    held = list(StaffRole.objects.active().filter(user=user).select_related("role"))
    duties = {sr.role.admin_duty for sr in held if sr.role.admin_duty}
    refuse = False
    if role.admin_duty and duties - {role.admin_duty}:
        refuse = True
    if role.admin_duty == Role.AdminDuty.AUDIT and any(
        sr.role.admin_duty != Role.AdminDuty.AUDIT for sr in held
    ):
        refuse = True
    if role.admin_duty != Role.AdminDuty.AUDIT and Role.AdminDuty.AUDIT in duties:
        refuse = True
    if refuse:
        raise Conflict(
            "separation_of_duties",
            _(
                "三员分立：系统管理员、安全管理员和审计管理员不能由同一人兼任，"
                "审计管理员也不能兼任其他岗位。"
            ),
            field="role",
        )


def _sync_admin_site_access(user: User) -> None:
    """Administrators (三员) enter the Django admin site (``is_staff``); what they find there
    follows from their duty (``permissions.ADMIN_SITE_PERMISSIONS``). Superusers keep it."""
    is_administrator = (
        StaffRole.objects.active().filter(user=user).exclude(role__admin_duty="").exists()
    )
    wanted = bool(user.is_superuser or is_administrator)
    if user.is_staff != wanted:
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])


@transaction.atomic
def grant_role(by: Any, user: User, department: Department, role: Role) -> StaffRole:
    """Give ``user`` ``role`` in ``department``.

    Refused when ``by`` is not the security administrator (``security_admin_required``), grants
    to himself (``self_grant_forbidden``), cannot see the department (``department_not_found``),
    the user is not staff (``not_staff``), the grant exists (``role_already_granted``) or would
    break 三员分立 (``separation_of_duties``).
    """
    _require_security_admin(by)
    if by is not None and by.pk == user.pk:
        raise PermissionDenied("self_grant_forbidden", _("不能给自己授予角色。"))
    if by is not None and not departments_visible_to(by).filter(pk=department.pk).exists():
        raise NotFound("department_not_found", _("部门不存在或您无权查看。"))
    user = User.objects.select_for_update().get(pk=user.pk)  # serialise grants per user
    if user.kind != User.Kind.STAFF:
        raise ValidationFailed("not_staff", _("只能给工作人员授予岗位角色。"), field="user")
    if StaffRole.objects.active().filter(user=user, department=department, role=role).exists():
        raise Conflict("role_already_granted", _("该用户在此部门已有此角色。"), field="role")
    _check_separation_of_duties(user, role)
    staff_role = StaffRole.objects.create(
        user=user, department=department, role=role, granted_by=by
    )
    if role.admin_duty:
        _sync_admin_site_access(user)
    audit(
        by,
        "accounts.role.granted",
        staff_role,
        {
            "user_id": user.pk,
            "department_id": department.pk,
            "role": role.code,
            "admin_duty": role.admin_duty,
        },
    )
    return staff_role


@transaction.atomic
def revoke_role(by: Any, staff_role: StaffRole) -> StaffRole:
    _require_security_admin(by)
    if (
        by is not None
        and not departments_visible_to(by).filter(pk=staff_role.department_id).exists()
    ):
        raise NotFound("department_not_found", _("部门不存在或您无权查看。"))
    staff_role = StaffRole.objects.select_for_update().get(pk=staff_role.pk)
    if staff_role.revoked_at is not None:
        raise Conflict("role_already_revoked", _("该角色已被撤销。"))
    staff_role.revoked_at = timezone.now()
    staff_role.revoked_by = by
    staff_role.save(update_fields=["revoked_at", "revoked_by"])
    if staff_role.role.admin_duty:
        _sync_admin_site_access(User.objects.get(pk=staff_role.user_id))
    audit(
        by,
        "accounts.role.revoked",
        staff_role,
        {
            "user_id": staff_role.user_id,
            "department_id": staff_role.department_id,
            "role": staff_role.role.code,
        },
    )
    return staff_role


# --- OIDC (province unified identity service, 统一身份认证) ------------------------------------------


def oidc_username(subject: str) -> str:
    return f"oidc-{sm3_hex(subject.encode())[:20]}"


@transaction.atomic
def create_oidc_user(*, subject: str, name: str, id_number: str | None) -> User:
    """First sign-in through the province identity service: a citizen account linked to the
    person with that ID number (registered now when unknown, real-name level basic)."""
    person = find_person_by_id_number(id_number) if id_number else None
    if person is not None and person.user_id is not None:
        raise Conflict("person_has_account", _("此人已有账号。"), field="person")
    user = create_user_account(
        oidc_username(subject), kind=User.Kind.PERSON, display_name=name, person=person
    )
    user.external_subject = subject
    user.save(update_fields=["external_subject"])
    if person is None and id_number:
        register_person(
            name or user.username,
            id_number,
            realname_level=Person.RealNameLevel.BASIC,
            user=user,
            by=user,
        )
    audit(user, "auth.oidc_user_created", user, {"has_id_number": bool(id_number)})
    return user


@transaction.atomic
def update_oidc_user(user: User, *, subject: str, name: str) -> User:
    """Later sign-ins: keep the subject and the display name in step with the identity service."""
    changed: list[str] = []
    if subject and user.external_subject != subject:
        user.external_subject = subject
        changed.append("external_subject")
    if name and user.display_name != name:
        user.display_name = name
        changed.append("display_name")
    if changed:
        user.save(update_fields=changed)
        audit(user, "auth.oidc_user_updated", user, {"fields": changed})
    return user
