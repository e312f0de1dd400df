"""Every page obeys the CSP (no inline script or style), carries the security headers and renders
errors with the design system."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from config.errors import server_error
from config.urls import urlpatterns as site_urlpatterns
from yiwang.core.errors import Conflict
from yiwang.ui.tests.helpers import inspect_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_messages")]


def refuse(request: HttpRequest) -> HttpResponse:
    raise Conflict("case_already_accepted", "办件已受理，不能重复受理。")


urlpatterns = [path("refuse/", refuse), *site_urlpatterns]
WITH_REFUSING_VIEW = override_settings(ROOT_URLCONF=__name__)

PAGES = ["/", "/design/", "/no-such-page/", "/accounts/login/"]


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
@pytest.mark.parametrize("url", PAGES)
def test_no_page_has_inline_script_or_style(client, url, language) -> None:
    client.cookies["django_language"] = language
    page = inspect_page(client.get(url).content.decode())
    assert page.style_attributes == []
    assert page.style_elements == 0
    assert page.inline_scripts == 0
    assert page.event_handlers == []
    assert page.script_sources == ["/static/vendor/htmx/htmx.min.js"]


@pytest.mark.parametrize("url", PAGES)
def test_ids_are_unique_and_every_label_points_at_an_element(client, url) -> None:
    page = inspect_page(client.get(url).content.decode())
    assert len(page.ids) == len(set(page.ids)), sorted(i for i in page.ids if page.ids.count(i) > 1)
    assert set(page.label_targets) <= set(page.ids)


def test_the_inspector_notices_what_the_csp_forbids() -> None:
    page = inspect_page(
        '<div style="color:red" onclick="x()"></div><style>p{}</style><script>alert(1)</script>'
    )
    assert page.style_attributes and page.event_handlers
    assert page.style_elements == 1
    assert page.inline_scripts == 1


def test_htmx_is_loaded_deferred_and_told_not_to_inject_styles(client) -> None:
    html = client.get("/").content.decode()
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html
    assert '"includeIndicatorStyles": false' in html


def test_pages_carry_the_content_security_policy(client) -> None:
    for url in ("/", "/no-such-page/"):
        csp = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp


def test_the_static_files_the_layout_needs_exist() -> None:
    for name in (
        "ui/tokens.css",
        "ui/base.css",
        "ui/components.css",
        "ui/favicon.svg",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
    ):
        assert finders.find(name), name


def test_the_stylesheets_are_served(client) -> None:
    response = client.get("/static/ui/components.css")
    assert response.status_code == 200
    assert b".btn--primary" in b"".join(response.streaming_content)


def test_an_unknown_page_answers_404_in_the_design_system(client) -> None:
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面未找到" in html
    assert '<a class="skip-link" href="#main">' in html
    assert "/static/ui/components.css" in html
    assert 'class="site-footer"' in html


def test_the_404_page_is_translated(client) -> None:
    client.cookies["django_language"] = "en"
    assert "Page not found" in client.get("/no-such-page/").content.decode()


@WITH_REFUSING_VIEW
def test_a_domain_error_is_rendered_on_the_error_page_with_its_code(client) -> None:
    response = client.get("/refuse/")
    html = response.content.decode()
    assert response.status_code == 409
    assert html.count("办件已受理，不能重复受理。") == 1
    assert "<code>case_already_accepted</code>" in html
    assert 'role="alert"' in html
    # The message was shown here: it does not come back on the next page.
    assert "办件已受理" not in client.get("/").content.decode()


def test_the_server_error_page_needs_no_navigation_or_session() -> None:
    request = RequestFactory().get("/boom/")
    response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务暂时不可用" in html
    assert "site-nav" not in html
    assert inspect_page(html).inline_scripts == 0


def test_a_failed_csrf_check_gets_the_design_system_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已失效" in html
    assert inspect_page(html).style_elements == 0


@pytest.mark.parametrize(("status", "title"), [(400, "请求有误"), (403, "没有访问权限")])
def test_the_other_error_pages_render(rf: RequestFactory, status, title) -> None:
    from config import errors

    handler = {400: errors.bad_request, 403: errors.permission_denied}[status]
    request = rf.get("/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = handler(request)
    assert response.status_code == status
    assert title in response.content.decode()


@override_settings(YIWANG_DEMO=False, DEBUG=False)
def test_the_design_system_page_exists_only_in_demo_mode(client) -> None:
    assert client.get("/design/").status_code == 404
