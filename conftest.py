"""Fixtures for every test of the project (yiwang/ and tests/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.core import localcache


@pytest.fixture(autouse=True)
def _cold_config_caches() -> Iterator[None]:
    """Each test starts with empty per-process configuration caches: a database flushed or
    rolled back between tests sends no signals."""
    localcache.clear_all()
    yield
    localcache.clear_all()
