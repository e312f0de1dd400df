"""免提交: data other departments hold about the applicant, used instead of paper.

The provider reads ``SharedRecord`` rows of a subject: a person (by the blind index of his ID
number) or an enterprise (by its USCC). Every read of a person's record is logged in the audit
ledger as ``personal_data.read`` with the subject's person id and the purpose (申请事由), so that
the citizen's data vault can list who used his data and why. When the data platform (datahub) and
the e-licence app arrive they replace this provider behind the same functions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from yiwang.accounts.models import Enterprise, Person
from yiwang.cases.models import SharedRecord
from yiwang.core.ledger import record_event

PERSONAL_DATA_READ = "personal_data.read"


def actor_of(user: Any) -> str:
    if user is None:
        return "system"
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}"


def subject_indexes(person: Person | None, enterprise: Enterprise | None = None) -> list[str]:
    found = []
    if person is not None:
        found.append(person.id_number_index)
    if enterprise is not None:
        found.append(enterprise.uscc)
    return found


def records_of(
    person: Person | None, enterprise: Enterprise | None = None, *, kind: str | None = None
) -> list[SharedRecord]:
    """The subject's shared records (unlogged listing of titles; reading payloads logs)."""
    qs = SharedRecord.objects.filter(subject_index__in=subject_indexes(person, enterprise))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.select_related("provider").order_by("dataset", "id"))


def log_read(actor: Any, record: SharedRecord, person: Person | None, purpose: str) -> None:
    """Record that ``actor`` read ``record`` about ``person`` for ``purpose``."""
    payload = {
        "shared_record_id": record.pk,
        "dataset": record.dataset,
        "field": f"shared:{record.dataset}",
        "purpose": purpose,
    }
    if person is not None and record.subject_index == person.id_number_index:
        payload["subject_person_id"] = person.pk
        object_type, object_id = "accounts.person", str(person.pk)
    else:
        payload["subject"] = record.subject_index
        object_type, object_id = "cases.sharedrecord", str(record.pk)
    record_event(
        actor=actor_of(actor) if not isinstance(actor, str) else actor,
        action=PERSONAL_DATA_READ,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )


def find_record(
    person: Person | None,
    enterprise: Enterprise | None,
    *,
    dataset: str = "",
    record_id: int | None = None,
    licence_id: str = "",
    kind: str | None = None,
) -> SharedRecord | None:
    """One record of the subject (never another's), by id, dataset or licence id."""
    qs = SharedRecord.objects.filter(subject_index__in=subject_indexes(person, enterprise))
    if kind:
        qs = qs.filter(kind=kind)
    if record_id is not None:
        qs = qs.filter(pk=record_id)
    if dataset:
        qs = qs.filter(dataset=dataset)
    if licence_id:
        qs = qs.filter(licence_id=licence_id)
    return qs.order_by("-updated_at", "-id").first()


def read_record(
    actor: Any, person: Person | None, record: SharedRecord, purpose: str
) -> dict[str, Any]:
    """The record's payload, with the read logged."""
    log_read(actor, record, person, purpose)
    return dict(record.payload or {})


def shared_value(
    actor: Any,
    person: Person | None,
    enterprise: Enterprise | None,
    source: str,
    purpose: str,
) -> Any:
    """The value for a field source ``shared:<dataset>.<field>``; None when the subject has no
    such record. Logs the read."""
    spec = source.removeprefix("shared:")
    dataset, _dot, field = spec.partition(".")
    record = find_record(person, enterprise, dataset=dataset)
    if record is None:
        return None
    payload = read_record(actor, person, record, purpose)
    value: Any = payload
    for part in field.split(".") if field else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def datasets_available(person: Person | None, enterprise: Enterprise | None) -> set[str]:
    return set(
        SharedRecord.objects.filter(
            Q(subject_index__in=subject_indexes(person, enterprise))
        ).values_list("dataset", flat=True)
    )
