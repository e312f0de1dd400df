"""Time limits read naturally in each language."""

from __future__ import annotations

import pytest
from django.utils import translation

from yiwang.catalog.templatetags.catalog import time_limit
from yiwang.ui.tests.conftest import compiled_messages  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("compiled_messages")


def test_limits_read_in_chinese_by_unit() -> None:
    with translation.override("zh-hans"):
        assert time_limit(20, "working_days") == "20 个工作日"
        assert time_limit(30, "calendar_days") == "30 个自然日"
        assert time_limit(2, "hours") == "2 小时"


def test_limits_take_the_english_plural() -> None:
    with translation.override("en"):
        assert time_limit(1, "working_days") == "1 working day"
        assert time_limit(5, "working_days") == "5 working days"
        assert time_limit(24, "hours") == "24 hours"
