#!/usr/bin/env python
"""Take the screenshots in docs/screenshots/ (used by the README): key pages at 1280 and 390 px.

Usage (from the repository root, in the virtualenv; ``make screenshots`` does this)::

    python scripts/screenshots.py              # every page, desktop and phone
    python scripts/screenshots.py home login   # only these pages

It migrates and seeds a throw-away SQLite database in a temporary directory, starts
``manage.py runserver --insecure`` on a free port with DEBUG off (so the 404 page is the site's
own), drives Debian's chromium with Playwright (the launch options of tests/e2e/pages.py: no
browser download), writes ``<page>-desktop.png`` and ``<page>-phone.png`` and stops the server.
Nothing touches the development database in var/.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.e2e.pages import DESKTOP, PHONE, launch_options  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "Yiwang-Demo-2025"  # yiwang.accounts.demo.DEMO_PASSWORD (no Django import here)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own local server)
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer on {url} within {timeout} s")


@contextmanager
def demo_server() -> Iterator[str]:
    """A migrated, seeded demo on a temporary SQLite database; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="yiwang-screenshots-") as var_dir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "YIWANG_VAR_DIR": var_dir,
            "DJANGO_DEBUG": "0",
            "YIWANG_DEMO": "1",
        }
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        # The commands below are fixed argument lists (this interpreter, manage.py): no shell.
        migrate = [*manage, "migrate", "--no-input", "-v0"]
        subprocess.run(migrate, env=env, cwd=ROOT, check=True)  # noqa: S603
        seed = [*manage, "seed_demo"]
        subprocess.run(seed, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base + "/", server)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("main").get_by_label("用户名").fill(username)
    page.locator("main").get_by_label("密码").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="登录").click()


def _as_persona(page: Page, base: str, name: str) -> None:
    page.goto(base + "/accounts/demo/personas/")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=f"以“{name}”身份登录").click()


@dataclass(frozen=True)
class Shot:
    """One page: how to get there (``prepare`` gets the page and the base URL) and what to keep."""

    name: str
    prepare: Callable[[Page, str], None]
    full_page: bool = True
    phone_only: bool = False


def _goto(path: str) -> Callable[[Page, str], None]:
    def prepare(page: Page, base: str) -> None:
        page.goto(base + path)

    return prepare


def _totp_page(page: Page, base: str) -> None:
    _sign_in(page, base, "clerk")  # a staff member lands on the second-factor page


def _citizen_profile(page: Page, base: str) -> None:
    _as_persona(page, base, "张伟")
    page.goto(base + "/accounts/me/")


def _menu_open(page: Page, base: str) -> None:
    page.goto(base + "/")
    page.locator("details.site-menu summary").click()


def _png() -> bytes:
    """A 1×1 white PNG: a material file the upload check accepts."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _click_through(page: Page, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def _item_page(page: Page, base: str) -> None:
    page.goto(base + "/services/?q=个体工商户登记")
    _click_through(
        page, page.locator("main").get_by_role("link", name="个体工商户登记", exact=True)
    )


def _apply_newborn(page: Page, base: str) -> None:
    _as_persona(page, base, "张伟")
    page.goto(base + "/cases/bundles/newborn/apply/")


def _case_page(page: Page, base: str) -> None:
    """张伟 applies online for 个体工商户登记, 孙建国 accepts it; 张伟 looks at its timeline."""
    _as_persona(page, base, "张伟")
    _item_page(page, base)
    main = page.locator("main")
    _click_through(page, main.get_by_role("link", name="在线办理"))
    main.get_by_role("textbox", name=re.compile(r"^经营场所\*?$")).fill("示范市东湖区湖滨路 18 号")
    main.get_by_label("经营范围").fill("日用百货零售")
    for group in main.locator("fieldset.panel").all():
        if group.get_by_role("radio", name="上传").is_checked():
            group.get_by_label("上传文件").set_input_files(
                {"name": "材料.png", "mimeType": "image/png", "buffer": _png()}
            )
    main.get_by_label(re.compile("本人承诺所填信息")).check()
    _click_through(page, main.get_by_role("button", name="提交申请"))
    case_url = page.url
    _as_persona(page, base, "孙建国")
    page.goto(case_url)
    _click_through(page, main.get_by_role("button", name="受理", exact=True))
    _as_persona(page, base, "张伟")
    page.goto(case_url)


def _open_marriage_licence(page: Page, base: str) -> str:
    """张伟's 结婚证 from 我的证照; returns its id."""
    _as_persona(page, base, "张伟")
    page.goto(base + "/licences/")
    row = page.locator("main tbody tr").filter(has_text="结婚证").first
    licence_id = row.locator(".muted").first.inner_text().strip()
    _click_through(page, row.get_by_role("link", name="结婚证"))
    return licence_id


def _wallet(page: Page, base: str) -> None:
    _as_persona(page, base, "张伟")
    page.goto(base + "/licences/")


def _licence(page: Page, base: str) -> None:
    """The licence page; also its PDF (page 1 as licence-pdf.png, the certificate itself)."""
    licence_id = _open_marriage_licence(page, base)
    pdf = page.request.get(f"{base}/licences/{licence_id}/pdf").body()
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=1.4).to_pil().save(OUT / "licence-pdf.png")
    document.close()


def _verify(page: Page, base: str) -> None:
    """What the QR code opens: the public verification of 张伟's 结婚证."""
    licence_id = _open_marriage_licence(page, base)
    page.goto(f"{base}/licences/verify/{licence_id}/")


def _worklist(page: Page, base: str) -> None:
    _as_persona(page, base, "孙建国")
    page.goto(base + "/cases/worklist/")


def _counter(page: Page, base: str) -> None:
    _as_persona(page, base, "周晓梅")
    page.goto(base + "/cases/counter/")
    main = page.locator("main")
    main.get_by_label("事项").select_option(label="个体工商户登记（市市场监管局）")
    _click_through(page, main.get_by_role("button", name="选择事项"))


def _hotline_desk(page: Page, base: str) -> None:
    """The agent's intake screen with the classifier's suggestions under the typed demand."""
    _as_persona(page, base, "林小雨")
    page.goto(base + "/hotline/desk/")
    main = page.locator("main")
    main.locator("input[name=caller_phone]").fill("13800000102")
    main.locator("textarea[name=content]").fill(
        "文昌路夜市烧烤摊每天晚上开到凌晨两点，油烟和噪音很大，孩子没法睡觉。"
    )
    main.locator("input[name=category_code]").first.wait_for(timeout=15_000)


def _hotline_queue(page: Page, base: str) -> None:
    _as_persona(page, base, "林小雨")
    page.goto(base + "/hotline/tickets/?tab=all")


def _hotline_department(page: Page, base: str) -> None:
    _as_persona(page, base, "杨帆")  # 东湖城管分局: the streetlight hot spot's tickets
    page.goto(base + "/hotline/department/")


def _hotline_progress(page: Page, base: str) -> None:
    _as_persona(page, base, "张伟")
    page.goto(base + "/hotline/my/")
    _click_through(page, page.locator("main a[href^='/hotline/my/1']").first)


def _hotline_rates(page: Page, base: str) -> None:
    _as_persona(page, base, "林小雨")
    page.goto(base + "/hotline/rates/")


def _ratings_reviews(page: Page, base: str) -> None:
    _as_persona(page, base, "蔡文博")  # 好差评督办员: every department's bad reviews
    page.goto(base + "/ratings/reviews/")


SHOTS: tuple[Shot, ...] = (
    Shot("home", _goto("/")),
    Shot("login", _goto("/accounts/login/")),
    Shot("personas", _goto("/accounts/demo/personas/")),
    Shot("totp", _totp_page),
    Shot("profile", _citizen_profile),
    Shot("design", _goto("/design/")),
    Shot("404", _goto("/no-such-page/")),
    Shot("menu", _menu_open, full_page=False, phone_only=True),
    Shot("catalogue", _goto("/services/")),
    Shot("item", _item_page),
    Shot("apply-newborn", _apply_newborn),
    Shot("case", _case_page),  # before the worklist: it makes the case the worklist shows
    Shot("worklist", _worklist),
    Shot("counter", _counter),
    Shot("wallet", _wallet),
    Shot("licence", _licence),
    Shot("verify", _verify),
    Shot("hotline-desk", _hotline_desk),
    Shot("hotline-queue", _hotline_queue),
    Shot("hotline-department", _hotline_department),
    Shot("hotline-progress", _hotline_progress),
    Shot("hotline-rates", _hotline_rates),
    Shot("ratings-public", _goto("/ratings/public/")),
    Shot("ratings-reviews", _ratings_reviews),
)


def take(browser: Browser, base: str, shot: Shot, device: str) -> Path:
    options: dict[str, Any] = {"viewport": DESKTOP}
    if device == "phone":
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", reduced_motion="reduce", **options
    )
    try:
        page = context.new_page()
        shot.prepare(page, base)
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.fonts.ready")
        path = OUT / f"{shot.name}-{device}.png"
        page.screenshot(path=str(path), full_page=shot.full_page)
        return path
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help=f"pages to take: {[s.name for s in SHOTS]}")
    args = parser.parse_args(argv)
    unknown = set(args.pages) - {s.name for s in SHOTS}
    if unknown:
        parser.error(f"unknown page(s): {sorted(unknown)}")
    shots = [s for s in SHOTS if not args.pages or s.name in args.pages]
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            for shot in shots:
                for device in ("phone",) if shot.phone_only else ("desktop", "phone"):
                    path = take(browser, base, shot, device)
                    print(f"wrote {path.relative_to(ROOT)}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
