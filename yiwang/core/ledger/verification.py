"""Verification of the whole ledger in one streaming pass, and of the tail before a checkpoint."""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router

from yiwang.core.crypto import sm2_verify, sm3_hex
from yiwang.core.ledger.encoding import checkpoint_message, entry_hash_of
from yiwang.core.ledger.guards import guards_missing
from yiwang.core.ledger.keys import trusted_public_keys
from yiwang.core.models.ledger import GENESIS_HASH, LedgerCheckpoint, LedgerEntry

MAX_REPORTED_PROBLEMS = 1000
_MAX_SWAP_CANDIDATES = 500


class ProblemKind(enum.StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    SWAPPED = "swapped"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    UNGUARDED = "unguarded"


@dataclass(frozen=True)
class LedgerProblem:
    seq: int
    kind: ProblemKind
    detail: str


@dataclass
class VerificationReport:
    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str | None = None
    checkpoints: int = 0
    latest_checkpoint_seq: int | None = None
    gaps: int = 0
    problems: list[LedgerProblem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def kinds(self) -> set[ProblemKind]:
        return {p.kind for p in self.problems}

    def add(self, seq: int, kind: ProblemKind, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(LedgerProblem(seq=seq, kind=kind, detail=detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "head_hash": self.head_hash,
            "checkpoints": self.checkpoints,
            "latest_checkpoint_seq": self.latest_checkpoint_seq,
            "gaps": self.gaps,
            "problem_count": self.problem_count,
            "problems": [
                {"seq": p.seq, "kind": p.kind.value, "detail": p.detail} for p in self.problems
            ],
            "seconds": round(self.seconds, 3),
        }


_ROW_FIELDS = (
    "seq",
    "prev_hash",
    "entry_hash",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload_json",
    "payload_digest",
)
_Row = tuple[int, str, str, dt.datetime, str, str, str, str, str, str]


def _row_hash(row: _Row, seq: int) -> str:
    _, prev_hash, _, created_at, actor, action, object_type, object_id, _, digest = row
    return entry_hash_of(prev_hash, seq, created_at, actor, action, object_type, object_id, digest)


class _ChainWalker:
    """Checks rows fed in ``seq`` order in O(1) memory (plus a bounded list of suspects).

    - every row: payload digest and entry hash recomputed (an edit or a swap breaks them);
    - every link: ``prev_hash`` equals the previous *existing* row's ``entry_hash``, so a gap in
      ``seq`` is tolerated while a deleted row breaks the link of the row after it;
    - every signed checkpoint: its entry exists and still has the signed hash; the chain does not
      end before the latest one (truncation).
    """

    def __init__(
        self,
        report: VerificationReport,
        signed_heads: dict[int, str],
        *,
        first_prev_hash: str | None,
    ) -> None:
        self.report = report
        self.signed_heads = signed_heads
        self.signed_seqs = sorted(signed_heads)
        self.next_signed = 0
        self.last_seq: int | None = None
        self.last_hash = first_prev_hash  # None: the first row's link is not checked
        self.last_suspect = False
        self.suspects: list[_Row] = []

    def feed(self, row: _Row) -> None:
        seq, prev_hash, entry_hash = row[0], row[1], row[2]
        report = self.report
        missed: list[int] = []
        while self.next_signed < len(self.signed_seqs) and self.signed_seqs[self.next_signed] < seq:
            missed.append(self.signed_seqs[self.next_signed])
            self.next_signed += 1

        digest_ok = sm3_hex(row[8].encode("utf-8")) == row[9]
        intact = digest_ok and _row_hash(row, seq) == entry_hash
        if not intact:
            self._suspect(row, digest_ok)

        last_seq = self.last_seq
        linked = self.last_hash is None or prev_hash == self.last_hash
        if not linked and intact and not self.last_suspect:
            if last_seq is None:
                report.add(
                    seq,
                    ProblemKind.DELETED,
                    f"entries before seq {seq} are missing: its prev_hash is not the genesis value",
                )
            elif seq == last_seq + 1 and not missed:
                report.add(
                    last_seq,
                    ProblemKind.EDITED,
                    f"entry {last_seq} was rewritten: its hash no longer matches "
                    f"the prev_hash of entry {seq}",
                )
            else:
                report.add(
                    seq,
                    ProblemKind.DELETED,
                    f"entries between seq {last_seq} and {seq} are missing"
                    + (f" (signed checkpoint at seq {missed[0]})" if missed else ""),
                )
        elif missed:
            report.add(
                missed[0],
                ProblemKind.DELETED,
                f"entry {missed[0]} named by a signed checkpoint is missing",
            )
        elif linked and last_seq is not None and seq != last_seq + 1:
            report.gaps += 1

        if self.next_signed < len(self.signed_seqs) and self.signed_seqs[self.next_signed] == seq:
            self.next_signed += 1
            if intact and entry_hash != self.signed_heads[seq]:
                report.add(
                    seq,
                    ProblemKind.EDITED,
                    f"entry {seq} differs from its signed checkpoint: the chain was rewritten",
                )

        if report.first_seq is None:
            report.first_seq = seq
        report.entries += 1
        self.last_seq, self.last_hash, self.last_suspect = seq, entry_hash, not intact

    def _suspect(self, row: _Row, digest_ok: bool) -> None:
        if len(self.suspects) < _MAX_SWAP_CANDIDATES:
            self.suspects.append(row)
        else:
            self._edited(row, digest_ok)

    def _edited(self, row: _Row, digest_ok: bool) -> None:
        what = "entry hash does not match its content" if digest_ok else "payload digest mismatch"
        self.report.add(row[0], ProblemKind.EDITED, f"entry {row[0]} was edited: {what}")

    def finish(self) -> None:
        report = self.report
        report.last_seq = self.last_seq
        report.head_hash = self.last_hash if self.last_seq is not None else None
        remaining = self.signed_seqs[self.next_signed :]
        if remaining:
            end = "is empty" if self.last_seq is None else f"ends at seq {self.last_seq}"
            report.add(
                (self.last_seq or 0) + 1,
                ProblemKind.TRUNCATED,
                f"the chain {end} but a signed checkpoint names seq {remaining[-1]}",
            )
        self._classify_suspects()

    def _classify_suspects(self) -> None:
        """A pair of rows that verify under each other's ``seq`` were swapped; the rest edited."""
        suspects = self.suspects
        paired: set[int] = set()
        for i, a in enumerate(suspects):
            if i in paired:
                continue
            for j in range(i + 1, len(suspects)):
                b = suspects[j]
                if j in paired:
                    continue
                if _row_hash(a, b[0]) == a[2] and _row_hash(b, a[0]) == b[2]:
                    paired.update((i, j))
                    for x, y in ((a, b), (b, a)):
                        self.report.add(
                            x[0],
                            ProblemKind.SWAPPED,
                            f"entry {x[0]} holds the content of entry {y[0]}",
                        )
                    break
        for i, row in enumerate(suspects):
            if i not in paired:
                self._edited(row, sm3_hex(row[8].encode("utf-8")) == row[9])


def _signed_heads(
    report: VerificationReport, checkpoints: Iterable[LedgerCheckpoint]
) -> dict[int, str]:
    """Check every checkpoint's key and signature; return seq → head hash of the valid ones."""
    trusted = trusted_public_keys()
    heads: dict[int, str] = {}
    for cp in checkpoints:
        report.checkpoints += 1
        if cp.public_key.lower() not in trusted:
            report.add(cp.seq, ProblemKind.BAD_SIGNATURE, f"checkpoint {cp.seq}: untrusted key")
            continue
        message = checkpoint_message(cp.seq, cp.head_hash, cp.created_at)
        if not sm2_verify(cp.public_key, message, bytes(cp.signature)):
            report.add(cp.seq, ProblemKind.BAD_SIGNATURE, f"checkpoint {cp.seq}: bad signature")
            continue
        heads[cp.seq] = cp.head_hash
        report.latest_checkpoint_seq = cp.seq
    return heads


def _stream(queryset: Any, chunk_size: int) -> Iterator[_Row]:
    return queryset.order_by("seq").values_list(*_ROW_FIELDS).iterator(chunk_size=chunk_size)


def verify(
    *, using: str | None = None, chunk_size: int = 5000, check_guards: bool = True
) -> VerificationReport:
    """Verify the whole ledger: hash chain, payload digests, checkpoint signatures, the tail.

    Streams the entries once in ``seq`` order (constant memory, no per-row query).
    """
    using = using or router.db_for_read(LedgerEntry)
    started = time.perf_counter()
    report = VerificationReport()
    if check_guards:
        for missing in guards_missing(connections[using]):
            report.add(0, ProblemKind.UNGUARDED, f"database guard missing: {missing}")
    checkpoints = LedgerCheckpoint.objects.using(using).order_by("seq")
    walker = _ChainWalker(report, _signed_heads(report, checkpoints), first_prev_hash=GENESIS_HASH)
    for row in _stream(LedgerEntry.objects.using(using), chunk_size):
        walker.feed(row)
    walker.finish()
    report.problems.sort(key=lambda p: (p.seq, p.kind.value))
    report.seconds = time.perf_counter() - started
    return report


def verify_since(latest: LedgerCheckpoint | None, *, using: str) -> VerificationReport:
    """Verify the entries from ``latest`` (which must itself be valid) to the head."""
    report = VerificationReport()
    signed = _signed_heads(report, [latest] if latest is not None else [])
    if not report.ok:
        return report
    entries = LedgerEntry.objects.using(using)
    if latest is None:
        walker = _ChainWalker(report, signed, first_prev_hash=GENESIS_HASH)
    else:
        entries = entries.filter(seq__gte=latest.seq)
        walker = _ChainWalker(report, signed, first_prev_hash=None)
    for row in _stream(entries, 5000):
        walker.feed(row)
    walker.finish()
    return report


class LedgerTampered(Exception):
    """Verification found problems; ``report`` lists them. Nothing was signed."""

    def __init__(self, report: VerificationReport) -> None:
        self.report = report
        kinds = ", ".join(sorted({p.kind.value for p in report.problems}))
        super().__init__(f"audit ledger verification failed: {report.problem_count} ({kinds})")
