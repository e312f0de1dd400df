from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login-failure counters for unknown usernames live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()
