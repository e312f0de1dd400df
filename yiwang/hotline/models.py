"""12345 接诉即办: categories (the taxonomy as data), tickets (工单) with their timeline, dispatch
rules and the daily ticket sequence.

State machine of a ``Ticket``: see ``yiwang.hotline.states`` (``python -m yiwang.hotline.states``).
A ticket keeps two clocks, both derived from ``yiwang.core.deadlines`` and cached here for
sorting and the 三率: the sign clock (签收, from dispatch) and the handling clock (办理, from
dispatch, in the category's limit or the urgency's, hours or working days).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department, Person


class Category(models.Model):
    """One node of the 3-level taxonomy (2 digits per level); leaves carry the responsible
    department's key, the default time limit and, for 不予受理 matters, the referral text."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("小时")
        WORKING_DAYS = "working_days", _("工作日")

    code = models.CharField(_("分类代码"), max_length=6, unique=True)
    name = models.CharField(_("分类名称"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("层级"))
    department_key = models.CharField(_("默认承办单位"), max_length=20, blank=True)
    limit_amount = models.PositiveIntegerField(_("办理时限"), null=True, blank=True)
    limit_unit = models.CharField(
        _("时限单位"), max_length=12, choices=Unit.choices, blank=True, default=""
    )
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    not_accepted = models.BooleanField(_("不予受理"), default=False)
    referral = models.TextField(_("告知渠道"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TicketType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    WEB = "web", _("网站")
    APP = "app", _("移动端")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    API = "api", _("接口")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


class TicketStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    SIGNED = "signed", _("办理中")
    RETURNED = "returned", _("退单待审")
    ANSWERED = "answered", _("已答复")
    CALLED_BACK = "called_back", _("已回访")
    CLOSED = "closed", _("已办结")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    MERGED = "merged", _("已合并")


class Ticket(models.Model):
    number = models.CharField(_("工单编号"), max_length=32, unique=True)
    type = models.CharField(_("诉求类型"), max_length=12, choices=TicketType.choices)
    channel = models.CharField(_("来源渠道"), max_length=8, choices=Channel.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    content = models.TextField(_("诉求内容"))
    region_code = models.CharField(_("行政区划"), max_length=12, db_index=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    caller = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    caller_name = models.CharField(_("来电人"), max_length=100, blank=True)
    caller_phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    caller_email = models.EmailField(_("电子邮箱"), blank=True)
    # Open311 media_url: a link the caller gave; stored as text, never fetched by the server.
    media_url = models.URLField(_("图片链接"), max_length=500, blank=True)
    api_client = models.ForeignKey(
        "ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.ACCEPTED
    )
    # 首接负责: the first department coordinates; ``department`` handles it now.
    first_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    primary = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    accepted_at = models.DateTimeField(_("受理时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理截止时间"), null=True, blank=True)
    extended_amount = models.PositiveIntegerField(default=0)
    # 延期 asked by the department and not yet decided by the hotline (working days; 0 = none).
    extension_requested = models.PositiveIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    resolved = models.BooleanField(_("已解决"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    supervised = models.BooleanField(_("已督办"), default=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due_at"], name="ticket_dept_status_due"),
            models.Index(
                fields=["category", "region_code", "accepted_at"], name="ticket_cat_region"
            ),
            # The agent's queue and the API list: newest first, a page at a time.
            models.Index(fields=["-accepted_at", "-id"], name="ticket_accepted_desc"),
        ]

    def __str__(self) -> str:
        return self.number


class TicketAttachment(models.Model):
    """A file the caller or the agent attached (checked by ``core.uploads``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="hotline/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.action}"


class DispatchRule(models.Model):
    """Category × region → responsible department. The most specific rule wins: the longest
    category code prefix, then the longest region prefix (a rule for ``01`` and region ``3399``
    covers every 城乡建设 leaf in that city)."""

    category_prefix = models.CharField(_("分类代码前缀"), max_length=6)
    region_prefix = models.CharField(_("行政区划前缀"), max_length=12, blank=True)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.UniqueConstraint(
                fields=["category_prefix", "region_prefix"], name="dispatch_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_prefix} × {self.region_prefix or '*'} → {self.department_id}"


class TicketSequence(models.Model):
    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} · {self.last}"


class ApiClient(models.Model):
    """A machine client of the Open311 facade (an app, a mini-program, a partner platform). The
    ``api_key`` is shown once on creation; only its SHA-256 is stored."""

    name = models.CharField(_("接入方名称"), max_length=100)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(
        _("来源渠道"), max_length=8, choices=Channel.choices, default=Channel.API
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口接入方")
        verbose_name_plural = _("接口接入方")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class HotSpot(models.Model):
    """未诉先办: a spike of one category in one area over a window, handed to the responsible
    department as a proactive task before more people have to call."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处置")
        ACCEPTED = "accepted", _("处置中")
        DONE = "done", _("已处置")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="hot_spots")
    region_code = models.CharField(_("区域"), max_length=12, db_index=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="hot_spots"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(_("诉求数"))
    baseline = models.FloatField(_("基线"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("处置期限"), null=True, blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    tickets = models.ManyToManyField(Ticket, related_name="hot_spots", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("热点诉求")
        verbose_name_plural = _("热点诉求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category", "region_code", "status"], name="hotspot_cat_region")
        ]

    def __str__(self) -> str:
        return f"{self.category_id} · {self.region_code} · {self.count}"
