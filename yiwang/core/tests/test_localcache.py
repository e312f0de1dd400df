"""Per-process configuration caches: expiry, signals, transactions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from yiwang.core import localcache
from yiwang.core.localcache import ConfigCache
from yiwang.core.models.calendar import CalendarYear

pytestmark = pytest.mark.django_db

BASE = [0]  # the years the migrations seeded: the loaders count the ones a test adds


@pytest.fixture(autouse=True)
def _seeded_years() -> None:
    BASE[0] = CalendarYear.objects.count()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_cache(clock: Clock) -> tuple[ConfigCache[int], list[str]]:
    calls: list[str] = []

    def load(using: str) -> int:
        calls.append(using)
        return CalendarYear.objects.using(using).count() - BASE[0]

    return ConfigCache("test.years", load, depends_on=(CalendarYear,), clock=clock), calls


def test_a_copy_is_reused_until_it_expires(settings, django_capture_on_commit_callbacks):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 30
    clock = Clock()
    cache, calls = counting_cache(clock)
    with django_capture_on_commit_callbacks(execute=True):
        assert cache.get() == 0
    CalendarYear.objects.bulk_create([CalendarYear(year=2030)])  # no signal: as another process
    clock.now += 29
    assert cache.get() == 0 and len(calls) == 1
    clock.now += 1
    assert cache.get() == 1
    assert len(calls) == 2


def test_a_change_saved_in_this_process_is_seen_at_once(
    settings, django_capture_on_commit_callbacks
):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 30
    cache, calls = counting_cache(Clock())
    with django_capture_on_commit_callbacks(execute=True):
        assert cache.get() == 0
    year = CalendarYear.objects.create(year=2031)
    with django_capture_on_commit_callbacks(execute=True):
        assert cache.get() == 1
    year.delete()
    assert cache.get() == 0
    assert len(calls) == 3


def test_nothing_read_in_a_transaction_is_kept_before_it_commits(settings):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 30
    cache, calls = counting_cache(Clock())
    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarYear.objects.bulk_create([CalendarYear(year=2032)])  # no signal
        assert cache.get() == 1
        raise RuntimeError("rolled back")
    assert cache.get() == 0  # the rolled-back row was never kept
    assert len(calls) == 2


def test_a_copy_read_while_the_table_changed_is_not_kept(
    settings, django_capture_on_commit_callbacks
):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 30
    cache, calls = counting_cache(Clock())
    with django_capture_on_commit_callbacks(execute=True):
        cache.get()
        CalendarYear.objects.create(year=2033)  # saved after the read, before the commit
    assert cache.get() == 1
    assert len(calls) == 2


def test_zero_seconds_turns_the_cache_off(settings):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 0
    cache, calls = counting_cache(Clock())
    cache.get()
    cache.get()
    assert len(calls) == 2


def test_clear_all_forgets_every_copy(settings, django_capture_on_commit_callbacks):
    settings.YIWANG_CONFIG_CACHE_SECONDS = 30
    cache, calls = counting_cache(Clock())
    with django_capture_on_commit_callbacks(execute=True):
        cache.get()
    localcache.clear_all()
    cache.get()
    assert len(calls) == 2
    assert dt.timedelta(seconds=localcache.cache_seconds()) == dt.timedelta(seconds=30)
