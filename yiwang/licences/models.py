"""电子证照 (e-licences): types, the departments' SM2 signing keys, licences and their events,
holders' share links and the record of every use of a licence as a case material (一证通办).

State machine of a ``Licence`` (``yiwang.licences.states`` prints the transition table)::

    valid ──revoke (撤销)────▶ revoked
      ├────cancel (注销)────▶ cancelled
      ├────withdraw (吊销)──▶ withdrawn
      └────invalidate (失效)▶ invalid

Every change is final, carries a reason, is in the ledger and is told to the holder. Expiry is
not a status: a licence past ``valid_until`` verifies as expired while its status stays valid.

The signed document (canonical JSON, ``yiwang.licences.documents``) holds the holder's ID number,
so it is stored encrypted (SM4-GCM, the licence id as associated data) with its SM3 digest beside
it; verification needs only the digest, the signature and the public key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department, Enterprise, Person
from yiwang.cases.models import Case


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class LicenceType(models.Model):
    """A kind of licence or certificate (证照类型) with its GB/T 36904 type code and the schema of
    its content. ``fields`` is a list of ``{"key", "label", "type", "required", "source"}``: type
    is ``string``/``date``/``text``; ``source`` says where issuance from a case takes the value
    (``form.<field>``, ``applicant.name``, ``applicant.id_number``, ``enterprise.name``,
    ``enterprise.uscc``, ``case.number``, ``item.name``, ``issuer.name``, ``today``,
    ``const:<text>``)."""

    code = models.CharField(_("证照类型代码"), max_length=40, unique=True)
    key = models.SlugField(_("标识"), max_length=50, unique=True)
    name = models.CharField(_("证照名称"), max_length=100)
    holder_kind = models.CharField(
        _("持证主体"), max_length=12, choices=HolderKind.choices, default=HolderKind.PERSON
    )
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("留空表示长期有效")
    )
    fields = models.JSONField(_("内容字段"), default=list, blank=True)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class SigningKey(models.Model):
    """A department's SM2 key. One is active per department; rotation retires it (its public key
    stays published so that licences it signed keep verifying)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("使用中")
        RETIRED = "retired", _("已停用")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="signing_keys"
    )
    key_id = models.CharField(_("密钥标识"), max_length=32, unique=True)
    public_hex = models.CharField(_("公钥"), max_length=128)
    private_encrypted = models.BinaryField(editable=False)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["department_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(status="active"),
                name="one_active_signing_key_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.key_id}"


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")
    CANCELLED = "cancelled", _("已注销")
    WITHDRAWN = "withdrawn", _("已吊销")
    INVALID = "invalid", _("已失效")


class Licence(models.Model):
    licence_id = models.CharField(_("证照标识"), max_length=120, unique=True)
    type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences")
    issuer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="licences")
    serial = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField(default=1)
    holder_kind = models.CharField(max_length=12, choices=HolderKind.choices)
    holder_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="licences"
    )
    holder_enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="licences"
    )
    holder_name = models.CharField(_("持证人"), max_length=200)
    # The person's blind index or the enterprise's USCC: lookups by the holder's ID (一证通办).
    holder_index = models.CharField(max_length=64, db_index=True)
    document_encrypted = models.BinaryField(editable=False)
    document_sm3 = models.CharField(max_length=64)
    signature = models.BinaryField(editable=False)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="licences")
    issued_at = models.DateTimeField(_("签发时间"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    status_reason = models.CharField(_("状态原因"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="licences"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The rendered PDF (made once, on first download) and its SM3: a presented PDF must be it.
    pdf = models.FileField(upload_to="licences/", blank=True)
    pdf_sm3 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["holder_index", "type"], name="licence_holder_type")]

    def __str__(self) -> str:
        return self.licence_id

    @property
    def digest_short(self) -> str:
        """What the QR code carries besides the id: the first 16 hex of the document's SM3."""
        return self.document_sm3[:16]


class LicenceEvent(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.licence_id} · {self.action}"


class LicenceSequence(models.Model):
    """Daily serials per (type, issuer): 流水号 = YYYYMMDD + at least 3 digits."""

    prefix = models.CharField(max_length=64)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="licence_seq_unique")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day} · {self.last}"


class ShareLink(models.Model):
    """A time-limited link the holder gives someone to see and verify one licence."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="share_links")
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.licence_id} · {self.expires_at:%Y-%m-%d %H:%M}"


class LicenceUse(models.Model):
    """One use of a licence by staff or by the system for a case (一证通办, 免提交), with the
    purpose (申请事由) bound to the case. The ledger has the same access as
    ``personal_data.read`` for the holder's data vault."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="uses")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose = models.CharField(_("申请事由"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.licence_id} · {self.purpose}"
