"""The service catalogue (政务服务事项目录): items, their materials, bundles (一件事).

- ``ServiceItem`` is one *version* of an item. The item's identity is its 实施编码
  (``implementation_code``); each published change creates a new row with ``version`` + 1 and the
  previous published row becomes ``superseded``. A case points at the row it was filed under, so it
  keeps that version's materials, limits and process for its whole life.
- ``Material`` belongs to one version (copied forward when a new version is drafted).
- ``Bundle`` (一件事) lists member items by 实施编码; the current published version of each is
  used when a bundle is applied for. Shared form fields (same ``key``) are asked once.
- 跨省通办: items in different regions with the same 基本编码 (``base_code``) are equivalent; each
  item says which modes it supports in ``cross_region_modes``.

Fields follow the national sync schema (RULES.md "事项 catalogue"). The quality rules run in
``yiwang.catalog.quality`` whenever an item is saved through the services (admin, API, import).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Department, Region


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("行政许可")
    PENALTY = "penalty", _("行政处罚")
    ENFORCEMENT = "enforcement", _("行政强制")
    LEVY = "levy", _("行政征收")
    BENEFIT = "benefit", _("行政给付")
    INSPECTION = "inspection", _("行政检查")
    CONFIRMATION = "confirmation", _("行政确认")
    AWARD = "award", _("行政奖励")
    ADJUDICATION = "adjudication", _("行政裁决")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class Level(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("镇（乡、街道）级")
    VILLAGE = "village", _("村（社区）级")


class HandlingType(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")


class OnlineDepth(models.IntegerChoices):
    """网办深度: Ⅰ 网上咨询 … Ⅳ 全程网办."""

    I = 1, _("Ⅰ级（信息公开、网上咨询）")  # noqa: E741
    II = 2, _("Ⅱ级（网上预审）")
    III = 3, _("Ⅲ级（网上受理、结果到现场领取）")
    IV = 4, _("Ⅳ级（全程网办）")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    CALENDAR_DAYS = "calendar_days", _("自然日")
    HOURS = "hours", _("小时")


class CrossRegionMode(models.TextChoices):
    ONLINE = "online", _("全程网办")
    PROXY = "proxy", _("异地代收代办")
    JOINT = "joint", _("多地联办")


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")
    SUSPENDED = "suspended", _("暂停办理")
    RETIRED = "retired", _("已取消")


class ServiceItem(models.Model):
    # --- identity and version
    base_code = models.CharField(_("基本编码"), max_length=12, db_index=True)
    implementation_code = models.CharField(_("实施编码"), max_length=36, db_index=True)
    business_code = models.CharField(_("业务办理项编码"), max_length=50, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    # --- what it is
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    level = models.CharField(_("行使层级"), max_length=16, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="service_items",
        verbose_name=_("实施主体"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="service_items", verbose_name=_("实施区划")
    )
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    summary = models.TextField(_("事项简介"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)

    # --- time limits
    handling_type = models.CharField(
        _("办件类型"), max_length=16, choices=HandlingType.choices, default=HandlingType.PROMISED
    )
    legal_limit = models.PositiveIntegerField(_("法定时限"), default=20)
    promised_limit = models.PositiveIntegerField(_("承诺时限"), default=10)
    limit_unit = models.CharField(
        _("时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )

    # --- who and how
    for_persons = models.BooleanField(_("服务对象：自然人"), default=True)
    for_enterprises = models.BooleanField(_("服务对象：法人"), default=False)
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=0)
    visit_reason = models.CharField(_("到现场原因"), max_length=300, blank=True)
    online_depth = models.PositiveSmallIntegerField(
        _("网办深度"), choices=OnlineDepth.choices, default=OnlineDepth.IV
    )
    charges = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    fee_description = models.CharField(_("收费标准"), max_length=300, blank=True)
    # [{"name": "受理", "description": "..."}, ...] in order (办理流程).
    steps = models.JSONField(_("办理流程"), default=list, blank=True)
    # Extra form fields beyond materials: [{"key", "label", "type", "required", "choices",
    # "source"}]; the same key in two items of a bundle is asked once.
    form_fields = models.JSONField(_("表单字段"), default=list, blank=True)
    result_name = models.CharField(_("结果名称"), max_length=200, blank=True)
    result_type = models.CharField(_("结果类型"), max_length=50, blank=True)
    result_sample = models.CharField(_("结果样本"), max_length=300, blank=True)
    # The e-licence type the result is issued as (licences app), e.g. "11100000000013338W011".
    result_licence_type = models.CharField(_("结果证照类型代码"), max_length=50, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=50, blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=50, blank=True)
    cross_region_modes = models.JSONField(_("跨域通办方式"), default=list, blank=True)
    # The workflow process this item runs (``yiwang.workflow`` definitions' key); default: the
    # implementation code.
    process_key = models.CharField(_("流程定义"), max_length=64, blank=True)
    # Normalised words, pinyin and initials for search (``yiwang.catalog.search``).
    search_text = models.TextField(editable=False, blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["implementation_code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["implementation_code", "version"], name="item_code_version_unique"
            ),
            # At most one published version per item.
            models.UniqueConstraint(
                fields=["implementation_code"],
                condition=Q(status="published"),
                name="item_one_published_version",
            ),
        ]
        indexes = [models.Index(fields=["status", "department"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.implementation_code} v{self.version}）"

    @property
    def is_immediate(self) -> bool:
        return self.handling_type == HandlingType.IMMEDIATE

    @property
    def effective_process_key(self) -> str:
        return self.process_key or self.implementation_code


class MaterialType(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子材料")


class MaterialForm(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")
    EITHER = "either", _("纸质或电子")


class SourceChannel(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    INTERMEDIARY = "intermediary", _("中介机构出具")
    OTHER = "other", _("其他")


class TrustLevel(models.TextChoices):
    A = "A", _("A 实施机关核发（直接使用）")
    B = "B", _("B 窗口人员核验")
    C = "C", _("C 申请人上传（使用前核验原件）")
    D = "D", _("D 申请人签署承诺（告知承诺）")


class Material(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    key = models.SlugField(_("材料代码"), max_length=64)
    name = models.CharField(_("材料名称"), max_length=200)
    material_type = models.CharField(
        _("材料类型"), max_length=20, choices=MaterialType.choices, default=MaterialType.ELECTRONIC
    )
    form = models.CharField(
        _("材料形式"), max_length=12, choices=MaterialForm.choices, default=MaterialForm.EITHER
    )
    required = models.BooleanField(_("必要性"), default=True)
    source_channel = models.CharField(
        _("来源渠道"), max_length=16, choices=SourceChannel.choices, default=SourceChannel.APPLICANT
    )
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    trust_level = models.CharField(
        _("可信等级"), max_length=1, choices=TrustLevel.choices, default=TrustLevel.C
    )
    description = models.CharField(_("填报说明"), max_length=500, blank=True)
    # 免提交: satisfied from an e-licence of this type or from this shared dataset.
    licence_type = models.CharField(_("可关联证照类型"), max_length=50, blank=True)
    shared_dataset = models.CharField(_("可共享获取的数据"), max_length=64, blank=True)
    deficiency_allowed = models.BooleanField(_("可容缺"), default=False)
    commitment_allowed = models.BooleanField(_("可告知承诺"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="material_key_unique")]

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    """一件事: several items applied for together with one merged form and one submission."""

    code = models.SlugField(_("一件事代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    summary = models.TextField(_("简介"), blank=True)
    audience = models.CharField(_("服务对象"), max_length=16, default="person")
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="bundles",
        verbose_name=_("牵头部门"),
    )
    # Promised limit for the whole bundle (the slowest member bounds it).
    promised_limit = models.PositiveIntegerField(_("承诺时限"), default=5)
    is_published = models.BooleanField(_("已发布"), default=True)
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleMember(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="members")
    implementation_code = models.CharField(_("实施编码"), max_length=36)
    optional = models.BooleanField(_("可选"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("一件事成员事项")
        verbose_name_plural = _("一件事成员事项")
        ordering = ["bundle", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "implementation_code"], name="bundle_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code} · {self.implementation_code}"


class ItemEvent(models.Model):
    """The catalogue's own history: drafted, published, superseded, suspended, imported …"""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} · {self.item_id}"
