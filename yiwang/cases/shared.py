"""免提交: data other departments hold about the applicant, and his e-licences, used instead of
paper.

Shared data: ``SharedRecord`` rows of a subject, a person (by the blind index of his ID number)
or an enterprise (by its USCC). Every read of a person's record is logged in the audit ledger as
``personal_data.read`` with the subject's person id and the purpose (申请事由), so that the
citizen's data vault can list who used his data and why. The data platform (datahub) will replace
this provider behind the same functions.

E-licences (一证通办): the licences app registers a ``LicenceProvider`` in its ``AppConfig.ready``
(``register_licence_provider``), so that cases checks and records a licence given as a material
without importing the licences app (which imports cases). The provider refuses a licence with a
typed ``DomainError``: ``licence_not_owned``, ``licence_type_mismatch``, ``licence_revoked``,
``licence_expired``; recording a use writes the ``personal_data.read`` ledger entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.db.models import Q
from django.utils.translation import gettext as _

from yiwang.accounts.models import Enterprise, Person
from yiwang.cases.models import Case, SharedRecord
from yiwang.core.errors import Conflict
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


# --- e-licences (一证通办) -------------------------------------------------------------------------

PURPOSE_MAX = 200


class LicenceProvider(Protocol):
    """What cases needs from an e-licence registry."""

    def find_for_material(
        self, person: Person | None, enterprise: Enterprise | None, licence_id: str, type_code: str
    ) -> tuple[str, str]:
        """``(licence_id, title)`` of the subject's usable licence of ``type_code``; raises a
        ``DomainError`` (``licence_not_owned``, ``licence_type_mismatch``, ``licence_revoked``,
        ``licence_expired``) when it may not stand in for the material. Reads no document."""
        ...

    def record_use(self, actor: Any, licence_id: str, case: Case, purpose: str) -> None:
        """Record that ``case`` used the licence, for ``purpose`` (in the holder's vault and the
        ledger as ``personal_data.read``)."""
        ...

    def options_for(
        self, person: Person | None, enterprise: Enterprise | None, type_code: str
    ) -> list[tuple[str, str]]:
        """``[(licence_id, "<type name> <licence id>")]`` of the subject's usable licences of
        ``type_code`` (a listing: nothing is read, nothing logged)."""
        ...


_licence_provider: LicenceProvider | None = None


def register_licence_provider(provider: LicenceProvider) -> None:
    """Make ``provider`` the e-licence registry cases asks (one; a second call replaces it)."""
    global _licence_provider
    _licence_provider = provider


def unregister_licence_provider(provider: LicenceProvider) -> None:
    global _licence_provider
    if _licence_provider is provider:
        _licence_provider = None


def licence_provider() -> LicenceProvider | None:
    return _licence_provider


def _require_provider() -> LicenceProvider:
    if _licence_provider is None:
        raise Conflict("licence_unavailable", _("电子证照服务暂不可用，请上传材料。"))
    return _licence_provider


def find_licence_for_material(
    person: Person | None, enterprise: Enterprise | None, licence_id: str, type_code: str
) -> tuple[str, str]:
    """The licence ``(id, title)`` that satisfies a material of ``type_code``; DomainError if not."""
    return _require_provider().find_for_material(person, enterprise, licence_id, type_code)


def licence_purpose(case: Case) -> str:
    """申请事由 of a licence used as a material, bound to the case: 办理<事项>（办件 <number>）."""
    tail = f"（办件 {case.number}）"
    target = case.item or case.bundle
    name = target.name if target is not None else ""
    room = PURPOSE_MAX - len("办理") - len(tail)
    if len(name) > room:
        name = name[: max(room - 1, 0)] + "…"
    return f"办理{name}{tail}"


def record_licence_use(actor: Any, licence_id: str, case: Case) -> None:
    """Record the use of a licence given as a material of ``case`` (purpose bound to it)."""
    _require_provider().record_use(actor, licence_id, case, licence_purpose(case))


def licence_options(
    person: Person | None, enterprise: Enterprise | None, type_codes: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """Per licence type code, the subject's usable licences to offer on the apply form."""
    provider = _licence_provider
    codes = sorted({c for c in type_codes if c})
    if provider is None or (person is None and enterprise is None):
        return {}
    found = {code: provider.options_for(person, enterprise, code) for code in codes}
    return {code: options for code, options in found.items() if options}
