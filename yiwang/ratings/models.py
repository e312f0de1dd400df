"""Ratings and bad reviews.

A ``Rating`` is one citizen's judgement of one transaction (a case or a 12345 ticket: 一事一评),
or of a counter window or a staff member he met there (一次一评, tied to the case of that visit).
A rating a 12345 agent takes down on the phone for a caller without an account has no
``rater`` but ``recorded_by``. A re-rating after a bad review makes a new ``Rating`` with ``supersedes`` set; only the newest
(``is_current``) counts in the indicators. The rater (``rater``) is never shown to the rated unit.

A ``BadReview`` is the rectification loop of a bad rating (level ≤ the bad threshold): the
responsible department calls back by ``callback_due_at``, then fixes at once, opens a
rectification due ``rectification_due_at``, explains, or appeals a malicious review (decided by
the supervising office). Its ``BadReviewEvent`` rows are the loop's timeline.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department, Person, User


class Level(models.IntegerChoices):
    """The national five levels (国办发〔2019〕51号)."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


class RatingChannel(models.TextChoices):
    WEB = "web", _("网上评价")
    APP = "app", _("移动端评价")
    COUNTER = "counter", _("窗口评价器/二维码")
    SMS = "sms", _("短信评价")
    HOTLINE = "hotline", _("12345热线")


class Setting(models.TextChoices):
    """Where the service was given: the dimensions rated differ (GB/T 39734/39735-2020)."""

    ONLINE = "online", _("网上办事")
    COUNTER = "counter", _("窗口办事")
    HOTLINE = "hotline", _("12345诉求")


# Dimension codes per setting, with their Chinese names.
DIMENSIONS: dict[str, dict[str, str]] = {
    Setting.ONLINE: {
        "efficiency": "办事效率",
        "guide": "指南准确",
        "convenience": "便捷程度",
        "operation": "操作体验",
    },
    Setting.COUNTER: {
        "efficiency": "办事效率",
        "skill": "业务水平",
        "attitude": "服务态度",
    },
    Setting.HOTLINE: {
        "response": "响应速度",
        "resolution": "解决程度",
        "attitude": "服务态度",
    },
}


class SubjectKind(models.TextChoices):
    CASE = "case", _("办件")
    TICKET = "ticket", _("12345工单")
    WINDOW = "window", _("窗口")
    STAFF = "staff", _("工作人员")


class ServiceWindow(models.Model):
    """A counter window of a 政务服务中心 (rated with the case received there)."""

    code = models.CharField(_("窗口编号"), max_length=32, unique=True)
    name = models.CharField(_("窗口名称"), max_length=100)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="windows")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Rating(models.Model):
    subject_kind = models.CharField(_("评价对象"), max_length=8, choices=SubjectKind.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    ticket = models.ForeignKey(
        "hotline.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    window = models.ForeignKey(
        ServiceWindow, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings_received"
    )
    # The rated unit: the case's deciding department, the ticket's handling department, the
    # window's department or the staff member's department when rated.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="ratings")
    item_code = models.CharField(_("事项编码"), max_length=64, blank=True)
    # The citizen who rated (hidden from the rated unit); none for a caller without an account
    # whose rating a 12345 agent took down on the phone (``recorded_by``).
    rater = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings_given"
    )
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("评价渠道"), max_length=8, choices=RatingChannel.choices)
    setting = models.CharField(_("办事方式"), max_length=8, choices=Setting.choices)
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    scores = models.JSONField(_("分项评分"), default=dict, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    is_bad = models.BooleanField(_("差评"), default=False)
    # False for the default rating a transaction gets when its rater did not rate in time.
    is_active_rating = models.BooleanField(_("主动评价"), default=True)
    revision = models.PositiveSmallIntegerField(_("第几次评价"), default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    is_current = models.BooleanField(default=True)
    # A review the supervising office found malicious (申诉成立): kept, never counted.
    is_excluded = models.BooleanField(_("不计入统计"), default=False)
    created_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.CheckConstraint(
                name="rating_level_1_to_5", condition=Q(level__gte=1, level__lte=5)
            ),
            models.CheckConstraint(
                name="rating_one_subject",
                condition=(
                    Q(subject_kind="case", case__isnull=False, ticket__isnull=True)
                    | Q(subject_kind="ticket", ticket__isnull=False, case__isnull=True)
                    | Q(subject_kind="window", window__isnull=False, case__isnull=False)
                    | Q(subject_kind="staff", staff__isnull=False, case__isnull=False)
                ),
            ),
            # One rating per transaction (and per window or staff member of that visit); a
            # re-rating is a new revision.
            models.UniqueConstraint(
                fields=["subject_kind", "case", "revision"],
                condition=Q(case__isnull=False, subject_kind__in=["case", "window"]),
                name="rating_once_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "staff", "revision"],
                condition=Q(subject_kind="staff"),
                name="rating_once_per_case_staff",
            ),
            models.UniqueConstraint(
                fields=["ticket", "revision"],
                condition=Q(ticket__isnull=False),
                name="rating_once_per_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "created_at"], name="rating_dept_time_idx"),
            models.Index(fields=["rater", "created_at"], name="rating_rater_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_kind_display()} {self.level}"


class BadReviewStatus(models.TextChoices):
    AWAITING_CALLBACK = "awaiting_callback", _("待回访")
    CALLED_BACK = "called_back", _("已回访")
    RECTIFYING = "rectifying", _("整改中")
    APPEALED = "appealed", _("申诉审核中")
    CLOSED = "closed", _("已办结")


class Outcome(models.TextChoices):
    FIXED_NOW = "fixed_now", _("立即整改")
    RECTIFIED = "rectified", _("限期整改")
    EXPLAINED = "explained", _("说明解释")
    APPEAL_UPHELD = "appeal_upheld", _("申诉成立（恶意差评）")


class BadReview(models.Model):
    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="bad_review")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="bad_reviews")
    status = models.CharField(
        _("整改状态"),
        max_length=20,
        choices=BadReviewStatus.choices,
        default=BadReviewStatus.AWAITING_CALLBACK,
    )
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices, blank=True)
    opened_at = models.DateTimeField(_("转办时间"))
    callback_due_at = models.DateTimeField(_("回访时限"))
    called_back_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_note = models.TextField(_("回访情况"), blank=True)
    rectification_due_at = models.DateTimeField(_("整改时限"), null=True, blank=True)
    rectification_plan = models.TextField(_("整改措施"), blank=True)
    rectification_report = models.TextField(_("整改情况"), blank=True)
    explanation = models.TextField(_("说明解释"), blank=True)
    appeal_reason = models.TextField(_("申诉理由"), blank=True)
    appeal_decision_note = models.TextField(_("申诉审核意见"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    rater_notified_at = models.DateTimeField(_("告知评价人时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("督办层级"), default=0)
    escalated_at = models.DateTimeField(_("最近督办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [
            models.Index(fields=["department", "status"], name="badreview_dept_status_idx"),
            models.Index(fields=["status", "callback_due_at"], name="badreview_callback_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating_id} {self.get_status_display()}"


class BadReviewEvent(models.Model):
    review = models.ForeignKey(BadReview, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.action}"
