"""Daily counters by one upsert (core.sequences), on the counters the apps keep."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases.models import CaseSequence
from yiwang.core.sequences import advance

pytestmark = pytest.mark.django_db


def test_a_new_key_starts_at_one_and_each_key_counts_on_its_own():
    day, next_day = dt.date(2026, 3, 3), dt.date(2026, 3, 4)
    assert [advance(CaseSequence, prefix="A", day=day) for _ in range(3)] == [1, 2, 3]
    assert advance(CaseSequence, prefix="B", day=day) == 1
    assert advance(CaseSequence, prefix="A", day=next_day) == 1
    assert CaseSequence.objects.get(prefix="A", day=day).last == 3


def test_a_counter_needs_real_key_columns():
    with pytest.raises(ValueError):
        advance(CaseSequence)
    with pytest.raises(Exception):  # noqa: B017 - Django's FieldDoesNotExist
        advance(CaseSequence, colour="red")
