"""Fixtures for the UI tests: compiled translations and personas."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import login_as, make_citizen
from yiwang.ui.tests.helpers import make_staff_with

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"


def _stale_catalogues() -> list[Path]:
    stale = []
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@pytest.fixture(scope="session")
def compiled_messages() -> Iterator[None]:
    """The .mo files (not committed) exist and are newer than their .po files.

    Parallel workers take a file lock so that only one of them runs msgfmt at a time.
    """
    lock_path = Path(tempfile.gettempdir()) / "yiwang-compilemessages.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _stale_catalogues():
                call_command(
                    "compilemessages",
                    locale=["zh_Hans", "zh_Hant", "en"],
                    ignore_patterns=["node_modules", "staticfiles", "var"],
                    verbosity=0,
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    # Catalogues loaded before compiling are cached per process: drop them.
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def citizen(db) -> User:
    return make_citizen()


@pytest.fixture
def clerk(db) -> User:
    return make_staff_with("counter_clerk", capabilities=("cases.intake",))


@pytest.fixture
def audit_admin(db) -> User:
    return make_staff_with("audit_admin", admin_duty=Role.AdminDuty.AUDIT)


@pytest.fixture
def system_admin(db) -> User:
    return make_staff_with("system_admin", admin_duty=Role.AdminDuty.SYSTEM)


@pytest.fixture
def client_as():
    def _client_as(user: User) -> Client:
        return login_as(Client(), user)

    return _client_as
