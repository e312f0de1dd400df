"""Demo data for cases (seeder order 40, after accounts 10, catalogue 20, workflow 30).

- Shared records (免提交) of the demo citizen 张伟 (``zhangwei``): the 出生医学证明 of his newborn
  张小宝 (示范市妇幼保健院) and his household's 户口簿. His 结婚证 is a real signed e-licence
  (``yiwang.licences.demo``, seeded before this), offered on the 出生登记 form (一证通办); the
  licence-reference record older demo databases hold for it is removed when nothing uses it.
- A few cases of demo items in different states (submitted, in review with yellow and red
  warnings, correction, completed) — each skipped when its item or the engine is missing.

Idempotent: records are looked up by their natural key; cases are made only once (marked by a
``demo`` flag in their first event's data).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import Department, User
from yiwang.cases.models import Case, CaseEvent, CaseMaterial, SharedRecord


def _department(short_name: str) -> Department | None:
    return Department.objects.filter(short_name=short_name).first()


def seed_shared_records() -> int:
    user = User.objects.filter(username="zhangwei").select_related("person").first()
    person = getattr(user, "person", None) if user else None
    wjw, ga = _department("市卫健委"), _department("市公安局")
    if person is None or not (wjw and ga):
        return 0
    born = timezone.localdate() - dt.timedelta(days=12)
    records: list[dict[str, Any]] = [
        {
            "kind": SharedRecord.Kind.DATA,
            "dataset": "birth_medical_certificate",
            "title": "出生医学证明（张小宝）",
            "licence_id": "",
            "provider": wjw,
            "payload": {
                "child_name": "张小宝",
                "child_sex": "男",
                "birth_date": born.isoformat(),
                "birth_place": "示范市东湖区",
                "hospital": "示范市妇幼保健院",
                "father_name": person.name,
                "mother_name": "李娜",
                "certificate_no": f"Q33{born:%y}{person.pk:06d}",
            },
        },
        {
            "kind": SharedRecord.Kind.DATA,
            "dataset": "hukou",
            "title": "居民户口簿（张伟户）",
            "licence_id": "",
            "provider": ga,
            "payload": {
                "householder": person.name,
                "address": person.address,
                "registration_authority": "示范市公安局东湖分局湖滨派出所",
                "members": [
                    {"name": person.name, "relation": "户主"},
                    {"name": "李娜", "relation": "妻"},
                ],
            },
        },
    ]
    created = 0
    for spec in records:
        _obj, made = SharedRecord.objects.get_or_create(
            dataset=spec["dataset"],
            subject_index=person.id_number_index,
            licence_id=spec["licence_id"],
            defaults={k: spec[k] for k in ("kind", "title", "provider", "payload")},
        )
        created += int(made)
    # Replaced by the 结婚证 e-licence: drop the old reference unless a case material points at it.
    SharedRecord.objects.filter(
        kind=SharedRecord.Kind.LICENCE, subject_index=person.id_number_index
    ).exclude(
        pk__in=CaseMaterial.objects.filter(shared_record__isnull=False).values("shared_record")
    ).delete()
    return created


def seed_demo_cases() -> int:
    """A handful of cases in different states, for published demo items that exist."""
    if CaseEvent.objects.filter(data__demo=True).exists():
        return 0
    try:
        from yiwang.cases.demo_cases import make_demo_cases
    except ImportError:  # pragma: no cover
        return 0
    return make_demo_cases()


@transaction.atomic
def seed_cases() -> dict[str, int]:
    if not settings.YIWANG_DEMO:
        return {}
    result = {"shared records": seed_shared_records()}
    result["demo cases"] = seed_demo_cases()
    return {k: v for k, v in result.items() if v}


__all__ = ["Case", "seed_cases"]
