"""Architecture rules that must not erode: only xerowatch/tui imports textual."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xerowatch"


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_tui_imports_textual() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts[:1] and "textual" in _imported_roots(path)
    ]
    assert offenders == [], f"textual imported outside xerowatch/tui/: {offenders}"


def test_boundary_check_detects_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from textual.app import App\nimport textual.widgets\n")
    assert "textual" in _imported_roots(sample)


def test_nothing_outside_sim_depends_on_the_simulators() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in {"sim", "cli"} or rel.name == "demo.py":
            continue
        text = path.read_text("utf-8")
        if "xerowatch.sim" in text:
            offenders.append(str(rel))
    assert offenders == [], f"production code depends on the simulators: {offenders}"
