"""A registry of demo-data seeders, so that ``seed_demo`` can load every app's demo data without
the lower apps importing the higher ones.

Each app registers its seeder in ``AppConfig.ready``::

    from yiwang.core.demo import register_seeder
    register_seeder("catalog", seed_catalog, order=20)

``run_seeders()`` calls them in ``order`` (accounts is 10; catalogue 20; licences 25; workflow 30; cases 40 …);
each returns a mapping of "what" → number created, which ``seed_demo`` prints. Seeders must be
idempotent: ``make run`` calls them on every start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Seeder = Callable[[], Mapping[str, int] | None]


@dataclass(frozen=True)
class _Registered:
    name: str
    seeder: Seeder
    order: int


_SEEDERS: dict[str, _Registered] = {}


def register_seeder(name: str, seeder: Seeder, *, order: int = 50) -> None:
    """Register (or replace) the demo seeder called ``name``."""
    _SEEDERS[name] = _Registered(name, seeder, order)


def registered_seeders() -> list[str]:
    return [r.name for r in sorted(_SEEDERS.values(), key=lambda r: (r.order, r.name))]


def run_seeders(*, exclude: tuple[str, ...] = ()) -> dict[str, int]:
    """Run every registered seeder in order; the counts of what each created, merged."""
    created: dict[str, int] = {}
    for registered in sorted(_SEEDERS.values(), key=lambda r: (r.order, r.name)):
        if registered.name in exclude:
            continue
        for what, count in (registered.seeder() or {}).items():
            created[what] = created.get(what, 0) + count
    return created
