"""Cases (办件): applications from submission to result, their materials, 补正 notices, events,
notifications and the shared data (免提交) they may draw on.

State machine of a ``Case`` (``yiwang.cases.states`` prints the transition table)::

    submitted ──accept──────────────▶ in_review ──(process approved)──▶ approved ──deliver──▶ completed
      │  ├─accept_with_deficiency──▶ in_review (deficient materials listed, due later)
      │  ├─accept_with_commitment──▶ in_review (告知承诺 signed)
      │  ├─request_correction──▶ correction ──resubmit──▶ submitted
      │  ├─reject───────────────▶ not_accepted
      │  └─forward (异地代收代办)──▶ forwarded ──(receiving organ)──▶ submitted
    in_review ──(process rejected)──▶ denied
    in_review ◀──suspend/resume──▶ (clock stops, state stays in_review; the process is suspended)
    submitted / correction ──withdraw──▶ withdrawn

A bundle application (一件事) is a parent ``Case`` with ``bundle`` set and no item; its members are
child cases (``parent``) that run in parallel; the parent completes when all members are done.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department, Enterprise, Person
from yiwang.catalog.models import Bundle, Material, ServiceItem, TrustLevel
from yiwang.workflow.models import ProcessInstance


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    CORRECTION = "correction", _("待补正")
    FORWARDED = "forwarded", _("已转递")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    IN_REVIEW = "in_review", _("审查中")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_CASE_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.CORRECTION,
    CaseStatus.FORWARDED,
    CaseStatus.IN_REVIEW,
    CaseStatus.APPROVED,
)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    COUNTER = "counter", _("窗口受理")
    PROXY = "proxy", _("异地代收代办")
    API = "api", _("接口提交")


class Delivery(models.TextChoices):
    ELECTRONIC = "electronic", _("电子送达")
    POST = "post", _("邮寄送达")
    PICKUP = "pickup", _("窗口领取")


class AcceptanceMode(models.TextChoices):
    NORMAL = "normal", _("正常受理")
    DEFICIENCY = "deficiency", _("容缺受理")
    COMMITMENT = "commitment", _("告知承诺")
    AUTO = "auto", _("智能秒办")


class Case(models.Model):
    number = models.CharField(_("办件编号"), max_length=64, unique=True)
    item = models.ForeignKey(
        ServiceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    # Who applies: always a person (the applicant or the enterprise's agent); the enterprise when
    # the applicant is a legal person.
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("申请渠道"), max_length=12, choices=Channel.choices)
    # The organ that decides (the item's implementing department): the data scope of the case.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    # The window that received it (counter intake, 异地代收代办), if not the deciding organ.
    receiving_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="received_cases"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    acceptance_mode = models.CharField(
        _("受理方式"), max_length=12, choices=AcceptanceMode.choices, blank=True
    )
    form_data = models.JSONField(_("表单数据"), default=dict, blank=True)
    process = models.OneToOneField(
        ProcessInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    # Cached from the process clock for listing and sorting (the process is the truth).
    due_at = models.DateTimeField(_("承诺办结时间"), null=True, blank=True)
    legal_due_at = models.DateTimeField(_("法定办结时间"), null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    # Result: {"name": ..., "licence_ids": [...], "document": ...}
    result = models.JSONField(_("办理结果"), default=dict, blank=True)
    delivery = models.CharField(
        _("送达方式"), max_length=12, choices=Delivery.choices, default=Delivery.ELECTRONIC
    )
    delivery_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    commitment_signed_at = models.DateTimeField(_("承诺书签署时间"), null=True, blank=True)
    # 容缺: material keys still owed, with the date they are due.
    deficiencies = models.JSONField(_("容缺材料"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due_at"]),
            models.Index(fields=["applicant", "-submitted_at"]),
            # The staff worklist (selectors.worklist): open item cases of a department, or
            # received by a window, in due order — read in index order, LIMIT stops early.
            models.Index(
                fields=["department", "due_at", "submitted_at", "id"],
                condition=Q(item__isnull=False, status__in=OPEN_CASE_STATUSES),
                name="case_worklist_department",
            ),
            models.Index(
                fields=["receiving_department", "due_at", "submitted_at", "id"],
                condition=Q(
                    item__isnull=False,
                    receiving_department__isnull=False,
                    status__in=OPEN_CASE_STATUSES,
                ),
                name="case_worklist_receiving",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class MaterialSource(models.TextChoices):
    UPLOAD = "upload", _("上传")
    LICENCE = "licence", _("电子证照")
    SHARED = "shared", _("共享数据（免提交）")
    PAPER = "paper", _("窗口收取纸质材料")
    COMMITMENT = "commitment", _("告知承诺")
    DEFICIENT = "deficient", _("容缺后补")


def trust_level_for(source: str, *, checked: bool = False) -> str:
    """The trust level (可信等级) a material gets from how it was provided: A issued by a
    government organ (e-licence, shared data), B checked by a clerk (paper originals at a window),
    C uploaded by the applicant (the original is checked before use), D his signed commitment
    (告知承诺); none while it is owed (容缺)."""
    if source in (MaterialSource.LICENCE, MaterialSource.SHARED):
        return TrustLevel.A
    if source == MaterialSource.PAPER:
        return TrustLevel.B if checked else TrustLevel.C
    if source == MaterialSource.UPLOAD:
        return TrustLevel.C
    if source == MaterialSource.COMMITMENT:
        return TrustLevel.D
    return ""


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=12, choices=MaterialSource.choices)
    trust_level = models.CharField(
        _("可信等级"), max_length=1, choices=TrustLevel.choices, blank=True, default=""
    )
    file = models.FileField(upload_to="cases/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    licence_id = models.CharField(max_length=120, blank=True)
    shared_record = models.ForeignKey(
        "SharedRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(null=True, blank=True)  # superseded by a later one

    class Meta:
        ordering = ["case", "material__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "material"],
                condition=Q(replaced_at__isnull=True),
                name="case_material_current_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.material_id} · {self.source}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way a material is recorded (submission, 容缺/告知承诺 at acceptance, upload,
        # 补正) gets the trust level its source implies, unless the caller set one.
        if not self.trust_level and self._state.adding:
            self.trust_level = trust_level_for(self.source, checked=self.checked_by_id is not None)
        super().save(*args, **kwargs)


class CorrectionNotice(models.Model):
    """补正告知: one notice listing everything missing (一次性告知)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    # [{"material": key, "name": ..., "note": ...}] and free text for other problems.
    items = models.JSONField(default=list)
    note = models.TextField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} · 补正 {self.issued_at:%Y-%m-%d}"


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.kind}"


class CaseSequence(models.Model):
    """The daily sequence behind case numbers: 实施编码 + YYYYMMDD + NNNN (gap-tolerant)."""

    prefix = models.CharField(max_length=64)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="case_seq_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d} · {self.last}"


class SharedRecord(models.Model):
    """Data another department holds about a person or enterprise, usable instead of a paper
    (免提交): a dataset row (``kind=data``).

    E-licences are no longer kept here: a material given as a licence is checked against the
    licences app through the provider registered in ``yiwang.cases.shared``. ``kind=licence``
    stays as a choice only so that no migration has to rewrite old rows.
    """

    class Kind(models.TextChoices):
        DATA = "data", _("共享数据")
        LICENCE = "licence", _("电子证照")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DATA)
    dataset = models.CharField(max_length=64)  # e.g. "birth_medical_certificate", "hukou"
    # Whose: the person's ID blind index or the enterprise's USCC.
    subject_index = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=200)
    licence_id = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    provider = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "subject_index", "licence_id"], name="shared_record_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("站内消息")
        EMAIL = "email", _("电子邮件")
        SMS = "sms", _("短信")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.IN_APP)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title
