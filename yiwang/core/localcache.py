"""Per-process caches of small configuration tables read on hot paths.

A ``ConfigCache`` keeps what its loader returned for ``YIWANG_CONFIG_CACHE_SECONDS`` (default
30; 0 turns caching off, as the test settings do). A change saved through the ORM in this
process clears the caches that depend on the model at once (``depends_on``: post_save and
post_delete); other processes see it when their copy expires, so a change made elsewhere (another
worker, the admin on another server, ``QuerySet.update``) takes effect within that many seconds.
Only configuration belongs here — taxonomies, routing rules, calendars — never permissions, never
personal data: a revoked role must end at once.

Each database alias has its own copy, and a copy loaded inside a transaction that is rolled back
is dropped with it (``transaction.on_commit`` keeps nothing that was never committed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections, models
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

SETTING = "YIWANG_CONFIG_CACHE_SECONDS"
DEFAULT_SECONDS = 30.0

_registry: list[ConfigCache[Any]] = []


def cache_seconds() -> float:
    return float(getattr(settings, SETTING, DEFAULT_SECONDS))


class ConfigCache(Generic[T]):
    """``get(using)`` returns ``loader(using)``, reloaded at most every ``cache_seconds()``."""

    def __init__(
        self,
        name: str,
        loader: Callable[[str], T],
        *,
        depends_on: Iterable[type[models.Model]] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._loader = loader
        self._clock = clock
        self._lock = threading.Lock()
        self._copies: dict[str, tuple[float, int, T]] = {}  # alias → (loaded at, generation, value)
        self._generation = 0
        for model in depends_on:
            post_save.connect(self._changed, sender=model, weak=False)
            post_delete.connect(self._changed, sender=model, weak=False)
        _registry.append(self)

    def get(self, using: str = "default") -> T:
        seconds = cache_seconds()
        if seconds <= 0:
            return self._loader(using)
        now = self._clock()
        copy = self._copies.get(using)
        if copy is not None and now - copy[0] < seconds and copy[1] == self._generation:
            return copy[2]
        generation = self._generation
        value = self._loader(using)
        connection = connections[using]
        if connection.in_atomic_block:
            # Keep it only once what it was read from is committed (a rollback forgets it).
            connection.on_commit(lambda: self._keep(using, now, generation, value))
        else:
            self._keep(using, now, generation, value)
        return value

    def _keep(self, using: str, loaded_at: float, generation: int, value: T) -> None:
        with self._lock:
            if generation == self._generation:  # not changed while it was being read
                self._copies[using] = (loaded_at, generation, value)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._copies.clear()

    def _changed(self, **_kwargs: Any) -> None:
        self.clear()


def clear_all() -> None:
    """Forget every cached copy in this process."""
    for cache in _registry:
        cache.clear()
