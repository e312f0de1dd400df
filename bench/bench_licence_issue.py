"""E-licence issuance end to end on PostgreSQL: ``yiwang.licences.services.issue`` for N licences
(``BENCH_LICENCES``, default 10,000), one transaction per licence as in real issuance.

Each issue does everything production does: content checked against the type's schema, the
holder's ID number decrypted for the document, the daily serial (upsert on the sequence row), the
GB/T 36904 licence id, the department's active key (looked up; the private half decrypted once and
cached), the canonical document signed with SM2 and stored SM4-GCM-encrypted with its SM3, the
licence row, its event, the SM3-chained ledger entry (under the ledger lock; a signed checkpoint
every 1,000 entries) and the holder's in-app notification.

World: one city, one department (市场监督管理局), one person-held licence type (食品经营许可证,
five-year validity, three content fields) and 100 citizens with accounts as holders, in turn;
each licence loads its holder by primary key first, as a request would (counted in ours).

Reference, same run, same Django connection: the same number of bare INSERTs of a row of the same
width (licence id, holder name and index, the encrypted document, SM3, signature, dates, status)
into a plain table with only a primary key, one transaction per row — the floor of "one committed
transaction per licence" here. Both after a warm-up, alternating chunks so that both see the same
(shared) machine. ours = licences/s, ref = inserts/s. A cProfile of 500 more issues goes to stderr.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import migrated_database, note, result

LICENCES = int(os.environ.get("BENCH_LICENCES", "10000"))
HOLDERS = 100
WARMUP = 20
PROFILED = 500
CHUNKS = 10
TYPE_CODE = "11100000000013338W001"

FIELDS = [
    {"key": "holder_name", "label": "经营者", "type": "string", "required": True},
    {"key": "shop_name", "label": "主体名称", "type": "string", "required": True},
    {"key": "start_date", "label": "开业日期", "type": "date", "required": False},
]

BARE_TABLE = """
CREATE TABLE bench_bare_licence (
    id bigserial PRIMARY KEY,
    licence_id varchar(120) NOT NULL,
    holder_name varchar(200) NOT NULL,
    holder_index varchar(64) NOT NULL,
    document_encrypted bytea NOT NULL,
    document_sm3 varchar(64) NOT NULL,
    signature bytea NOT NULL,
    issued_at timestamptz NOT NULL,
    valid_from date NOT NULL,
    valid_until date,
    status varchar(10) NOT NULL
)
"""
BARE_INSERT = (
    "INSERT INTO bench_bare_licence (licence_id, holder_name, holder_index, document_encrypted, "
    "document_sm3, signature, issued_at, valid_from, valid_until, status) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def make_world(holders: int = HOLDERS) -> dict[str, Any]:
    """The department, the licence type and ``holders`` citizens (with accounts) as holders.
    Call after ``django.setup()`` on a migrated database."""
    from yiwang.accounts import services as accounts
    from yiwang.accounts.models import User
    from yiwang.accounts.tests.factories import make_department, make_person, random_name
    from yiwang.licences.models import HolderKind, LicenceType

    department = make_department("杭州市市场监督管理局", region="330100000000")
    licence_type = LicenceType.objects.create(
        code=TYPE_CODE,
        key="food-business",
        name="食品经营许可证",
        holder_kind=HolderKind.PERSON,
        validity_years=5,
        fields=FIELDS,
    )
    persons = []
    for n in range(holders):
        name = random_name()
        user = accounts.create_user_account(
            f"holder{n:03d}", kind=User.Kind.PERSON, display_name=name
        )
        persons.append(make_person(name, region="330102001001", user=user))
    return {"department": department, "type": licence_type, "persons": persons}


def issue_one(world: dict[str, Any], n: int) -> Any:
    """Issue licence number ``n`` in its own transaction, as a clerk's request would: the holder
    is loaded afresh (a request has no cached objects), then ``services.issue``."""
    from django.db import transaction

    from yiwang.accounts.models import Person
    from yiwang.licences import services

    person = Person.objects.get(pk=world["persons"][n % len(world["persons"])].pk)
    with transaction.atomic():
        return services.issue(
            licence_type=world["type"],
            issuer=world["department"],
            content={
                "holder_name": person.name,
                "shop_name": f"{person.name}示范小吃店第{n}号",
                "start_date": "2026-11-22",
            },
            holder_person=person,
        )


def _bare_rows(sample: Any, count: int, offset: int) -> list[tuple]:
    """Rows as wide as ``sample`` (a real licence), with fresh random bytes."""
    document = bytes(sample.document_encrypted)
    signature = bytes(sample.signature)
    return [
        (
            f"{sample.licence_id[:-6]}{offset + n:06d}",
            sample.holder_name,
            sample.holder_index,
            os.urandom(len(document)),
            sample.document_sm3,
            os.urandom(len(signature)),
            sample.issued_at,
            sample.valid_from,
            sample.valid_until,
            "valid",
        )
        for n in range(count)
    ]


def _insert_bare(rows: list[tuple]) -> None:
    from django.db import connection, transaction

    for row in rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BARE_INSERT, row)


_WATCH = (
    # (label, file suffix, function name) for the breakdown: cumulative time per issue.
    ("services.issue (all)", "licences/services.py", "issue"),
    ("  check_content", "licences/services.py", "check_content"),
    ("  holder ID decrypt", "accounts/selectors.py", "decrypt_id_number"),
    ("  _next_serial (upsert)", "licences/services.py", "_next_serial"),
    ("  keys.active_key (lookup)", "licences/keys.py", "active_key"),
    ("  sm2_sign", "core/crypto.py", "sm2_sign"),
    ("  sm4_gcm_encrypt", "core/crypto.py", "sm4_gcm_encrypt"),
    ("  ORM create() ×3 (licence/event/notice)", "django/db/models/query.py", "create"),
    ("  record_event (ledger)", "ledger/append.py", "record_event"),
    ("  _notify_holder", "licences/services.py", "_notify_holder"),
    ("COMMIT", "django/db/backends/base/base.py", "commit"),
    (
        "on_commit hooks (checkpoints)",
        "django/db/backends/base/base.py",
        "run_and_clear_commit_hooks",
    ),
)


def profile(world: dict[str, Any], start: int, count: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(start, start + count):
        issue_one(world, n)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(8)
    out.write(f"\nbreakdown of {count} issues (cumulative ms per licence, % of profiled time)\n")
    for label, suffix, name in _WATCH:
        cum = sum(
            row[3]
            for (path, _line, func), row in stats.stats.items()  # type: ignore[attr-defined]
            if func == name and path.replace("\\", "/").endswith(suffix)
        )
        out.write(f"  {label:<34} {cum / count * 1000:7.2f} ms  {cum / total * 100:5.1f} %\n")
    sys.stderr.write(f"--- cProfile: {count} issues, top 8 by cumulative time ---\n")
    sys.stderr.write(out.getvalue())
    sys.stderr.flush()


def main() -> None:
    _url, env = migrated_database("yiwang_bench_licences")
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.licences.models import Licence

    world = make_world()
    with connection.cursor() as cursor:
        cursor.execute(BARE_TABLE)

    for n in range(WARMUP):  # first use makes the department's key
        issue_one(world, n)
    with CaptureQueriesContext(connection) as queries:
        sample = issue_one(world, WARMUP)
    _insert_bare(_bare_rows(sample, WARMUP, 0))
    next_n = WARMUP + 1

    chunk = max(1, LICENCES // CHUNKS)
    ours_seconds = ref_seconds = 0.0
    done = 0
    while done < LICENCES:
        size = min(chunk, LICENCES - done)
        began = time.perf_counter()
        for n in range(next_n, next_n + size):
            issue_one(world, n)
        ours_seconds += time.perf_counter() - began
        next_n += size
        rows = _bare_rows(sample, size, WARMUP + done)
        began = time.perf_counter()
        _insert_bare(rows)
        ref_seconds += time.perf_counter() - began
        done += size

    issued = Licence.objects.count()
    if issued != next_n:
        sys.exit(f"expected {next_n} licences, found {issued}")
    profile(world, next_n, PROFILED)

    ours_rate = LICENCES / ours_seconds
    ref_rate = LICENCES / ref_seconds
    note(
        f"ours: {LICENCES} licences in {ours_seconds:.1f} s = {ours_rate:.0f}/s "
        f"({ours_seconds / LICENCES * 1000:.2f} ms each, {len(queries)} SQL statements per "
        "licence with BEGIN/COMMIT and the holder's load, "
        f"document {len(bytes(sample.document_encrypted))} bytes encrypted)"
    )
    note(
        f"bare INSERT of a row as wide, one transaction each: {LICENCES} in {ref_seconds:.1f} s "
        f"= {ref_rate:.0f}/s ({ref_seconds / LICENCES * 1000:.2f} ms each)"
    )
    result("licence_issue", ours_rate, "licences/s", ref_rate, "inserts/s")


if __name__ == "__main__":
    main()
