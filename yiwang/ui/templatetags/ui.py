"""Template helpers of the design system: ``{% load ui %}``.

- ``{{ LANGUAGE_CODE|html_lang }}``: the BCP 47 tag for ``<html lang>`` (zh-Hans, zh-Hant, en).
- ``{% icon "document" %}``: an inline SVG icon, decorative (hidden from assistive technology)
  unless a label is given: ``{% icon "phone" label=_("电话") %}``.
- ``{% url_or_none "app:name" as url %}``-style lookups are done with the built-in
  ``{% url ... as var %}``, which yields "" for an unknown name; no tag needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.core.paginator import Page
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}

# 24×24 stroke icons drawn for this project (currentColor, 1.8 stroke).
ICONS: dict[str, str] = {
    "document": '<path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/>'
    '<path d="M14 3v5h5"/><path d="M9 13h6M9 17h6"/>',
    "idcard": '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="11" r="2"/>'
    '<path d="M6 16c.6-1.5 1.7-2 3-2s2.4.5 3 2"/><path d="M14 10h4M14 14h4"/>',
    "phone": '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6'
    'a2 2 0 0 1 2-2"/>',
    "star": '<path d="m12 3 2.8 5.7 6.2.9-4.5 4.4 1.1 6.2L12 17.3l-5.6 2.9 1.1-6.2L3 9.6l6.2-.9z"/>',
    "database": '<ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/>'
    '<path d="M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>',
    "share": '<circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="6" r="2.5"/>'
    '<circle cx="18" cy="18" r="2.5"/><path d="m8.2 10.8 7.6-3.6M8.2 13.2l7.6 3.6"/>',
    "shield": '<path d="M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6z"/><path d="m9 12 2 2 4-4"/>',
    "lock": '<rect x="4" y="10" width="16" height="11" rx="2"/><path d="M8 10V7a4 4 0 0 1 8 0v3"/>'
    '<path d="M12 14.5v3"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-4-4"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "close": '<path d="M6 6l12 12M18 6 6 18"/>',
    "globe": '<circle cx="12" cy="12" r="9"/>'
    '<path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1.5-4 4.5-6 8-6s6.5 2 8 6"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c1.2-3.4 3.6-5 6.5-5s5.3 1.6 6.5 5"/>'
    '<path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 15c1.6.6 2.8 2.2 3.5 5"/>',
    "chevron-right": '<path d="m9 6 6 6-6 6"/>',
    "chevron-left": '<path d="m15 6-6 6 6 6"/>',
    "arrow-right": '<path d="M5 12h14M13 6l6 6-6 6"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v5M12 8h.01"/>',
    "check-circle": '<circle cx="12" cy="12" r="9"/><path d="m8 12 3 3 5-6"/>',
    "alert": '<path d="M10.3 4 2.6 18a2 2 0 0 0 1.7 3h15.4a2 2 0 0 0 1.7-3L13.7 4a2 2 0 0 0-3.4 0"/>'
    '<path d="M12 10v4M12 17h.01"/>',
    "x-circle": '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6M15 9l-6 6"/>',
    "inbox": '<path d="M3 13h5l1.5 3h5L16 13h5"/>'
    '<path d="M5.5 5h13l2.5 8v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-6z"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "building": '<path d="M3 21h18M5 21V10M19 21V10M9.5 21v-7M14.5 21v-7M2 10l10-6 10 6z"/>',
    "chart": '<path d="M4 20V11M10 20V5M16 20v-6M22 20H2"/>',
    "logout": '<path d="M9 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h3M16 17l5-5-5-5M21 12H9"/>',
    "home": '<path d="M3 11 12 4l9 7"/><path d="M5 10v10h14V10"/><path d="M10 20v-6h4v6"/>',
    "eye": '<path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12"/><circle cx="12" cy="12" r="3"/>',
}


@register.filter
def html_lang(language_code: str | None) -> str:
    """BCP 47 spelling of a Django language code: ``zh-hans`` → ``zh-Hans``."""
    code = (language_code or "").lower()
    return _HTML_LANG.get(code, code or "zh-Hans")


@register.simple_tag
def icon(name: str, label: str = "", css_class: str = "") -> SafeString:
    """An inline SVG icon. Decorative unless ``label`` is given."""
    paths = ICONS.get(name)
    if paths is None:
        raise template.TemplateSyntaxError(f"unknown icon {name!r}")
    classes = f"icon icon-{name} {css_class}".strip()
    if label:
        opening = format_html(
            '<svg class="{}" viewBox="0 0 24 24" role="img" aria-label="{}" focusable="false">',
            classes,
            label,
        )
    else:
        opening = format_html(
            '<svg class="{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">', classes
        )
    # The path data are constants of this module, never user input.
    return mark_safe(f"{opening}{paths}</svg>")  # noqa: S308  # nosec


@register.simple_tag
def page_range(page_obj: Page, on_each_side: int = 1, on_ends: int = 1) -> list[int | None]:
    """Page numbers around the current page; ``None`` marks a gap (shown as …)."""
    paginator = page_obj.paginator
    return [
        None if number == paginator.ELLIPSIS else int(number)
        for number in paginator.get_elided_page_range(
            page_obj.number, on_each_side=on_each_side, on_ends=on_ends
        )
    ]


@register.filter
def with_labels(
    rows: Iterable[Sequence[Any]], columns: Sequence[Any]
) -> list[list[tuple[Any, Any]]]:
    """Pair each cell with its column label (for ``data-label`` in stacked tables)."""
    return [list(zip(columns, row, strict=False)) for row in rows]
