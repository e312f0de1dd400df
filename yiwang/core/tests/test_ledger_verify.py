"""Verification of the audit ledger: each kind of tampering is found and named; gaps are not."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from yiwang.core.crypto import sm2_generate_keypair, sm2_sign, sm3_hex
from yiwang.core.ledger import (
    GENESIS_HASH,
    LedgerTampered,
    ProblemKind,
    checkpoint,
    checkpoint_message,
    entry_hash_of,
    lifted_guards,
    record_event,
    remove_guards,
    verify,
)
from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry
from yiwang.core.tests.test_ledger_tampering import (
    CHECKPOINT_TABLE,
    delete,
    edit,
    edit_and_rehash,
    flip_hex,
    q,
    raw,
    record,
    swap,
    truncate_after,
)

pytestmark = pytest.mark.django_db


def problems(report) -> list[tuple[int, ProblemKind]]:
    return [(p.seq, p.kind) for p in report.problems]


def insert_chain(seqs: list[int]) -> list[LedgerEntry]:
    """Write a correctly chained ledger with the given (gapped) sequence numbers."""
    entries, prev = [], GENESIS_HASH
    start = timezone.now()
    for i, seq in enumerate(seqs):
        created_at = start + dt.timedelta(microseconds=i)
        payload = json.dumps({"i": i})
        digest = sm3_hex(payload.encode())
        entry_hash = entry_hash_of(prev, seq, created_at, "system", "import", "", "", digest)
        entries.append(
            LedgerEntry(
                seq=seq,
                created_at=created_at,
                actor="system",
                action="import",
                payload_json=payload,
                payload_digest=digest,
                prev_hash=prev,
                entry_hash=entry_hash,
            )
        )
        prev = entry_hash
    return LedgerEntry.objects.bulk_create(entries)


# --- Intact ledgers ---------------------------------------------------------------------------


def test_an_empty_ledger_is_intact() -> None:
    report = verify()
    assert report.ok and report.entries == 0 and report.head_hash is None


def test_an_untouched_ledger_with_checkpoints_is_intact() -> None:
    entries = record(5)
    checkpoint()
    record(3)
    checkpoint()
    report = verify()

    assert report.ok, report.problems
    assert (report.entries, report.first_seq, report.last_seq) == (8, 1, 8)
    assert (report.checkpoints, report.latest_checkpoint_seq) == (2, 8)
    assert report.head_hash == LedgerEntry.objects.get(seq=8).entry_hash
    assert entries[0].prev_hash == GENESIS_HASH


def test_gaps_in_the_sequence_are_tolerated() -> None:
    insert_chain([1, 2, 5, 6, 40, 41, 1000])
    checkpoint()
    report = verify(chunk_size=2)

    assert report.ok, report.problems
    assert report.gaps == 3
    nxt = record_event(actor="user:1", action="after-gaps")
    assert nxt.seq == 1001 and verify().ok


# --- Tampering with entries -------------------------------------------------------------------


@pytest.mark.parametrize(
    "column",
    ["actor", "action", "object_type", "object_id", "payload_json", "payload_digest", "prev_hash"],
)
def test_it_finds_an_edited_entry(column: str) -> None:
    record(4)
    row = LedgerEntry.objects.get(seq=2)
    current = getattr(row, column)
    if column == "payload_json":
        value = json.dumps({"step": 99})
    elif column in ("payload_digest", "prev_hash"):
        value = flip_hex(current)
    else:
        value = current + "改"
    edit(2, **{column: value})

    assert problems(verify()) == [(2, ProblemKind.EDITED)]


def test_it_finds_an_edited_timestamp() -> None:
    record(3)
    row = LedgerEntry.objects.get(seq=2)
    edit(2, created_at=row.created_at + dt.timedelta(microseconds=1))
    assert problems(verify()) == [(2, ProblemKind.EDITED)]


def test_it_finds_an_entry_moved_to_another_seq() -> None:
    record(3)
    edit(2, seq=7)
    report = verify()
    assert not report.ok
    assert (7, ProblemKind.EDITED) in problems(report)


def test_it_finds_an_edited_entry_hash() -> None:
    record(3)
    edit(2, entry_hash=flip_hex(LedgerEntry.objects.get(seq=2).entry_hash))
    assert problems(verify()) == [(2, ProblemKind.EDITED)]


def test_it_finds_an_entry_rewritten_with_a_recomputed_hash() -> None:
    record(4)
    edit_and_rehash(2, actor="user:666")
    report = verify()
    assert problems(report) == [(2, ProblemKind.EDITED)]
    assert "rewritten" in report.problems[0].detail


def test_it_finds_a_rewritten_last_entry_through_its_checkpoint() -> None:
    record(3)
    checkpoint()
    edit_and_rehash(3, action="case.reject")
    assert problems(verify()) == [(3, ProblemKind.EDITED)]


def test_it_finds_a_deleted_entry() -> None:
    record(5)
    delete(3)
    assert problems(verify()) == [(4, ProblemKind.DELETED)]


def test_it_finds_a_deleted_first_entry() -> None:
    record(3)
    delete(1)
    report = verify()
    assert problems(report) == [(2, ProblemKind.DELETED)]
    assert "genesis" in report.problems[0].detail


def test_it_finds_a_deleted_checkpointed_entry_even_when_the_chain_was_relinked() -> None:
    record(5)
    checkpoint()
    record(1)
    delete(5)
    edit_and_rehash(6, prev_hash=LedgerEntry.objects.get(seq=4).entry_hash)
    assert problems(verify()) == [(5, ProblemKind.DELETED)]


def test_it_finds_two_swapped_entries() -> None:
    record(6)
    swap(2, 5)
    assert problems(verify()) == [(2, ProblemKind.SWAPPED), (5, ProblemKind.SWAPPED)]


def test_it_finds_two_swapped_neighbours() -> None:
    record(3)
    swap(1, 2)
    assert problems(verify()) == [(1, ProblemKind.SWAPPED), (2, ProblemKind.SWAPPED)]


def test_it_finds_a_truncated_tail_before_the_latest_checkpoint() -> None:
    record(6)
    checkpoint()
    truncate_after(3)
    report = verify()
    assert problems(report) == [(4, ProblemKind.TRUNCATED)]
    assert "seq 6" in report.problems[0].detail


def test_it_finds_a_ledger_emptied_after_a_checkpoint() -> None:
    record(2)
    checkpoint()
    truncate_after(0)
    assert problems(verify()) == [(1, ProblemKind.TRUNCATED)]


def test_it_cannot_see_a_truncation_after_the_latest_checkpoint() -> None:
    """The documented limit: the tail after the latest checkpoint is protected by triggers only."""
    record(3)
    checkpoint()
    record(3)
    truncate_after(3)
    assert verify().ok


# --- Tampering with checkpoints ---------------------------------------------------------------


def _insert_checkpoint(seq: int, head_hash: str, private_hex: str, public_hex: str) -> None:
    created_at = timezone.now()
    LedgerCheckpoint.objects.create(
        seq=seq,
        head_hash=head_hash,
        created_at=created_at,
        signature=sm2_sign(private_hex, public_hex, checkpoint_message(seq, head_hash, created_at)),
        public_key=public_hex,
    )


def test_it_rejects_a_checkpoint_signed_by_an_unknown_key() -> None:
    entries = record(2)
    forger = sm2_generate_keypair()
    _insert_checkpoint(2, entries[-1].entry_hash, forger.private_hex, forger.public_hex)
    report = verify()
    assert problems(report) == [(2, ProblemKind.BAD_SIGNATURE)]
    assert "untrusted" in report.problems[0].detail


def test_it_rejects_a_checkpoint_whose_signed_content_was_edited() -> None:
    record(3)
    signed = checkpoint()
    assert signed is not None
    raw(
        f"UPDATE {q(CHECKPOINT_TABLE)} SET {q('seq')} = %s WHERE {q('seq')} = %s",
        [2, signed.seq],
    )
    assert problems(verify()) == [(2, ProblemKind.BAD_SIGNATURE)]


def test_a_checkpoint_of_a_retired_key_still_verifies(settings) -> None:
    old = sm2_generate_keypair()
    settings.YIWANG_LEDGER_SM2_PRIVATE_KEY = old.private_hex
    record(2)
    checkpoint()
    settings.YIWANG_LEDGER_SM2_PRIVATE_KEY = sm2_generate_keypair().private_hex
    assert problems(verify()) == [(2, ProblemKind.BAD_SIGNATURE)]

    settings.YIWANG_LEDGER_SM2_RETIRED_PUBLIC_KEYS = [old.public_hex.upper()]
    assert verify().ok


def test_it_refuses_to_sign_a_tampered_tail() -> None:
    record(3)
    checkpoint()
    record(3)
    delete(5)
    with pytest.raises(LedgerTampered) as caught:
        checkpoint()
    assert caught.value.report.kinds() == {ProblemKind.DELETED}
    assert LedgerCheckpoint.objects.count() == 1


def test_it_refuses_to_sign_when_the_head_is_behind_the_latest_checkpoint() -> None:
    record(4)
    checkpoint()
    truncate_after(2)
    with pytest.raises(LedgerTampered):
        checkpoint()


def test_it_refuses_to_sign_when_the_signed_head_was_rewritten() -> None:
    record(3)
    checkpoint()
    edit_and_rehash(3, actor="user:666")
    with pytest.raises(LedgerTampered) as caught:
        checkpoint()
    assert caught.value.report.kinds() == {ProblemKind.EDITED}


def test_it_refuses_to_sign_on_top_of_a_forged_checkpoint() -> None:
    entries = record(2)
    forger = sm2_generate_keypair()
    _insert_checkpoint(2, entries[-1].entry_hash, forger.private_hex, forger.public_hex)
    record(1)
    with pytest.raises(LedgerTampered) as caught:
        checkpoint()
    assert caught.value.report.kinds() == {ProblemKind.BAD_SIGNATURE}


# --- Guards and the command -------------------------------------------------------------------


def test_it_reports_missing_database_guards() -> None:
    record(1)
    with lifted_guards():
        report = verify()
    assert {p.kind for p in report.problems} == {ProblemKind.UNGUARDED}
    assert report.problem_count == 4
    assert verify().ok


def test_the_command_prints_a_summary_and_exits_0_when_intact(capsys) -> None:
    record(3)
    checkpoint()
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "审计账本完整 / audit ledger intact" in out
    assert "entries: 3 (seq 1–3)" in out


def test_the_command_lists_problems_and_exits_1_when_tampered(capsys) -> None:
    record(6)
    checkpoint()
    delete(2)
    swap(4, 5)
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger")
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert "audit ledger tampered" in out
    assert "seq          3  deleted" in out
    assert "seq          4  swapped" in out and "seq          5  swapped" in out


def test_the_command_prints_json_for_machines(capsys) -> None:
    record(2)
    edit(1, actor="user:9")
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["problems"] == [
        {"seq": 1, "kind": "edited", "detail": report["problems"][0]["detail"]}
    ]


def test_the_checkpoint_command_signs_then_reports_nothing_to_do(capsys) -> None:
    record(2)
    call_command("checkpoint_ledger")
    call_command("checkpoint_ledger")
    out = capsys.readouterr().out
    assert "checkpoint signed: seq 2" in out
    assert "nothing to sign" in out


def test_the_checkpoint_command_exits_1_on_a_tampered_tail(capsys) -> None:
    record(3)
    edit(2, action="x")
    with pytest.raises(CommandError) as caught:
        call_command("checkpoint_ledger")
    assert caught.value.returncode == 1
    assert "edited" in capsys.readouterr().err
    assert LedgerCheckpoint.objects.count() == 0


def test_verification_streams_in_chunks_with_one_query_per_chunk(django_assert_max_num_queries):
    record(30)
    checkpoint()
    # guards (1) + checkpoints (1) + entries: one query per chunk on SQLite, a cursor on PG.
    with django_assert_max_num_queries(2 + 30 // 7 + 2):
        assert verify(chunk_size=7).ok


def test_removing_the_guard_function_on_rollback_is_clean() -> None:
    """The 0002 migration's reverse path works (and the guards come back after)."""
    from yiwang.core.ledger import guards_missing, install_guards

    remove_guards(connection, drop_function=True)
    assert len(guards_missing(connection)) == 4
    install_guards(connection)
    assert guards_missing(connection) == []
