"""Demo data for e-licences (seeder order 25: after the catalogue, before the demo cases)."""

from __future__ import annotations

from typing import Any


def seed_licences() -> dict[str, int]:
    return {}


__all__: list[Any] = ["seed_licences"]
