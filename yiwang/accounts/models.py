"""People, organisations, regions, roles and data scopes.

- ``User``: a login. ``kind`` = person (a citizen, who may act as agent for an enterprise), staff
  (a government employee) or service (a machine client that only uses API tokens).
- ``Person``: a natural person; the ID number is stored SM4-GCM encrypted with an HMAC-SM3 blind
  index for exact lookup. A walk-in applicant may be a Person without a User.
- ``Enterprise`` (USCC, legal representative) and ``EnterpriseAgent`` (a person acting for it).
- ``Region``: 12-digit 行政区划 tree (province → city → district → township → village), versioned
  by effective dates; at most one current version (``valid_to`` empty) per code.
- ``Department``: a government organ (USCC, parent, region) with a materialised ``path`` so that
  "this department and everything below it" is one indexed prefix query.
- ``Role`` carries a data scope (own department, department subtree, region subtree) and optionally
  one of the three administrator duties (三员: system, security, audit). ``StaffRole`` gives a user
  a role in a department; revoking keeps the row (``revoked_at``) for the record.
- ``ApiToken``: a machine client's bearer token (only its SM3 digest and a display prefix are
  stored).

Writes go through ``yiwang.accounts.services``; reads that depend on who asks go through
``yiwang.accounts.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import region_level

_REGION_PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "township": 9, "village": 12}


def region_code_prefix(code: str) -> str:
    """The significant leading digits of a 12-digit code; every descendant's code starts with it.

    ``330100000000`` (a city) → ``3301``; ``330102001000`` (a street) → ``330102001``.
    """
    return code[: _REGION_PREFIX_LENGTH[region_level(code)]]


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        DISTRICT = "district", _("区县")
        TOWNSHIP = "township", _("街道/乡镇")
        VILLAGE = "village", _("社区/村")

    code = models.CharField(_("行政区划代码"), max_length=12, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="region_code_version_unique"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_to__isnull=True),
                name="region_current_code_unique",
            ),
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        return region_code_prefix(self.code)


class Department(models.Model):
    name = models.CharField(_("部门名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    # "/12/40/" = department 40 under department 12; maintained by save().
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__code", "path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep ``path`` equal to the parent's path plus this id, for this row and its subtree."""
        super().save(*args, **kwargs)
        expected = self._expected_path()
        if self.path == expected:
            return
        old = self.path
        self.path = expected
        Department.objects.filter(pk=self.pk).update(path=expected)
        if old:
            for child in Department.objects.filter(path__startswith=old).exclude(pk=self.pk):
                Department.objects.filter(pk=child.pk).update(
                    path=expected + child.path[len(old) :]
                )

    def _expected_path(self) -> str:
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        return f"{parent_path}{self.pk}/"


class User(AbstractUser):
    class Kind(models.TextChoices):
        PERSON = "person", _("自然人")
        STAFF = "staff", _("工作人员")
        SERVICE = "service", _("系统账号")

    kind = models.CharField(_("账户类型"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # The province identity service's stable subject ("sub") for OIDC sign-in.
    external_subject = models.CharField(max_length=255, blank=True, default="", editable=False)
    failed_login_count = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    totp_secret_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    totp_last_counter = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["external_subject"],
                condition=~Q(external_subject=""),
                name="user_external_subject_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_government_staff(self) -> bool:
        return self.kind == self.Kind.STAFF


class Person(models.Model):
    class RealNameLevel(models.IntegerChoices):
        NONE = 0, _("未实名")
        BASIC = 1, _("基本实名")
        VERIFIED = 2, _("实人认证")
        IN_PERSON = 3, _("现场核验")

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(_("姓名"), max_length=100)
    # SM4-GCM nonce||ciphertext||tag; the AAD binds it to id_number_index (see services).
    id_number_encrypted = models.BinaryField(editable=False)
    # HMAC-SM3 of the normalised ID number, hex: exact lookup without decrypting.
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    realname_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=RealNameLevel.choices, default=RealNameLevel.NONE
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=255, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="persons"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_representative = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="represented_enterprises"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="enterprises")
    address = models.CharField(_("住所"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


class EnterpriseAgent(models.Model):
    """A person authorised to act for an enterprise (经办人)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="agents")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="agencies")
    valid_until = models.DateField(_("授权截止"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业经办人")
        verbose_name_plural = _("企业经办人")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "person"], name="agent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.enterprise}"


class Role(models.Model):
    class Scope(models.TextChoices):
        OWN_DEPARTMENT = "own_department", _("本部门")
        DEPARTMENT_SUBTREE = "department_subtree", _("本部门及下级")
        REGION_SUBTREE = "region_subtree", _("本辖区")

    class AdminDuty(models.TextChoices):
        NONE = "", _("无")
        SYSTEM = "system", _("系统管理员")
        SECURITY = "security", _("安全管理员")
        AUDIT = "audit", _("审计管理员")

    code = models.SlugField(_("角色代码"), max_length=50, unique=True)
    name = models.CharField(_("角色名称"), max_length=100)
    scope = models.CharField(
        _("数据范围"), max_length=32, choices=Scope.choices, default=Scope.OWN_DEPARTMENT
    )
    admin_duty = models.CharField(
        _("三员职责"), max_length=16, choices=AdminDuty.choices, blank=True, default=""
    )
    capabilities = models.JSONField(_("权限"), default=list, blank=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StaffRoleQuerySet(models.QuerySet["StaffRole"]):
    def active(self) -> StaffRoleQuerySet:
        return self.filter(revoked_at__isnull=True)


class StaffRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="staff")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = StaffRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位角色")
        verbose_name_plural = _("岗位角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"],
                condition=Q(revoked_at__isnull=True),
                name="staff_role_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.role}"


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
