"""The taxonomy (data/taxonomy.json) in the database: ``sync_categories()`` creates and updates
``Category`` rows from the file and deactivates codes the file no longer has. Idempotent: a second
run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from yiwang.core.ledger import record_event
from yiwang.hotline import taxonomy
from yiwang.hotline.models import Category


@dataclass(frozen=True)
class SyncReport:
    created: int
    updated: int
    deactivated: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


def _values(node: taxonomy.Category) -> dict[str, object]:
    return {
        "name": node.name,
        "level": node.level,
        "department_key": node.department,
        "limit_amount": node.limit.amount if node.limit else None,
        "limit_unit": node.limit.unit if node.limit else "",
        "keywords": list(node.keywords),
        "not_accepted": node.not_accepted,
        "referral": node.referral,
        "is_active": True,
    }


@transaction.atomic
def sync_categories(path: Path | str | None = None) -> SyncReport:
    """Bring ``Category`` in line with the taxonomy file (the shipped one by default)."""
    tree = taxonomy.load(path)
    existing = {c.code: c for c in Category.objects.select_for_update()}
    created = updated = 0
    for level in taxonomy.LEVELS:
        new: list[Category] = []
        changed: list[Category] = []
        for code, node in sorted(tree.by_code.items()):
            if node.level != level:
                continue
            values = _values(node)
            parent = existing[node.parent] if node.parent else None
            row = existing.get(code)
            if row is None:
                new.append(Category(code=code, parent=parent, **values))
                continue
            if row.parent_id != (parent.pk if parent else None) or any(
                getattr(row, k) != v for k, v in values.items()
            ):
                row.parent = parent
                for k, v in values.items():
                    setattr(row, k, v)
                changed.append(row)
        for row in Category.objects.bulk_create(new):
            existing[row.code] = row
        if not all(row.pk for row in new):  # pragma: no cover - backends without RETURNING
            existing.update(
                {c.code: c for c in Category.objects.filter(code__in=[r.code for r in new])}
            )
        if changed:
            Category.objects.bulk_update(
                changed, ["parent", *_values(tree.by_code[changed[0].code])]
            )
        created += len(new)
        updated += len(changed)
    gone = [c.pk for code, c in existing.items() if code not in tree.by_code and c.is_active]
    if gone:
        Category.objects.filter(pk__in=gone).update(is_active=False)
    report = SyncReport(created, updated, len(gone))
    if report.changed:
        record_event(
            actor="system",
            action="hotline.categories.sync",
            object_type="hotline.category",
            payload={"created": created, "updated": updated, "deactivated": len(gone)},
        )
    return report
