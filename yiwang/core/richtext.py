"""User-written rich text: Markdown and editor HTML in, safe HTML out (or plain text).

- ``render_markdown`` renders CommonMark (plus tables) with raw HTML disabled, then sanitises the
  result, so a bug on either side is caught by the other.
- ``sanitize_html`` cleans HTML from a rich-text editor with the same allow-list.
- ``plain_text`` drops every tag (for search, notifications, SMS, excerpts).

The allow-list (``nh3``, the Python binding of the Rust ``ammonia`` sanitiser, which parses like a
browser): p br hr strong em ul ol li a code pre blockquote h2 h3 h4 table thead tbody tr th td.
Links keep only ``href`` (absolute ``http``, ``https`` or ``mailto`` URLs: relative and
protocol-relative ``//host`` links are dropped) and ``title``, and always get
``rel="noopener noreferrer nofollow"``. Images are refused entirely (the CSP forbids external
images anyway); no ``style``, ``class``, ``id`` or event attribute survives; the content of
``script``, ``style`` and similar elements is removed with them. Markdown headings move one level
down (``#`` → ``h2``) because the page owns its ``h1``; a Markdown image becomes its alt text.

Hostile input can be slow to parse: Markdown costs ~7 µs per character in markdown-it-py (tens of
µs for crafted input such as thousands of ``[``), and the HTML parser is quadratic in nesting depth.
So input is bounded: Markdown to ``MAX_MARKDOWN_CHARS``, HTML to ``MAX_HTML_CHARS`` and
``MAX_HTML_DEPTH`` levels of nesting; beyond that ``ValidationFailed`` is raised with the code
``richtext_too_long`` or ``richtext_too_deep`` (forms should set the same ``max_length``).
Sanitise once when the text is saved or render it with a cache; the limits keep even the worst input
to about a second.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from typing import Final

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from yiwang.core.errors import ValidationFailed

MAX_MARKDOWN_CHARS: Final = 50_000
MAX_HTML_CHARS: Final = 200_000
MAX_HTML_DEPTH: Final = 100

ALLOWED_TAGS: Final = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "a",
        "code",
        "pre",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES: Final = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
LINK_REL: Final = "noopener noreferrer nofollow"
# Elements removed together with everything inside them.
DROPPED_WITH_CONTENT: Final = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "title"}
)
_ABSOLUTE_URL = re.compile(r"(?:https?://[^/\s]|mailto:)", re.IGNORECASE)
_PLAIN_BLOCKS: Final = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "hr"}
)


# Elements that close themselves (void) or are closed implicitly by a sibling: they add no depth.
_NO_DEPTH: Final = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rt", "rp",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)")


def _too_deep(html_text: str, limit: int) -> bool:
    """Whether the elements of ``html_text`` may nest more than ``limit`` deep (linear scan).

    An end tag closes only an element that is open, as in a browser, so stray end tags cannot
    hide depth. Implied end tags (``<p>``, ``<li>``…) are not counted at all.
    """
    stack: list[str] = []
    for match in _TAG.finditer(html_text):
        closing, name = match.group(1), match.group(2).lower()
        if name in _NO_DEPTH:
            continue
        if not closing:
            stack.append(name)
            if len(stack) > limit:
                return True
        elif name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name) :]
    return False


def _check_size(text: str, *, max_chars: int, max_depth: int | None, field: str) -> None:
    if len(text) > max_chars:
        raise ValidationFailed(
            "richtext_too_long",
            _("内容过长，最多%(limit)s个字符。") % {"limit": max_chars},
            field=field,
            details={"max_chars": max_chars},
        )
    if max_depth is not None and _too_deep(text, max_depth):
        raise ValidationFailed(
            "richtext_too_deep",
            _("内容的格式嵌套过深。"),
            field=field,
            details={"max_depth": max_depth},
        )


def _keep_only_absolute_links(element: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: an ``href`` must be an absolute http(s) or mailto URL."""
    if element == "a" and attribute == "href":
        return value if _ABSOLUTE_URL.match(value) else None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_only_absolute_links,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


@cache
def _plain_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_PLAIN_BLOCKS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={},
        link_rel=None,
        strip_comments=True,
    )


def _shift_headings(state: StateCore) -> None:
    """Markdown ``#`` becomes ``h2``, ``##`` ``h3``, deeper levels ``h4``."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 4)
            token.tag = f"h{level}"


def _image_as_alt_text(
    renderer: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Markdown images are not shown: their alt text stands in their place."""
    children = tokens[idx].children or []
    return html.escape("".join(child.content for child in children), quote=False)


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.core.ruler.push("yiwang_shift_headings", _shift_headings)
    md.add_render_rule("image", _image_as_alt_text)
    return md


def sanitize_html(
    html_text: str,
    *,
    max_chars: int = MAX_HTML_CHARS,
    max_depth: int = MAX_HTML_DEPTH,
    field: str = "text",
) -> SafeString:
    """Clean untrusted HTML (from an editor) down to the allow-list; safe to put in a template.

    Raises ``ValidationFailed`` (``richtext_too_long``, ``richtext_too_deep``) naming ``field``.
    """
    if not isinstance(html_text, str):
        raise TypeError("sanitize_html expects a str")
    _check_size(html_text, max_chars=max_chars, max_depth=max_depth, field=field)
    # The output of the allow-list sanitiser is the one thing that may be marked safe.
    return mark_safe(_cleaner().clean(html_text))  # noqa: S308  # nosec


def render_markdown(
    text: str, *, max_chars: int = MAX_MARKDOWN_CHARS, field: str = "text"
) -> SafeString:
    """Render untrusted Markdown (CommonMark, tables; raw HTML shown as text) to sanitised HTML.

    Raises ``ValidationFailed`` (``richtext_too_long``) naming ``field`` beyond ``max_chars``.
    """
    if not isinstance(text, str):
        raise TypeError("render_markdown expects a str")
    _check_size(text, max_chars=max_chars, max_depth=None, field=field)
    rendered = _markdown().render(text)
    # markdown-it nests at most 20 levels; the output of a text within limits may be longer.
    return sanitize_html(rendered, max_chars=len(rendered), field=field)


def plain_text(
    html_text: str,
    *,
    max_chars: int = MAX_HTML_CHARS,
    max_depth: int = MAX_HTML_DEPTH,
    field: str = "text",
) -> str:
    """The text of ``html_text`` without any tag, blocks on their own lines, entities decoded.

    The result is plain text, not HTML: let the template escape it (Django does by default).
    Raises ``ValidationFailed`` like ``sanitize_html`` for oversize or too deeply nested input.
    """
    if not isinstance(html_text, str):
        raise TypeError("plain_text expects a str")
    _check_size(html_text, max_chars=max_chars, max_depth=max_depth, field=field)
    cleaned = _plain_cleaner().clean(html_text)
    # Only attribute-less allow-listed tags are left, in the cleaner's normalised spelling.
    without_tags = re.sub(r"</?[a-z0-9]+>", "\n", cleaned)
    text = html.unescape(without_tags)
    lines = (re.sub(r"[ \t\r\f\v\u00a0\u3000]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
