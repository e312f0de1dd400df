"""Pages of the UI app: the home page and the design-system sample page (demo mode only).

Error pages are rendered by config/errors.py with the templates at this app's template root.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yiwang.ui.forms import SampleApplicationForm
from yiwang.ui.navigation import safe_reverse


@dataclass(frozen=True)
class Offer:
    """What the platform offers, as a card on the home page; a link once its section exists."""

    key: str
    title: str | Promise
    text: str | Promise
    icon: str
    url_name: str


OFFERS: tuple[Offer, ...] = (
    Offer(
        "services",
        _("一网通办"),
        _("统一的政务服务事项目录；网上申请、一窗受理、多部门并联审批，“一件事一次办”。"),
        "document",
        "catalog:index",
    ),
    Offer(
        "licences",
        _("电子证照"),
        _("证照电子化签发、亮证和核验，办事时免于提交纸质证明，“一证通办”。"),
        "idcard",
        "licences:index",
    ),
    Offer(
        "hotline",
        _("12345 接诉即办"),
        _("咨询、求助、投诉、举报、建议一号受理，限时派单办理，办后回访。"),
        "phone",
        "hotline:index",
    ),
    Offer(
        "ratings",
        _("好差评"),
        _("每次办事都可评价；差评必回访、限期整改，评价结果向社会公开。"),
        "star",
        "ratings:public",
    ),
    Offer(
        "data",
        _("数据共享与开放"),
        _("公共数据一数一源、按需共享、用后留痕；开放数据目录供社会利用。"),
        "share",
        "opendata:index",
    ),
    Offer(
        "vault",
        _("个人数据宝"),
        _("查看政府部门持有的本人数据，以及谁在何时为何使用了它；更正数据、管理授权。"),
        "lock",
        "vault:index",
    ),
    Offer(
        "supervision",
        _("互联网+监管"),
        _("双随机一公开抽查、信用分级分类监管；抽取过程公开可复现。"),
        "shield",
        "supervision:index",
    ),
    Offer(
        "insight",
        _("一网统管"),
        _("办件时限、热线三率、评价和数据质量按部门、按区县一屏统览，每月生成报告。"),
        "chart",
        "insight:dashboard",
    ),
)


@dataclass(frozen=True)
class OfferCard:
    key: str
    title: str | Promise
    text: str | Promise
    icon: str
    url: str | None


def home_offers() -> list[OfferCard]:
    """The home page's cards; each links to its section only when that section exists."""
    return [OfferCard(o.key, o.title, o.text, o.icon, safe_reverse(o.url_name)) for o in OFFERS]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/home.html", {"offers": home_offers()})


def design_system(request: HttpRequest) -> HttpResponse:
    """Every component on one page, for developers and the accessibility check. Demo mode only."""
    if not (settings.YIWANG_DEMO or settings.DEBUG):
        raise Http404
    form = SampleApplicationForm(
        data={"name": "", "phone": "1380013", "item_type": "permit", "delivery": "online"}
    )
    form.is_valid()
    form.add_error(None, _("同一事项已有在办申请，请勿重复提交。"))
    now = timezone.now()
    events = [
        {
            "at": now - timedelta(days=3, hours=2),
            "title": _("提交申请"),
            "actor": _("申请人"),
            "tone": "info",
        },
        {
            "at": now - timedelta(days=3),
            "title": _("受理"),
            "actor": _("东湖区政务服务局 窗口"),
            "tone": "success",
            "note": _("材料齐全，予以受理。"),
        },
        {
            "at": now - timedelta(days=1),
            "title": _("补正通知"),
            "actor": _("审核员"),
            "tone": "warning",
            "note": _("请补充营业场所产权证明。计时暂停。"),
        },
        {"at": now, "title": _("超期预警"), "actor": _("系统"), "tone": "danger"},
    ]
    page_obj = Paginator(range(1, 201), 10).get_page(request.GET.get("page", 5))
    rows = [
        ["330102202611220001", _("食品经营许可"), _("审核中")],
        ["330102202611220002", _("个体工商户登记"), _("已办结")],
        ["330102202611220003", _("新生儿出生一件事"), _("待补正")],
    ]
    return render(
        request,
        "ui/design_system.html",
        {
            "form": form,
            "events": events,
            "page_obj": page_obj,
            "columns": [_("办件编号"), _("事项名称"), _("状态")],
            "rows": rows,
            "breadcrumbs": [(_("开发者"), None), (_("设计系统"), None)],
        },
    )
