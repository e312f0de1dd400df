"""Security headers and the content security policy on every page: each GET route the URLconf
serves (HTML and API, found by the authorisation matrix's discovery, fetched as the persona its
matrix entry names, with real objects in its URL) and the error pages."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client

from tests.security.authz import (
    CITIZEN_A,
    SYSTEM_ADMIN,
    Endpoint,
    World,
    body,
    describe,
    discover,
    entry_for,
)
from yiwang.accounts.tests.factories import login_as
from yiwang.ui.tests.helpers import PageInspector

# <script type> values a browser executes (HTML "JavaScript MIME type essence match", and
# module); any other type is a data block (e.g. application/json) that the CSP does not govern.
EXECUTABLE_SCRIPT_TYPES = {
    "",
    "module",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "text/ecmascript",
}

SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    return directives


def header_problems(response: HttpResponse) -> list[str]:
    """What is missing or weak in the response's security headers (empty when all is well)."""
    problems: list[str] = []
    policy = response.get("Content-Security-Policy", "")
    directives = csp_directives(policy)
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
            if unsafe in policy.lower():
                problems.append(f"the CSP allows {unsafe}")
        scripts = directives.get("script-src", directives.get("default-src"))
        if scripts is None:
            problems.append("the CSP has neither script-src nor default-src")
        elif {"*", "http:", "https:", "data:", "blob:"} & set(scripts):
            problems.append(f"the CSP lets scripts come from anywhere: {scripts}")
        if directives.get("object-src") != ["'none'"]:
            problems.append("the CSP does not set object-src 'none'")
    if response.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    framing_denied = response.get("X-Frame-Options", "").upper() == "DENY" or directives.get(
        "frame-ancestors"
    ) == ["'none'"]
    if not framing_denied:
        problems.append("framing is allowed (no X-Frame-Options DENY, no frame-ancestors 'none')")
    if response.get("Referrer-Policy", "").lower() not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.get('Referrer-Policy')!r}")
    if not response.get("Cross-Origin-Opener-Policy"):
        problems.append("no Cross-Origin-Opener-Policy")
    return problems


class CspInspector(PageInspector):
    """The ui tests' inspector, except that JSON data blocks do not count as inline scripts."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        attributes = dict(attrs)
        script_type = (attributes.get("type") or "").strip().lower()
        is_data_block = script_type not in EXECUTABLE_SCRIPT_TYPES
        if tag == "script" and not attributes.get("src") and is_data_block:
            self.inline_scripts -= 1


def html_problems(response: HttpResponse) -> list[str]:
    """What the CSP would block in an HTML page: inline scripts, inline styles, handlers."""
    if "text/html" not in response.get("Content-Type", ""):
        return []
    page = CspInspector()
    page.feed(body(response))
    page.close()
    problems = []
    if page.inline_scripts:
        problems.append(f"{page.inline_scripts} inline <script> without src")
    if page.style_elements:
        problems.append(f"{page.style_elements} <style> element(s)")
    if page.style_attributes:
        problems.append(f"style= attributes: {page.style_attributes[:5]}")
    if page.event_handlers:
        problems.append(f"inline event handlers: {page.event_handlers[:5]}")
    return problems


def assert_secure(response: HttpResponse, what: str) -> None:
    problems = header_problems(response)
    assert not problems, f"{what}: " + "; ".join(problems)


GET_ENDPOINTS = [e for e in discover() if "GET" in e.methods]


@pytest.fixture
def world(db) -> World:
    cache.clear()
    return World()


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS, ids=str)
def test_every_page_carries_the_security_headers_and_obeys_the_csp(
    endpoint: Endpoint, world: World
) -> None:
    entry = entry_for(endpoint)
    assert entry is not None, f"{endpoint.key} is not in the authorisation matrix"
    page = entry.page(world, endpoint)
    assert page is not None, (
        f"{endpoint.key} answers GET but its matrix entry {entry} names no page to fetch"
    )
    response = world.client(page.persona, page.transport).get(page.url)

    assert response.status_code in page.statuses, (
        f"{page.url} as {page.persona}: expected {page.statuses}, got {describe(response)}"
    )
    assert_secure(response, f"{page.url} as {page.persona}")
    if response.status_code == 200:
        problems = html_problems(response)
        assert not problems, f"{page.url} as {page.persona}: " + "; ".join(problems)


def test_every_html_and_api_route_answering_get_is_fetched() -> None:
    kinds = {e.is_api for e in GET_ENDPOINTS}
    assert kinds == {True, False}, "discovery found no API or no HTML GET routes"


# --- error pages ---------------------------------------------------------------------------------


def test_a_missing_page_carries_the_headers(client: Client, db) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_secure(response, "404 page")
    assert not html_problems(response)


def test_a_missing_api_resource_carries_the_headers(client: Client, db) -> None:
    response = client.get("/api/v1/no-such-resource")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert_secure(response, "API 404")


def test_a_forbidden_page_carries_the_headers(world: World) -> None:
    client = world.client(SYSTEM_ADMIN)  # the system administrator may not read the ledger
    response = client.get("/admin/core/ledgerentry/")
    assert response.status_code == 403
    assert_secure(response, "403 page")
    assert not html_problems(response)


def test_a_forbidden_api_call_carries_the_headers(world: World) -> None:
    client = world.client(CITIZEN_A)  # a citizen may not register walk-in applicants
    response = client.post(
        "/api/v1/accounts/persons",
        data={"name": "李四", "id_number": "11010519491231002X"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert_secure(response, "API 403")


def test_an_unauthenticated_api_call_carries_the_headers(client: Client, db) -> None:
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert_secure(response, "API 401")


def test_a_csrf_failure_carries_the_headers(db) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_secure(response, "CSRF failure")
    assert not html_problems(response)


def test_a_csrf_failure_on_the_api_carries_the_headers(world: World) -> None:
    client = login_as(Client(enforce_csrf_checks=True), world.must(CITIZEN_A))
    response = client.post(
        "/api/v1/accounts/tokens",
        data={"name": "x", "expires_in_days": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert_secure(response, "API CSRF failure")


def test_a_wrong_method_carries_the_headers(client: Client, db) -> None:
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert_secure(response, "405")


# --- the checks themselves -----------------------------------------------------------------------


def test_the_header_check_notices_weak_or_missing_headers() -> None:
    assert set(header_problems(HttpResponse())) == {
        "no Content-Security-Policy",
        "X-Content-Type-Options is not nosniff",
        "framing is allowed (no X-Frame-Options DENY, no frame-ancestors 'none')",
        "Referrer-Policy is None",
        "no Cross-Origin-Opener-Policy",
    }
    weak = HttpResponse()
    weak["Content-Security-Policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline' *"
    weak["X-Content-Type-Options"] = "nosniff"
    weak["X-Frame-Options"] = "SAMEORIGIN"
    weak["Referrer-Policy"] = "unsafe-url"
    weak["Cross-Origin-Opener-Policy"] = "same-origin"
    problems = header_problems(weak)
    assert "the CSP allows 'unsafe-inline'" in problems
    assert any("from anywhere" in p for p in problems)
    assert "the CSP does not set object-src 'none'" in problems
    assert any("framing" in p for p in problems)
    assert "Referrer-Policy is 'unsafe-url'" in problems


def test_frame_ancestors_none_counts_as_framing_denied() -> None:
    response = HttpResponse()
    response["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    assert not any("framing" in p for p in header_problems(response))


def test_the_html_check_notices_what_the_csp_blocks() -> None:
    page = HttpResponse(
        '<p style="color:red" onclick="go()">x</p><script>alert(1)</script>'
        '<script type="module">go()</script><script src="/static/app.js"></script>'
        '<script type="application/json" id="settings">{"a": 1}</script><style>p{}</style>',
        content_type="text/html",
    )
    assert html_problems(page) == [
        "2 inline <script> without src",
        "1 <style> element(s)",
        "style= attributes: [\"<p style='color:red'>\"]",
        "inline event handlers: ['<p onclick>']",
    ]
