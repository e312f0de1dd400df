"""What a browser journey does on every page: visit, check, read. Shared by tests/e2e and
scripts/screenshots.py (the browser's launch options live here, in one place).

``Visitor`` wraps one Playwright page and keeps a list of problems the browser reported since the
last check: console errors (a Content-Security-Policy violation is one), uncaught exceptions and
sub-resources answered with a status >= 400. ``visit(path)``, ``click_through(link_or_button)``
and ``press_enter()`` navigate, assert the final status, then ``check_page()``:

- no problems were reported;
- every stylesheet loaded, and with JavaScript on, htmx loaded (so static files are served);
- axe-core finds no serious or critical violation of WCAG 2.0 A/AA and 2.1 AA (run once per
  distinct markup and width in a process: a page seen again with the same HTML is not re-run).

axe-core comes from the npm registry (package-lock.json, ``node_modules/axe-core``). The pages send
``Content-Security-Policy: script-src 'self'``, which blocks an inline ``<script>`` (so
``page.add_script_tag(content=...)`` fails) and ``eval``. We hand the file's text to
``page.evaluate``: Playwright runs it through the DevTools protocol, which CSP does not govern, so
the page keeps its real policy and any violation of it still shows up as a console error. (The
alternative, a context with ``bypass_csp=True``, would hide exactly those violations.)
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Response

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A Chinese citizen's browser: the site picks 简体中文 from Accept-Language.
CONTEXT_OPTIONS: dict[str, Any] = {
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "viewport": DESKTOP,
}


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``: Debian's chromium, headless."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium fonts-noto-cjk)"
        )
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@functools.cache
def axe_source() -> str:
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: run `npm ci` (make install)")
    return AXE_PATH.read_text(encoding="utf-8")


_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe violation on the page (all impacts), as dicts: id, impact, help, targets."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe: {len(violations)} serious/critical violation(s) on {url}"]
    for v in violations:
        lines.append(f"  - {v['id']} [{v['impact']}] {v['help']}")
        lines.extend(f"      at {target}" for target in v["targets"][:5])
        if len(v["targets"]) > 5:
            lines.append(f"      … and {len(v['targets']) - 5} more")
    return "\n".join(lines)


# Markups (hash) that already passed axe in this process; CSRF tokens differ on every page view.
_AXE_PASSED: set[str] = set()
_CSRF = re.compile(r"\b[A-Za-z0-9]{64}\b")  # Django's masked CSRF token

_FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  // The same element unfocused: a clone next to it (removed at once) gives the resting style.
  const clone = el.cloneNode(false);
  clone.removeAttribute("id");
  clone.removeAttribute("autofocus");
  el.after(clone);
  const resting = getComputedStyle(clone);
  const result = {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute("name") || "",
    text: (el.innerText || el.value || "").trim().slice(0, 40),
    focusVisible: el.matches(":focus-visible"),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    boxShadow: style.boxShadow,
    restingBoxShadow: resting.boxShadow,
  };
  clone.remove();
  return result;
}"""


@dataclass
class Visitor:
    """One person at one browser tab. ``base_url``: the server; paths are relative to it."""

    page: Page
    base_url: str
    javascript: bool = True
    problems: list[str] = field(default_factory=list)
    _documents_allowed_to_fail: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)

    # --- what the browser reports -----------------------------------------------------------

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and (
            where in self._documents_allowed_to_fail
        ):
            return  # the page itself answered 404 on purpose (visit(..., status=404))
        self.problems.append(f"console error at {where or '?'}: {message.text}")

    def _on_response(self, response: Response) -> None:
        request = response.request
        if response.status >= 400 and request.resource_type != "document":
            self.problems.append(f"{response.status} for {request.resource_type} {response.url}")

    def _on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED: the browser cancelled the request because we navigated away (a favicon
        # still loading); an error status is reported by _on_response instead.
        if request.resource_type != "document" and "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"failed {request.resource_type} {request.url}: {request.failure}")

    # --- moving around ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def visit(self, path: str, *, status: int = 200, audit: bool = True) -> Response:
        """Open ``path``, expect ``status`` (after redirects), then check the page."""
        url = self.url(path)
        if status >= 400:
            self._documents_allowed_to_fail.add(url)
        response = self.page.goto(url)
        assert response is not None, f"no response for {url}"
        assert response.status == status, f"{url}: status {response.status}, expected {status}"
        if audit:
            self.check_page()
        return response

    def click_through(self, target: Locator, *, status: int = 200, audit: bool = True) -> Response:
        """Click a link or a submit button and wait for the next page (keyboard: ``press_enter``)."""
        with self.page.expect_navigation() as navigation:
            target.click()
        return self._arrived(navigation.value, status=status, audit=audit)

    def press_enter(self, *, status: int = 200, audit: bool = True) -> Response:
        """Press Enter on the focused element and wait for the next page (a form submits)."""
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press("Enter")
        return self._arrived(navigation.value, status=status, audit=audit)

    def _arrived(self, response: Response | None, *, status: int, audit: bool) -> Response:
        assert response is not None, f"no response after submitting on {self.page.url}"
        assert response.status == status, (
            f"{response.url}: status {response.status}, expected {status}"
        )
        if audit:
            self.check_page()
        return response

    # --- the forms every journey uses ------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> None:
        """Fill the login form as a person would and press its button."""
        self.visit("/accounts/login/")
        self.main.get_by_label("用户名").fill(username)
        self.main.get_by_label("密码").fill(password)
        self.click_through(self.main.get_by_role("button", name="登录"))

    def enter_code(self, code: str) -> None:
        """On the second-factor page: type the authenticator's code and press 验证."""
        assert self.heading() == "动态口令验证", f"not on the code page: {self.page.url}"
        self.main.get_by_label("动态口令").fill(code)
        self.click_through(self.main.get_by_role("button", name="验证"))

    def sign_out(self) -> None:
        self.click_through(self.page.locator(".site-header__account--wide").get_by_role("button"))

    # --- checks ---------------------------------------------------------------------------------

    def check_page(self) -> None:
        """No reported problems, static files loaded, no serious/critical axe violation."""
        self.page.wait_for_load_state("load")
        self.assert_no_problems()
        if not self.javascript:
            return  # axe and the checks below need scripts; the JS journeys cover these pages
        assets = self.page.evaluate(
            """() => ({
              sheets: [...document.querySelectorAll('link[rel=stylesheet]')].map(
                (l) => ({href: l.href, rules: l.sheet ? l.sheet.cssRules.length : 0})),
              htmx: typeof window.htmx === 'object' && typeof window.htmx.ajax === 'function',
            })"""
        )
        empty = [s["href"] for s in assets["sheets"] if not s["rules"]]
        assert assets["sheets"] and not empty, f"stylesheets not loaded on {self.page.url}: {empty}"
        assert assets["htmx"], f"htmx did not load on {self.page.url}"
        key = self._markup_key()
        if key not in _AXE_PASSED:
            blocking = [v for v in axe_violations(self.page) if v["impact"] in BLOCKING_IMPACTS]
            assert not blocking, format_violations(self.page.url, blocking)
            _AXE_PASSED.add(key)
        self.assert_no_problems()

    def _markup_key(self) -> str:
        """Same markup (CSRF tokens aside) at the same width ⇒ same axe result: run it once."""
        html = _CSRF.sub("", self.page.content())
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        return hashlib.sha256(f"{width}\n{html}".encode()).hexdigest()

    def assert_no_problems(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, f"the browser reported problems on {self.page.url}:\n" + "\n".join(
            problems
        )

    def focused(self) -> dict[str, Any]:
        """The focused element: tag, id, name, text and its focus styles (``has_focus_ring``)."""
        focused = self.page.evaluate(_FOCUS_STYLE)
        assert focused is not None, f"nothing has the focus on {self.page.url}"
        return focused

    def tab(self, *, backwards: bool = False) -> dict[str, Any]:
        """Press Tab (or Shift+Tab) and return the element that has the focus then."""
        self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
        return self.focused()

    # --- reading the page ---------------------------------------------------------------------

    @property
    def main(self) -> Locator:
        return self.page.locator("main")

    def heading(self) -> str:
        return self.main.get_by_role("heading", level=1).inner_text().strip()

    def nav_links(self) -> list[str]:
        """The labels of the main navigation that is on screen (wide bar or the open menu)."""
        navigation = self.page.locator("nav.site-nav:visible")
        return [t.strip() for t in navigation.first.get_by_role("link").all_inner_texts()]

    def signed_in_name(self) -> str | None:
        """The account name in the header, or None for a visitor."""
        account = self.page.locator(".site-header__account--wide .account__name")
        return account.inner_text().strip() if account.count() else None

    def alerts(self) -> list[str]:
        return [t.strip() for t in self.main.locator(".alert").all_inner_texts()]

    def html_lang(self) -> str:
        return self.page.locator("html").get_attribute("lang") or ""

    # --- services and cases (一网通办) ------------------------------------------------------------

    def sign_in_with_code(self, username: str, password: str, code: Any) -> None:
        """A staff member signs in: password, then the code ``code()`` of his authenticator
        (a callable, asked only when the code page is shown so the code is fresh)."""
        self.sign_in(username, password)
        self.enter_code(code())

    def search_catalogue(self, query: str) -> None:
        """On 办事服务: type ``query`` into the search box and press 搜索."""
        self.visit("/services/")
        self.main.get_by_label("搜索事项").fill(query)
        self.click_through(self.main.get_by_role("button", name="搜索"))

    def catalogue_results(self) -> list[str]:
        """The item names in the search results, in order."""
        titles = self.main.locator(".catalog-results .card__title")
        return [t.strip() for t in titles.all_inner_texts()]

    def summary_rows(self) -> dict[str, str]:
        """The first summary list of the page (``<dt>`` → ``<dd>``)."""
        rows = self.main.locator("dl.summary-list").first.locator(".summary-list__row")
        return {
            row.locator("dt").inner_text().strip(): row.locator("dd").inner_text().strip()
            for row in rows.all()
        }

    def details(self) -> dict[str, str]:
        """The case page's facts (``dl.details``: 事项, 状态, 承诺办结时间 …)."""
        terms = self.main.locator("dl.details > dt").all_inner_texts()
        values = self.main.locator("dl.details > dd").all_inner_texts()
        return {t.strip(): v.strip() for t, v in zip(terms, values, strict=False)}

    def case_status(self) -> str:
        return self.main.locator("#case-status").inner_text().strip()

    def messages(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".messages").all_inner_texts()]


def has_focus_ring(focused: dict[str, Any]) -> bool:
    """A visible focus indicator: :focus-visible matches and the element draws an outline at
    least 2 px wide (the browser's default 1 px ring does not count) or a shadow it does not
    have at rest."""
    outline = focused["outlineStyle"] not in ("none", "") and focused["outlineWidth"] >= 2
    shadow = focused["boxShadow"] not in ("", "none", focused["restingBoxShadow"])
    return bool(focused["focusVisible"] and (outline or shadow))
