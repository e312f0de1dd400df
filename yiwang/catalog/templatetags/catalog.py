"""Template helpers of the catalogue pages."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def time_limit(amount: int, unit: str) -> str:
    """A time limit in words: ``{{ item.legal_limit|time_limit:item.limit_unit }}`` → "20 个工作日"."""
    n = int(amount or 0)
    if unit == "hours":
        text = ngettext("%(n)d 小时", "%(n)d 小时", n)
    elif unit == "calendar_days":
        text = ngettext("%(n)d 个自然日", "%(n)d 个自然日", n)
    else:
        text = ngettext("%(n)d 个工作日", "%(n)d 个工作日", n)
    return text % {"n": n}
