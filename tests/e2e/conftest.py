"""Fixtures for the browser journeys: Debian's chromium driven by Playwright against a live server.

How the database is arranged (once per xdist worker, for this package):

- every test here is marked ``django_db`` (and ``e2e``) by ``pytest_collection_modifyitems``, so
  pytest-django creates the test database and runs each test in a transaction rolled back at
  its end, as ``django.test.TestCase`` does;
- ``demo_site`` seeds the demo city 示范市 with ``seed_demo`` and commits it, then starts a live
  server (tests/e2e/server.py) that answers on the test's own connection: the server sees the
  test's uncommitted rows and whatever a journey writes (logins, failed attempts, used TOTP
  codes, the ledger) disappears with the test's rollback. No flush and no re-seed per test
  (~2 s each with pytest-django's ``live_server`` + ``transactional_db``). When the package is
  done the database is flushed, as after a transactional test, so later tests start empty.
  Do not request ``transactional_db`` or ``live_server`` in these tests.
- the server serves /static/ from the finders (``StaticFilesHandler``): CSS and htmx
  (node_modules) load without ``collectstatic``.

Playwright's sync API runs an asyncio event loop in this thread (inside a greenlet) that stays
"running" between calls. Two consequences for Django, both handled in ``chromium``:

- DJANGO_ALLOW_ASYNC_UNSAFE: Django refuses ORM calls from a thread with a running loop
  (SynchronousOnlyOperation), which would break the test's own database work (reading a TOTP
  secret, the per-test transaction, the flush). No async code shares a connection across
  coroutines here, so the guard is a false alarm. We lift it only while the browser runs (set
  when ``chromium`` starts, restored when it stops): other tests of the worker keep the check.
- ``django.db.connections`` is thread-local, but with a running loop it switches to
  context-local storage, where a fresh connection would be opened: one that does not share the
  test's transaction (and, before the test database exists, one to the development database).
  ``chromium`` therefore installs the test database's connection in that storage too, after
  checking that it *is* the test database.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.pages import CONTEXT_OPTIONS, PHONE, Visitor, launch_options
from tests.e2e.server import SharedConnectionLiveServer
from yiwang.accounts import services
from yiwang.accounts.models import User
from yiwang.accounts.services.authentication import TOTP_STEP_SECONDS
from yiwang.ui.tests.conftest import compiled_messages  # noqa: F401  (fixture)

HERE = Path(__file__).resolve().parent
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in tests/e2e is an ``e2e`` test (``pytest -m "not e2e"`` leaves them out) and
    uses the test database (``django_db``)."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db)


def _test_database_connection() -> BaseDatabaseWrapper:
    """The connection to the test database; refuse to go on with any other database."""
    connection = connections[DEFAULT_DB_ALIAS]
    name = str(connection.settings_dict["NAME"])
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    if test_name:  # set explicitly, or by pytest-django for an xdist worker (…_gw0)
        is_test = name == test_name
    elif connection.vendor == "sqlite":
        is_test = bool(connection.is_in_memory_db())  # type: ignore[attr-defined]
    else:
        is_test = name.startswith("test_")
    if not is_test:
        raise RuntimeError(
            f"e2e: the connection goes to {name!r}, not to a test database; "
            "refusing to seed or flush it"
        )
    return connection


@pytest.fixture(scope="package")
def chromium(django_db_setup: None) -> Iterator[Browser]:
    """Debian's chromium, headless, for every test of the package (in this worker)."""
    connection = _test_database_connection()
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    playwright = sync_playwright().start()
    connections[DEFAULT_DB_ALIAS] = connection  # the context-local storage, see the docstring
    try:
        browser = playwright.chromium.launch(**launch_options())
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def demo_site(
    chromium: Browser,
    django_db_blocker: Any,
    compiled_messages: None,  # noqa: F811
) -> Iterator[SharedConnectionLiveServer]:
    """The demo city, committed once, served by a live server on the test connection."""
    with django_db_blocker.unblock():
        connection = _test_database_connection()
        call_command("seed_demo", stdout=io.StringIO())
        server = SharedConnectionLiveServer(connection)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            # Like the end of a transactional test: empty every table, re-run post_migrate.
            _test_database_connection()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache(demo_site: SharedConnectionLiveServer) -> Iterator[None]:
    """Login-failure counters of unknown usernames live in the cache: empty for every test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_visitor(
    chromium: Browser, demo_site: SharedConnectionLiveServer
) -> Iterator[Callable[..., Visitor]]:
    """Open a new browser context (own cookies) on the demo site; closed after the test."""
    contexts = []

    def _open(*, javascript: bool = True, **options: Any) -> Visitor:
        context = chromium.new_context(
            **{**CONTEXT_OPTIONS, **options}, java_script_enabled=javascript
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Visitor(context.new_page(), demo_site.url, javascript=javascript)

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def visitor(open_visitor: Callable[..., Visitor]) -> Visitor:
    """A person at a desktop browser (1280 px) set to Simplified Chinese."""
    return open_visitor()


@pytest.fixture
def phone_visitor(open_visitor: Callable[..., Visitor]) -> Visitor:
    """A person on a phone (390 px wide, touch)."""
    return open_visitor(viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def visitor_without_javascript(open_visitor: Callable[..., Visitor]) -> Visitor:
    return open_visitor(javascript=False)


class Authenticator:
    """The staff member's authenticator app, holding the secret ``seed_demo`` enrolled (and
    printed). A code's time step is accepted once and the seed confirmed the enrolment with the
    step of its time: within that same 30 s we show the next step's code (accepted for clock
    drift), as a person would wait for the next code."""

    def code_for(self, username: str) -> str:
        user = User.objects.get(username=username)
        secret = services.totp_secret(user)
        assert secret, f"{username} has no TOTP secret"
        step = int(time.time()) // TOTP_STEP_SECONDS
        if user.totp_last_counter is not None and user.totp_last_counter >= step:
            step = user.totp_last_counter + 1
        return pyotp.TOTP(secret).generate_otp(step)


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator()
