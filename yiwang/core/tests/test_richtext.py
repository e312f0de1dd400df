"""Markdown and editor HTML from users: only the allow-list survives, and hostile input stays cheap."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.core.errors import ValidationFailed
from yiwang.core.richtext import (
    ALLOWED_TAGS,
    MAX_HTML_CHARS,
    MAX_HTML_DEPTH,
    MAX_MARKDOWN_CHARS,
    plain_text,
    render_markdown,
    sanitize_html,
)

REL = "noopener noreferrer nofollow"


class _Collector(HTMLParser):
    """Every element and attribute of a fragment, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_only_allowed_markup(output: str) -> None:
    collector = _Collector()
    collector.feed(output)
    collector.close()
    for tag, attrs in collector.elements:
        assert tag in ALLOWED_TAGS, (tag, output)
        if tag == "a":
            assert set(attrs) <= {"href", "title", "rel"}, attrs
            assert attrs["rel"] == REL
            href = attrs.get("href")
            if href is not None:
                assert href.lower().startswith(("http://", "https://", "mailto:")), href
        else:
            assert attrs == {}, (tag, attrs)
    lowered = output.lower()
    for needle in ("<script", "<img", "<svg", "<iframe", "<style", "<math", "<object"):
        assert needle not in lowered, (needle, output)


# --- Markdown -------------------------------------------------------------------------------------


def test_it_renders_ordinary_markdown_with_headings_below_the_page_title():
    text = (
        "# 办理须知\n\n"
        "## 材料\n\n"
        "请携带**身份证**和*户口簿*，详见[政策原文](https://www.gov.cn/zhengce/)。\n\n"
        "1. 申请\n2. 受理\n\n"
        "- 甲\n- 乙\n\n"
        "> 温馨提示\n\n"
        "`代码` 与\n\n```\n多行\n代码\n```\n\n"
        "| 事项 | 时限 |\n|---|---|\n| 出生登记 | 5 |\n\n"
        "---\n"
    )

    html = render_markdown(text)

    assert isinstance(html, SafeString)
    assert "<h2>办理须知</h2>" in html
    assert "<h3>材料</h3>" in html
    assert "<strong>身份证</strong>" in html and "<em>户口簿</em>" in html
    assert f'<a href="https://www.gov.cn/zhengce/" rel="{REL}">政策原文</a>' in html
    assert "<ol>" in html and "<ul>" in html and "<li>申请</li>" in html
    assert "<blockquote>" in html
    assert "<code>代码</code>" in html and "<pre><code>多行\n代码\n</code></pre>" in html
    assert "<table>" in html and "<th>事项</th>" in html and "<td>出生登记</td>" in html
    assert "<hr>" in html
    assert_only_allowed_markup(html)


def test_raw_html_in_markdown_is_shown_as_text():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">')

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_only_allowed_markup(html)


@pytest.mark.parametrize(
    "text",
    [
        "[点我](javascript:alert(1))",
        "[点我](JavaScript:alert(1))",
        "[点我](jav&#x09;ascript:alert(1))",
        "[点我](javascript&colon;alert(1))",
        "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[点我](vbscript:msgbox(1))",
        "[点我](//evil.example/steal)",
        "[点我](/relative/path)",
        "<javascript:alert(1)>",
        "[a]: javascript:alert(1)\n\n[点我][a]",
        "[点我](file:///etc/passwd)",
    ],
)
def test_markdown_links_to_anything_but_absolute_web_or_mail_addresses_lose_their_target(text):
    html = render_markdown(text)

    assert "href" not in html
    assert_only_allowed_markup(html)


def test_markdown_images_become_their_alt_text():
    html = render_markdown("![出生医学证明 *样本*](https://evil.example/track.png)")

    assert html == "<p>出生医学证明 样本</p>\n"


def test_markdown_mail_links_are_kept():
    html = render_markdown("[写信](mailto:12345@gov.example)")

    assert f'<a href="mailto:12345@gov.example" rel="{REL}">写信</a>' in html


# --- editor HTML ----------------------------------------------------------------------------------

HOSTILE_HTML = [
    ("<script>alert(1)</script>正文", "正文"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>正文", "正文"),
    ('<p onclick="alert(1)" onmouseover=alert(1)>正文</p>', "<p>正文</p>"),
    ('<img src="x" onerror="alert(1)">', ""),
    ("<svg onload=alert(1)><circle r=1></circle></svg>后", "后"),
    ('<iframe src="https://evil.example"></iframe>后', "后"),
    ("<style>body{background:url(javascript:alert(1))}</style>后", "后"),
    ('<p style="width: expression(alert(1))">正文</p>', "<p>正文</p>"),
    ('<a href="javascript:alert(1)">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="jav\tascript:alert(1)">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="  javascript:alert(1)">x</a>', f'<a rel="{REL}">x</a>'),
    (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">x</a>',
        f'<a rel="{REL}">x</a>',
    ),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="//evil.example/x">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="/admin/">x</a>', f'<a rel="{REL}">x</a>'),
    ('<a href="https://">x</a>', f'<a rel="{REL}">x</a>'),
    (
        '<a href="https://ok.example/?a=1&amp;b=2" target="_blank" rel="opener" class="x" id="y">好</a>',
        f'<a href="https://ok.example/?a=1&amp;b=2" rel="{REL}">好</a>',
    ),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>后', "后"),
    ("<form action=//evil><input name=q><button>go</button></form>", "go"),
    ('<object data="javascript:alert(1)"></object>后', "后"),
    ('<base href="//evil.example/">后', "后"),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">后', "后"),
    ("<!-- <script>alert(1)</script> -->后", "后"),
    ("<p><strong>未闭合 <em>嵌套", "<p><strong>未闭合 <em>嵌套</em></strong></p>"),
    ("</p></div><p>错乱</b></i>", "<p></p><p>错乱</p>"),
    ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', '"&gt;'),
    ("<table><tr><td>1</td></tr></table>", "<table><tbody><tr><td>1</td></tr></tbody></table>"),
    ("<h2>标题</h2><h5>小</h5>", "<h2>标题</h2>小"),
]


@pytest.mark.parametrize(("dirty", "clean"), HOSTILE_HTML)
def test_it_cleans_hostile_editor_html_down_to_the_allow_list(dirty, clean):
    output = sanitize_html(dirty)

    assert output == clean
    assert isinstance(output, SafeString)
    assert_only_allowed_markup(output)


FRAGMENTS = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">',
    '<a href="https://ok.example/">',
    "</a>",
    "<svg onload=alert(1)>",
    "<p>",
    "</p>",
    "<em>",
    "<table><tr><td>",
    "<style>",
    '"',
    "'",
    "<",
    ">",
    "&#x6A;avascript:",
    "<!--",
    "-->",
    "<![CDATA[",
    "文字",
    " onerror=alert(1) ",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<a href=//evil>",
]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_any_soup_of_hostile_fragments_comes_out_clean(parts):
    assert_only_allowed_markup(sanitize_html("".join(parts)))
    assert_only_allowed_markup(render_markdown("".join(parts)))


# --- plain text -----------------------------------------------------------------------------------


def test_plain_text_drops_every_tag_and_decodes_entities():
    html = (
        "<h2>通知</h2><p>甲 &amp; 乙<br>第二行 &lt;不是标签&gt;</p>"
        "<script>alert(1)</script><style>p{}</style><ul><li>一</li><li>二</li></ul>"
        '<a href="https://x.example">链接</a>'
    )

    assert plain_text(html) == "通知\n甲 & 乙\n第二行 <不是标签>\n一\n二\n链接"
    assert not isinstance(plain_text(html), SafeString)


def test_plain_text_of_rendered_markdown_reads_like_the_source():
    assert plain_text(render_markdown("# 标题\n\n**粗体**和[链接](https://x.example)")) == (
        "标题\n粗体和链接"
    )


# --- size and depth -------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [render_markdown, sanitize_html, plain_text])
def test_a_megabyte_of_input_is_refused_at_once(func):
    text = ("<script>alert(1)</script>[a](javascript:x) **b** " * 30000)[:1_000_000]

    with pytest.raises(ValidationFailed) as caught:
        func(text, field="description")

    assert caught.value.code == "richtext_too_long"
    assert caught.value.field == "description"
    assert caught.value.status == 422


def test_markdown_crafted_to_be_slow_still_finishes_within_the_limit():
    worst = {
        "brackets": "[" * MAX_MARKDOWN_CHARS,
        "images": "![" * (MAX_MARKDOWN_CHARS // 2),
        "emphasis": "*a" * (MAX_MARKDOWN_CHARS // 2),
        "links": "[a](" * (MAX_MARKDOWN_CHARS // 4),
        "table": ("|a|b|\n|-|-|\n" + "|1|2|\n" * 10_000)[:MAX_MARKDOWN_CHARS],
    }
    for name, text in worst.items():
        assert_only_allowed_markup(render_markdown(text))


def test_html_at_the_size_limit_is_cleaned():
    text = ("&#x" * MAX_HTML_CHARS)[:MAX_HTML_CHARS]

    assert_only_allowed_markup(sanitize_html(text))
    assert "<" not in plain_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "<div>" * (MAX_HTML_DEPTH + 1),
        "<ul><li>" * (MAX_HTML_DEPTH + 1),
        "<b><i>" * 60,
        "<div></span>" * (MAX_HTML_DEPTH + 1),  # stray end tags do not hide depth
        "<div/>" * (MAX_HTML_DEPTH + 1),  # a slash does not close a div in HTML
    ],
)
def test_html_nested_too_deep_is_refused_before_parsing(text):
    with pytest.raises(ValidationFailed) as caught:
        sanitize_html(text)

    assert caught.value.code == "richtext_too_deep"


def test_deep_but_properly_closed_or_implicitly_closed_html_is_fine():
    siblings = "<div>x</div>" * 5000
    paragraphs = "<p>段落" * 5000

    assert sanitize_html(siblings) == "x" * 5000
    assert sanitize_html(paragraphs).count("<p>") == 5000
    assert sanitize_html("<div>" * MAX_HTML_DEPTH + "x") == "x"


def test_markdown_emphasis_nested_thousands_deep_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        render_markdown("*" * 10_000 + "a" + "*" * 10_000)

    assert caught.value.code == "richtext_too_deep"


def test_the_limits_can_be_changed_per_call():
    assert render_markdown("短", max_chars=1) == "<p>短</p>\n"
    with pytest.raises(ValidationFailed):
        render_markdown("长一点", max_chars=2)
    assert sanitize_html("a" * (MAX_HTML_CHARS + 1), max_chars=MAX_HTML_CHARS + 1)


@pytest.mark.parametrize("func", [render_markdown, sanitize_html, plain_text])
def test_non_text_input_is_a_programming_error(func):
    with pytest.raises(TypeError):
        func(None)
