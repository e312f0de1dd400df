"""Property tests: any single tampering of a real ledger table is detected and named.

Each example builds a fresh chain of random entries in a savepoint, tampers with it through raw
SQL (guards lifted, as an attacker with the owner's privilege would), verifies, and rolls back.
Derandomized: the same examples run every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.core.ledger import ProblemKind, checkpoint, record_event, verify
from yiwang.core.models.ledger import LedgerEntry
from yiwang.core.tests.test_ledger_tampering import (
    delete,
    edit,
    edit_and_rehash,
    flip_hex,
    swap,
    truncate_after,
)
from yiwang.core.tests.test_ledger_verify import insert_chain

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
events = st.fixed_dictionaries(
    {
        "actor": text.filter(bool).map(lambda s: s[:50]),
        "action": st.sampled_from(["case.submit", "case.accept", "licence.issue", "数据.共享"]),
        "object_type": st.sampled_from(["", "case", "ticket"]),
        "object_id": text,
        "payload": st.dictionaries(text, json_values, max_size=4),
    }
)
chains = st.lists(events, min_size=1, max_size=10)

EDITABLE = [
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload_json",
    "payload_digest",
    "prev_hash",
    "entry_hash",
    "created_at",
    "seq",
]


@contextmanager
def scratch_ledger(chain: list[dict], *, signed_at: int | None = None) -> Iterator[list[int]]:
    """Build ``chain`` inside a savepoint that is always rolled back; sign at ``signed_at``."""
    with transaction.atomic():
        seqs = []
        for i, event in enumerate(chain, start=1):
            seqs.append(record_event(**event).seq)
            if signed_at == i:
                checkpoint()
        report = verify()
        assert report.ok, report.problems  # every untampered random chain verifies
        yield seqs
        transaction.set_rollback(True)


def changed(column: str, row: LedgerEntry) -> object:
    value = getattr(row, column)
    if column == "payload_json":
        return '{"tampered":true}' if value != '{"tampered":true}' else "{}"
    if column in ("payload_digest", "prev_hash", "entry_hash"):
        return flip_hex(value)
    if column == "created_at":
        return value + dt.timedelta(microseconds=1)
    if column == "seq":
        return value + 1000
    return value + "x"


@PROPERTY_SETTINGS
@given(chain=chains, data=st.data())
def test_any_edit_of_any_field_is_detected(chain: list[dict], data: st.DataObject) -> None:
    with scratch_ledger(chain, signed_at=len(chain)) as seqs:
        seq = data.draw(st.sampled_from(seqs), label="entry")
        column = data.draw(st.sampled_from(EDITABLE), label="column")
        row = LedgerEntry.objects.get(seq=seq)
        edit(seq, **{column: changed(column, row)})

        report = verify()
        assert not report.ok
        assert ProblemKind.EDITED in report.kinds()
        if column != "seq":
            assert [(p.seq, p.kind) for p in report.problems] == [(seq, ProblemKind.EDITED)]


@PROPERTY_SETTINGS
@given(chain=chains, data=st.data())
def test_an_edit_with_a_recomputed_hash_is_detected(chain: list[dict], data: st.DataObject):
    with scratch_ledger(chain, signed_at=len(chain)) as seqs:
        seq = data.draw(st.sampled_from(seqs), label="entry")
        edit_and_rehash(seq, actor="attacker")

        report = verify()
        assert [(p.seq, p.kind) for p in report.problems] == [(seq, ProblemKind.EDITED)]


@PROPERTY_SETTINGS
@given(chain=chains, data=st.data())
def test_any_deletion_is_detected(chain: list[dict], data: st.DataObject) -> None:
    with scratch_ledger(chain, signed_at=len(chain)) as seqs:
        seq = data.draw(st.sampled_from(seqs), label="deleted")
        delete(seq)

        report = verify()
        assert not report.ok
        expected = ProblemKind.TRUNCATED if seq == seqs[-1] else ProblemKind.DELETED
        assert report.kinds() == {expected}


@PROPERTY_SETTINGS
@given(chain=chains.filter(lambda c: len(c) >= 2), data=st.data())
def test_any_swap_of_two_entries_is_detected(chain: list[dict], data: st.DataObject) -> None:
    with scratch_ledger(chain, signed_at=data.draw(st.integers(1, len(chain)))) as seqs:
        a, b = data.draw(st.lists(st.sampled_from(seqs), min_size=2, max_size=2, unique=True))
        swap(a, b)

        report = verify()
        assert sorted((p.seq, p.kind) for p in report.problems) == sorted(
            [(a, ProblemKind.SWAPPED), (b, ProblemKind.SWAPPED)]
        )


@PROPERTY_SETTINGS
@given(chain=chains, data=st.data())
def test_any_truncation_before_a_checkpoint_is_detected(chain: list[dict], data: st.DataObject):
    signed_at = data.draw(st.integers(1, len(chain)), label="checkpoint after entry")
    with scratch_ledger(chain, signed_at=signed_at):
        keep = data.draw(st.integers(0, signed_at - 1), label="entries kept")
        truncate_after(keep)

        report = verify()
        assert [(p.seq, p.kind) for p in report.problems] == [(keep + 1, ProblemKind.TRUNCATED)]


@PROPERTY_SETTINGS
@given(seqs=st.lists(st.integers(1, 10_000), min_size=1, max_size=15, unique=True))
def test_any_gaps_in_the_sequence_are_tolerated(seqs: list[int]) -> None:
    seqs.sort()
    with transaction.atomic():
        insert_chain(seqs)
        checkpoint()
        record_event(actor="user:1", action="after-gaps")

        report = verify(chunk_size=4)
        assert report.ok, report.problems
        assert report.entries == len(seqs) + 1
        assert report.gaps == sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
        transaction.set_rollback(True)
