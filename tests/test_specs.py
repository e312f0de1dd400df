"""The specification files under tests/specs/ are unchanged copies of the shared originals."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIES = ROOT / "tests" / "specs"
SHARED = ROOT.parent / "shared" / "specs"


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def test_the_open311_files_are_all_there() -> None:
    names = {p.name for p in _files(COPIES / "open311-georeport-v2")}
    assert {"swagger.json", "request.json", "service.json", "service-definition.json"} <= names


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared specs are not next to this checkout")
def test_each_copy_equals_the_shared_original() -> None:
    folder = COPIES / "open311-georeport-v2"
    for name in _files(folder):
        assert (folder / name).read_bytes() == (SHARED / "open311-georeport-v2" / name).read_bytes()
