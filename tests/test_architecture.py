"""Import rules of DESIGN.md, checked on the source tree.

- ``core`` imports no other Yiwang app.
- models import no services/selectors/views/api; services and selectors import no views/api.
- an app may use another app's services/selectors/models, never its views/api/forms.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "yiwang"
ADAPTER_MODULES = {"views", "api", "forms", "urls", "admin"}
LOWER_LAYERS = {"models", "services", "selectors"}


def _modules() -> list[Path]:
    return [
        p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts
    ]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [n for n in names if n.startswith("yiwang.")]


def _app_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


def _layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[1].removesuffix(".py") if len(rel) > 1 else ""


def test_core_imports_no_other_app() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in _modules()
        if _app_of(p) == "core"
        for name in _imports(p)
        if name.split(".")[1] != "core"
    ]
    assert offenders == []


def test_lower_layers_never_import_adapters() -> None:
    offenders = []
    for p in _modules():
        if _layer_of(p) not in LOWER_LAYERS:
            continue
        for name in _imports(p):
            parts = name.split(".")
            if len(parts) > 2 and parts[2] in ADAPTER_MODULES:
                offenders.append(f"{p.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_apps_use_each_other_only_through_services_selectors_and_models() -> None:
    offenders = []
    for p in _modules():
        own = _app_of(p)
        for name in _imports(p):
            parts = name.split(".")
            if len(parts) > 2 and parts[1] != own and parts[2] in ADAPTER_MODULES:
                offenders.append(f"{p.relative_to(ROOT)} imports {name}")
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("from yiwang.accounts import models\n", test_core_imports_no_other_app),
    ],
)
def test_the_rules_catch_a_violation(tmp_path, monkeypatch, source, rule) -> None:
    """The checks above are not vacuous: a planted bad import in core makes them fail."""
    fake_root = tmp_path
    fake_pkg = fake_root / "yiwang" / "core"
    fake_pkg.mkdir(parents=True)
    (fake_pkg / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGE", fake_root / "yiwang")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", fake_root)
    with pytest.raises(AssertionError):
        rule()
