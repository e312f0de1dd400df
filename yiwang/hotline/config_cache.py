"""The taxonomy's leaves and the dispatch rules, cached per process (``core.localcache``): every
受理并派单 reads them, an administrator changes them a few times a year. A change saved here
takes effect at once in this process and within ``YIWANG_CONFIG_CACHE_SECONDS`` in the others."""

from __future__ import annotations

from yiwang.accounts.models import Department
from yiwang.core.localcache import ConfigCache
from yiwang.hotline.models import Category, DispatchRule


def _load_leaves(using: str) -> dict[str, Category]:
    return {
        c.code: c for c in Category.objects.using(using).filter(level=3, is_active=True).order_by()
    }


def _load_rules(using: str) -> tuple[DispatchRule, ...]:
    return tuple(
        DispatchRule.objects.using(using)
        .filter(is_active=True, department__is_active=True)
        .select_related("department")
        .order_by("pk")
    )


active_leaves: ConfigCache[dict[str, Category]] = ConfigCache(
    "hotline.active_leaves", _load_leaves, depends_on=(Category,)
)
active_rules: ConfigCache[tuple[DispatchRule, ...]] = ConfigCache(
    "hotline.active_rules", _load_rules, depends_on=(DispatchRule, Department)
)
