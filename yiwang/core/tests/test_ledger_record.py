"""Appending to the audit ledger: hashing, chaining, checkpoints after commit, query cost."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from yiwang.core.crypto import sm2_verify, sm3_hex
from yiwang.core.ledger import (
    GENESIS_HASH,
    LedgerEvent,
    canonical_json,
    checkpoint,
    checkpoint_message,
    entry_hash_of,
    record_event,
    record_events,
    signing_keypair,
    verify,
)
from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry

pytestmark = pytest.mark.django_db


def _frame(tag: bytes, *fields: str) -> bytes:
    out = tag
    for value in fields:
        raw = value.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return out


def test_the_first_entry_links_to_the_genesis_hash_and_the_next_to_it() -> None:
    first = record_event(actor="user:1", action="case.submit", object_type="case", object_id="C1")
    second = record_event(actor="user:2", action="case.accept", object_type="case", object_id="C1")

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert len(first.entry_hash) == 64


def test_the_entry_hash_follows_the_documented_byte_format() -> None:
    entry = record_event(
        actor="user:7",
        action="licence.issue",
        object_type="licence",
        object_id="L-1",
        payload={"b": 1, "a": "出生医学证明"},
    )
    stored = LedgerEntry.objects.get(seq=entry.seq)

    # Written out from docs/decisions/0004-audit-ledger.md, independently of the module.
    payload_text = '{"a":"出生医学证明","b":1}'
    timestamp = stored.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    assert timestamp.endswith("+00:00") and len(timestamp) == 32
    encoded = _frame(
        b"yiwang.ledger.entry.v1\x00",
        GENESIS_HASH,
        "1",
        timestamp,
        "user:7",
        "licence.issue",
        "licence",
        "L-1",
        sm3_hex(payload_text.encode("utf-8")),
    )
    assert stored.payload_json == payload_text
    assert stored.payload_digest == sm3_hex(payload_text.encode("utf-8"))
    assert stored.entry_hash == sm3_hex(encoded)


def test_a_known_entry_has_a_known_hash() -> None:
    """Pins the format: changing it would make every existing ledger fail verification."""
    moment = dt.datetime(2025, 1, 31, 8, 0, 0, 123456, tzinfo=dt.UTC)
    digest = sm3_hex(b"{}")
    assert entry_hash_of(GENESIS_HASH, 1, moment, "system", "boot", "", "", digest) == sm3_hex(
        _frame(
            b"yiwang.ledger.entry.v1\x00",
            GENESIS_HASH,
            "1",
            "2025-01-31T08:00:00.123456+00:00",
            "system",
            "boot",
            "",
            "",
            digest,
        )
    )


def test_the_timestamp_is_hashed_in_utc_whatever_the_zone_it_is_given_in() -> None:
    utc = dt.datetime(2025, 1, 31, 0, 30, tzinfo=dt.UTC)
    shanghai = utc.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert entry_hash_of("a" * 64, 5, utc, "x", "y", "", "", "d") == entry_hash_of(
        "a" * 64, 5, shanghai, "x", "y", "", "", "d"
    )


def test_field_boundaries_cannot_be_shifted_between_fields() -> None:
    moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert entry_hash_of("0" * 64, 1, moment, "ab", "c", "", "", "d") != entry_hash_of(
        "0" * 64, 1, moment, "a", "bc", "", "", "d"
    )


def test_the_payload_is_stored_as_canonical_json_and_read_back_as_a_dict() -> None:
    entry = record_event(
        actor="user:1",
        action="vault.access",
        payload={"z": [1, 2], "purpose": "核验出生信息", "when": dt.date(2025, 3, 1)},
    )
    stored = LedgerEntry.objects.get(seq=entry.seq)

    assert stored.payload_json == '{"purpose":"核验出生信息","when":"2025-03-01","z":[1,2]}'
    assert stored.payload == {"purpose": "核验出生信息", "when": "2025-03-01", "z": [1, 2]}
    assert json.loads(canonical_json({"b": 1, "a": 2})) == {"a": 2, "b": 1}


def test_it_rejects_an_event_without_actor_or_action() -> None:
    with pytest.raises(ValueError, match="actor"):
        record_event(actor="", action="case.submit")
    with pytest.raises(ValueError, match="action"):
        record_event(actor="user:1", action="")
    assert LedgerEntry.objects.count() == 0


def test_it_rejects_a_payload_that_is_not_a_dict_or_not_json() -> None:
    with pytest.raises(TypeError):
        record_event(actor="user:1", action="x", payload=["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        record_event(actor="user:1", action="x", payload={"n": float("nan")})
    with pytest.raises(TypeError):
        record_event(actor="user:1", action="x", payload={"o": object()})


def test_it_rejects_fields_longer_than_their_columns() -> None:
    with pytest.raises(ValueError, match="object_id"):
        record_event(actor="user:1", action="x", object_id="9" * 201)


def test_a_rolled_back_append_leaves_no_trace_and_the_chain_continues() -> None:
    first = record_event(actor="user:1", action="a")
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(actor="user:1", action="b")
        raise RuntimeError("the service failed after auditing")
    third = record_event(actor="user:1", action="c")

    assert list(LedgerEntry.objects.order_by("seq").values_list("action", flat=True)) == ["a", "c"]
    assert third.prev_hash == first.entry_hash
    assert verify().ok


def test_an_append_costs_a_constant_number_of_queries() -> None:
    record_event(actor="user:1", action="warm-up")
    expected = 3 if connection.vendor == "postgresql" else 2  # (lock,) read head, insert
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            record_event(actor="user:1", action="case.submit", payload={"k": "v"})
        assert len(queries) == expected


def test_it_signs_a_checkpoint_after_the_commit_every_n_entries(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.YIWANG_LEDGER_CHECKPOINT_EVERY = 3
    callbacks = []
    for i in range(7):  # seven services, each committing its own transaction
        with django_capture_on_commit_callbacks(execute=True) as captured:
            record_event(actor="user:1", action="step", payload={"i": i})
        callbacks += captured

    assert len(callbacks) == 2  # after seq 3 and seq 6
    assert list(LedgerCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [3, 6]


def test_no_checkpoint_is_signed_when_automatic_checkpoints_are_off(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.YIWANG_LEDGER_CHECKPOINT_EVERY = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(3):
            record_event(actor="user:1", action="step")
    assert callbacks == []
    assert LedgerCheckpoint.objects.count() == 0


def test_a_checkpoint_signs_the_head_with_sm2() -> None:
    entries = [record_event(actor="user:1", action="step") for _ in range(3)]
    signed = checkpoint()

    assert signed is not None
    assert (signed.seq, signed.head_hash) == (3, entries[-1].entry_hash)
    assert signed.public_key == signing_keypair().public_hex
    message = checkpoint_message(signed.seq, signed.head_hash, signed.created_at)
    assert sm2_verify(signed.public_key, message, bytes(signed.signature))
    assert not sm2_verify(signed.public_key, message + b"x", bytes(signed.signature))


def test_a_checkpoint_is_not_repeated_while_the_head_stands_still() -> None:
    assert checkpoint() is None  # empty ledger
    record_event(actor="user:1", action="step")
    assert checkpoint() is not None
    assert checkpoint() is None
    record_event(actor="user:1", action="step")
    assert checkpoint() is not None
    assert LedgerCheckpoint.objects.count() == 2


def test_the_configured_key_signs_checkpoints(settings) -> None:
    from yiwang.core.crypto import sm2_generate_keypair

    keys = sm2_generate_keypair()
    settings.YIWANG_LEDGER_SM2_PRIVATE_KEY = keys.private_hex
    record_event(actor="user:1", action="step")
    signed = checkpoint()
    assert signed is not None and signed.public_key == keys.public_hex


def test_the_development_key_is_derived_from_the_secret_key(settings) -> None:
    settings.YIWANG_LEDGER_SM2_PRIVATE_KEY = ""
    first = signing_keypair()
    assert signing_keypair() == first
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert signing_keypair() != first


# --- several events at once ----------------------------------------------------------------------


def test_a_batch_chains_its_entries_in_order_after_the_head() -> None:
    before = record_event(actor="user:1", action="case.submit", object_id="C1")
    entries = record_events(
        [
            LedgerEvent("user:2", "hotline.ticket.intake", "hotline.ticket", "7", {"to": "a"}),
            LedgerEvent("user:2", "hotline.ticket.categorise", "hotline.ticket", "7"),
            LedgerEvent("user:2", "hotline.ticket.dispatch", "hotline.ticket", "7", {"d": 3}),
        ]
    )
    after = record_event(actor="user:3", action="case.accept", object_id="C1")

    assert [e.seq for e in entries] == [2, 3, 4]
    assert entries[0].prev_hash == before.entry_hash
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert after.prev_hash == entries[2].entry_hash
    stored = LedgerEntry.objects.get(seq=4)
    assert stored.entry_hash == entries[2].entry_hash and stored.payload == {"d": 3}
    assert stored.entry_hash == entry_hash_of(
        stored.prev_hash,
        4,
        stored.created_at,
        "user:2",
        "hotline.ticket.dispatch",
        "hotline.ticket",
        "7",
        sm3_hex(b'{"d":3}'),
    )
    assert verify().ok


def test_a_batch_costs_what_one_append_costs() -> None:
    record_event(actor="user:1", action="warm-up")
    expected = 3 if connection.vendor == "postgresql" else 2  # (lock,) read head, one insert
    batch = [LedgerEvent("user:1", f"step.{n}", payload={"n": n}) for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        record_events(batch)
    assert len(queries) == expected
    assert LedgerEntry.objects.count() == 6


def test_a_batch_with_one_bad_event_writes_nothing() -> None:
    with pytest.raises(ValueError, match="action"):
        record_events([LedgerEvent("user:1", "fine"), LedgerEvent("user:1", "")])
    assert LedgerEntry.objects.count() == 0
    assert record_events([]) == []


def test_a_batch_crossing_the_checkpoint_interval_schedules_one_checkpoint(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.YIWANG_LEDGER_CHECKPOINT_EVERY = 3
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_events([LedgerEvent("user:1", "step") for _ in range(4)])
    assert len(callbacks) == 1
    assert list(LedgerCheckpoint.objects.values_list("seq", flat=True)) == [4]
