"""The include-able components render accessible markup from plain context."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.paginator import Paginator
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.test import RequestFactory

from yiwang.ui.forms import SampleApplicationForm
from yiwang.ui.tests.helpers import inspect_page


def render(template: str, **context: object) -> str:
    return render_to_string(f"ui/components/{template}", context)


def invalid_form() -> SampleApplicationForm:
    form = SampleApplicationForm(data={"name": "", "phone": "123", "item_type": "permit"})
    form.is_valid()
    form.add_error(None, "同一事项已有在办申请，请勿重复提交。")
    return form


def test_a_form_lists_every_error_in_a_summary_that_links_to_the_field() -> None:
    html = render("form.html", form=invalid_form())
    assert 'class="alert alert--danger error-summary" role="alert"' in html
    assert "<li>同一事项已有在办申请，请勿重复提交。</li>" in html
    assert '<a href="#id_name">申请人姓名：这个字段是必填项。</a>' in html
    assert '<a href="#id_phone">手机号：请输入11位手机号。</a>' in html


def test_a_field_ties_its_label_help_and_error_to_the_input() -> None:
    html = render("form_field.html", field=invalid_form()["name"])
    assert '<label class="field__label" for="id_name">' in html
    assert 'id="id_name_helptext"' in html
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert "field--invalid" in html


def test_radio_buttons_are_grouped_in_a_fieldset_with_a_legend() -> None:
    html = render("form_field.html", field=invalid_form()["delivery"])
    assert '<fieldset class="field__fieldset"' in html
    assert '<legend class="field__label">结果领取方式' in html


def test_a_valid_form_has_no_error_summary_and_posts_with_a_csrf_token() -> None:
    request = RequestFactory().get("/")
    html = render_to_string(
        "ui/components/form.html", {"form": SampleApplicationForm()}, request=request
    )
    assert "error-summary" not in html
    assert 'method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_multipart_form_gets_the_right_encoding() -> None:
    class UploadForm(forms.Form):
        file = forms.FileField(label="材料")

    assert 'enctype="multipart/form-data"' in render("form.html", form=UploadForm())


def test_pagination_keeps_the_other_query_parameters() -> None:
    request = RequestFactory().get("/cases/", {"q": "许可", "page": "5"})
    page = Paginator(range(200), 10).get_page(5)
    html = render_to_string("ui/components/pagination.html", {"page_obj": page}, request=request)
    assert 'href="?q=%E8%AE%B8%E5%8F%AF&amp;page=4" rel="prev"' in html
    assert 'href="?q=%E8%AE%B8%E5%8F%AF&amp;page=6" rel="next"' in html
    assert 'aria-current="page"' in html
    assert "…" in html


def test_a_single_page_needs_no_pagination() -> None:
    page = Paginator(range(5), 10).get_page(1)
    html = render_to_string(
        "ui/components/pagination.html", {"page_obj": page}, request=RequestFactory().get("/")
    )
    assert html.strip() == ""


def test_a_table_labels_each_cell_for_the_stacked_phone_layout() -> None:
    html = render(
        "table.html",
        caption="我的办件",
        columns=["编号", "状态"],
        rows=[["A1", "审核中"]],
        table_id="cases",
        stack=True,
    )
    assert (
        '<div class="table-wrap" role="region" tabindex="0" aria-labelledby="cases-caption">'
        in html
    )
    assert '<th scope="col">编号</th>' in html
    assert '<td data-label="状态">审核中</td>' in html


def test_an_empty_table_says_so() -> None:
    html = render("table.html", caption="我的办件", columns=["编号", "状态"], rows=[])
    assert '<td class="table__empty" colspan="2">暂无数据</td>' in html


def test_a_timeline_shows_events_in_order_with_machine_readable_times() -> None:
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    html = render(
        "timeline.html",
        events=[
            {"at": at, "title": "提交申请", "actor": "申请人"},
            {"at": at + dt.timedelta(hours=1), "title": "受理", "tone": "success"},
        ],
    )
    assert html.index("提交申请") < html.index("受理")
    assert '<time datetime="2026-03-02T17:30:00+08:00">2026-03-02 17:30</time>' in html
    assert "timeline__item--success" in html


def test_an_empty_timeline_shows_an_empty_state() -> None:
    assert "暂无记录" in render("timeline.html", events=[])


@pytest.mark.parametrize(
    ("state", "tone", "word"),
    [("normal", "success", "正常"), ("yellow", "warning", "预警"), ("red", "danger", "超期")],
)
def test_a_deadline_warning_is_told_by_word_as_well_as_colour(state, tone, word) -> None:
    html = render("deadline.html", state=state, label="剩余 3 个工作日")
    assert f"badge--{tone}" in html
    assert f"{word} · 剩余 3 个工作日" in html


def test_breadcrumbs_mark_only_the_last_crumb_as_current() -> None:
    html = render(
        "breadcrumbs.html", breadcrumbs=[("办事服务", "/catalog/"), ("食品经营许可", None)]
    )
    page = inspect_page(html)
    assert '<a href="/catalog/">办事服务</a>' in html
    assert html.count('aria-current="page"') == 1
    assert '<span aria-current="page">食品经营许可</span>' in html
    assert page.style_attributes == []


def test_a_page_header_renders_its_actions_as_buttons() -> None:
    html = render(
        "page_header.html",
        title="我的办件",
        lead="查看办理进度",
        actions=[{"label": "新建", "href": "/new/", "variant": "primary"}],
    )
    assert '<h1 class="page-header__title">我的办件</h1>' in html
    assert '<a class="btn btn--primary" href="/new/">' in html


def test_a_link_card_makes_its_title_the_link() -> None:
    html = render("card.html", title="电子证照", text="亮证", href="/licences/", icon="idcard")
    assert '<a class="card__link" href="/licences/">电子证照</a>' in html
    assert 'aria-hidden="true"' in html


def test_an_alert_for_danger_is_announced_at_once() -> None:
    assert 'role="alert"' in render("alert.html", tone="danger", message="出错")
    assert 'role="status"' in render("alert.html", tone="success", message="成功")


def test_an_unknown_icon_is_a_template_error() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template('{% load ui %}{% icon "no-such-icon" %}').render(Context())


def test_a_labelled_icon_is_announced_and_a_plain_one_is_hidden() -> None:
    labelled = Template('{% load ui %}{% icon "phone" label="电话" %}').render(Context())
    plain = Template('{% load ui %}{% icon "phone" %}').render(Context())
    assert 'role="img" aria-label="电话"' in labelled
    assert 'aria-hidden="true"' in plain


@pytest.mark.parametrize(
    ("code", "tag"),
    [("zh-hans", "zh-Hans"), ("zh-hant", "zh-Hant"), ("en", "en"), ("", "zh-Hans")],
)
def test_the_html_lang_filter_spells_bcp47(code, tag) -> None:
    assert Template("{% load ui %}{{ code|html_lang }}").render(Context({"code": code})) == tag
