"""Database side of the crash test (run by run_crash.py with the crash environment; not pytest).

    python tests/crash/crash_db.py seed            → prints {"token": …, "principal": …} as JSON
    python tests/crash/crash_db.py verify ACKS.json → prints the checks as JSON; exit 1 on a violation

``seed`` creates a counter clerk (role with ``accounts.register_person``) in a fresh database and an
API token for him, through the services, as an operator would. ``verify`` checks what the clients
were told against what the database holds after the crashes.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from yiwang.accounts import selectors, services  # noqa: E402
from yiwang.accounts.models import Person, User  # noqa: E402
from yiwang.accounts.permissions import REGISTER_PERSON  # noqa: E402
from yiwang.core.identifiers import make_uscc  # noqa: E402
from yiwang.core.models.idempotency import IdempotencyRecord  # noqa: E402
from yiwang.core.models.ledger import LedgerEntry  # noqa: E402

DISTRICT = "330106000000"


def seed() -> dict[str, Any]:
    services.create_region("330000000000", "浙江省")
    services.create_region("330100000000", "杭州市")
    region = services.create_region(DISTRICT, "西湖区")
    centre = services.create_department(
        "西湖区政务服务中心", make_uscc("1", "1", DISTRICT[:6], "00000001"), region
    )
    role = services.create_role("counter_clerk", "窗口受理员", capabilities=[REGISTER_PERSON])
    clerk = services.create_user_account(
        "crash.clerk", kind=User.Kind.STAFF, display_name="压测受理员"
    )
    services.grant_role(None, clerk, centre, role)
    _token, plain = services.create_api_token(clerk, "crash test", by=clerk)
    return {"token": plain, "principal": f"user:{clerk.pk}"}


def verify(acks: list[dict[str, Any]], principal: str) -> dict[str, Any]:
    """Every acknowledged write exists exactly once; nothing else was written."""
    violations: list[str] = []
    persons = {p.pk: p for p in Person.objects.all()}
    by_index = Counter(p.id_number_index for p in persons.values())
    for ack in acks:
        person = persons.get(ack["person_id"])
        index = selectors.id_number_index(ack["id_number"])
        if person is None:
            violations.append(f"acknowledged person {ack['person_id']} is missing")
        elif person.id_number_index != index:
            violations.append(f"person {ack['person_id']} is not the one acknowledged")
        if by_index[index] != 1:
            violations.append(f"{by_index[index]} rows for acknowledged ID number {ack['key']}")
    duplicates = sum(1 for count in by_index.values() if count > 1)
    if duplicates:
        violations.append(f"{duplicates} ID numbers stored more than once")
    acked_ids = {ack["person_id"] for ack in acks}
    unacknowledged = sorted(set(persons) - acked_ids)
    if unacknowledged:
        violations.append(f"{len(unacknowledged)} persons written but never acknowledged")

    records = Counter(
        IdempotencyRecord.objects.filter(principal=principal).values_list("key", flat=True)
    )
    completed = dict(
        IdempotencyRecord.objects.filter(principal=principal, status="completed").values_list(
            "key", "response_status"
        )
    )
    for ack in acks:
        if records[ack["key"]] != 1:
            violations.append(f"{records[ack['key']]} idempotency records for key {ack['key']}")
        elif completed.get(ack["key"]) != 201:
            violations.append(f"idempotency record for key {ack['key']} is not a completed 201")
    extra_records = sorted(set(records) - {ack["key"] for ack in acks})
    if extra_records:
        violations.append(f"{len(extra_records)} idempotency records for unacknowledged keys")

    registered = Counter(
        LedgerEntry.objects.filter(action="accounts.person.registered").values_list(
            "object_id", flat=True
        )
    )
    for person_id in persons:
        if registered[str(person_id)] != 1:
            violations.append(
                f"{registered[str(person_id)]} ledger registrations for person {person_id}"
            )
    return {
        "acknowledged": len(acks),
        "persons": len(persons),
        "duplicate_id_numbers": duplicates,
        "idempotency_records": sum(records.values()),
        "ledger_registrations": sum(registered.values()),
        "ledger_entries": LedgerEntry.objects.count(),
        "violations": violations,
    }


def main() -> int:
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed()))
        return 0
    if command == "verify":
        data = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        result = verify(data["acks"], data["principal"])
        print(json.dumps(result, ensure_ascii=False))
        return 1 if result["violations"] else 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    raise SystemExit(main())
