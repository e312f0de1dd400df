"""verify_ledger over 1,000,000 entries on PostgreSQL, against the floor: the same SM3 chain
computed in memory (payload digest + entry hash per entry, no database). The ledger is filled
by COPY with a correctly chained, signed history (10 checkpoints), then `manage.py verify_ledger`
runs end to end as an operator would (process start, streaming read, both hashes per entry, every
checkpoint signature). ours = entries/s verified; ref = entries/s hashed in memory.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import migrated_database, note, result  # noqa: E402

ENTRIES = int(os.environ.get("YIWANG_BENCH_LEDGER_ENTRIES", "1000000"))
CHECKPOINTS = 10


def main() -> None:
    url, env = migrated_database("yiwang_bench_ledger")
    os.environ.update(env)

    import django

    django.setup()
    import psycopg
    from django.db import connection

    from yiwang.core.crypto import sm2_sign, sm3_hex
    from yiwang.core.ledger import (
        GENESIS_HASH,
        canonical_json,
        checkpoint_message,
        entry_hash_of,
        signing_keypair,
    )
    from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows: list[tuple] = []
    prev = GENESIS_HASH
    began = time.perf_counter()
    for seq in range(1, ENTRIES + 1):
        created_at = start + dt.timedelta(milliseconds=seq * 37)
        payload = canonical_json({"case": f"C{seq:08d}", "step": seq % 7, "note": "受理"})
        digest = sm3_hex(payload.encode("utf-8"))
        actor, action = f"user:{seq % 500}", ("case.accept", "case.review", "case.close")[seq % 3]
        entry = entry_hash_of(prev, seq, created_at, actor, action, "case", str(seq), digest)
        rows.append(
            (seq, created_at, actor, action, "case", str(seq), payload, digest, prev, entry)
        )
        prev = entry
    hashing_seconds = time.perf_counter() - began
    ref_rate = ENTRIES / hashing_seconds
    note(f"in-memory SM3 chain: {ENTRIES} entries in {hashing_seconds:.1f} s")

    columns = (
        "seq",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "payload_json",
        "payload_digest",
        "prev_hash",
        "entry_hash",
    )
    table = LedgerEntry._meta.db_table
    copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with (
        psycopg.connect(url.replace("postgres://", "postgresql://")) as pg,
        pg.cursor() as cur,
        cur.copy(copy_sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    keys = signing_keypair()
    for k in range(1, CHECKPOINTS + 1):
        seq = ENTRIES * k // CHECKPOINTS
        head = rows[seq - 1][-1]
        at = start + dt.timedelta(days=k)
        LedgerCheckpoint.objects.create(
            seq=seq,
            head_hash=head,
            created_at=at,
            public_key=keys.public_hex,
            signature=sm2_sign(
                keys.private_hex, keys.public_hex, checkpoint_message(seq, head, at)
            ),
        )
    connection.close()
    del rows
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as pg:
        pg.execute(f"VACUUM ANALYZE {table}")

    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    verify_seconds = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"verify_ledger failed on an intact ledger:\n{proc.stdout}\n{proc.stderr}")
    note(
        f"manage.py verify_ledger: {ENTRIES} entries and {CHECKPOINTS} checkpoints in "
        f"{verify_seconds:.1f} s: {proc.stdout.strip().splitlines()[-1]}"
    )
    result("verify_ledger_1m", ENTRIES / verify_seconds, "entries/s", ref_rate, "entries/s")


if __name__ == "__main__":
    main()
