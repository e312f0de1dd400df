"""Template context every page gets: demo flag, site identity for header and footer, navigation."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from yiwang.ui.navigation import navigation_for


@dataclass(frozen=True)
class SiteInfo:
    """Who runs this deployment. Each value comes from an optional setting (see docs)."""

    name: str | Promise
    owner: str | Promise
    operator: str | Promise
    hotline: str
    icp: str
    site_code: str
    police_record: str


def site_info() -> SiteInfo:
    return SiteInfo(
        name=getattr(settings, "YIWANG_SITE_NAME", "") or _("一网政务服务平台"),
        owner=getattr(settings, "YIWANG_SITE_OWNER", "") or _("本级人民政府办公厅"),
        operator=getattr(settings, "YIWANG_SITE_OPERATOR", "") or _("本级政务服务和数据管理局"),
        hotline=getattr(settings, "YIWANG_SITE_HOTLINE", "") or "12345",
        icp=getattr(settings, "YIWANG_SITE_ICP", ""),
        site_code=getattr(settings, "YIWANG_SITE_CODE", ""),
        police_record=getattr(settings, "YIWANG_SITE_POLICE_RECORD", ""),
    )


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "YIWANG_DEMO": settings.YIWANG_DEMO,
        "portal": site_info(),
        # Lazy: pages that never show the header (htmx fragments) cost no query.
        "nav": SimpleLazyObject(lambda: navigation_for(request)),
    }
