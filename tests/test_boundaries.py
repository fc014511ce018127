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


# Which top-level parts of the package each part may import (docs/architecture.md, "Layers").
# Shared modules (config, clock, logs) may be imported by anyone.
SHARED = {"config", "config_connectwise", "clock", "logs"}
MAY_IMPORT: dict[str, set[str]] = {
    "store": set(),
    "xero": {"store"},
    "source": {"store"},
    "sync": {"xero", "source", "store"},
    "wiring": {"sync", "xero", "source", "store"},
    "daemon": {"wiring", "sync", "xero", "source", "store"},
    "tui": {"daemon", "wiring", "sync", "xero", "source", "store"},
    "cli": {"tui", "daemon", "wiring", "sync", "xero", "source", "store", "sim"},
    "sim": set(),
    "__main__": {"cli"},
    "__init__": set(),
    **{name: set() for name in SHARED},
}
# Arrows that run the wrong way today, each to be removed (issue 11); a new one fails the test.
KNOWN_DEVIATIONS = {
    ("xerowatch/store/learners.py", "source"),
    ("xerowatch/store/transactions.py", "source"),
    ("xerowatch/sim/xero/listing.py", "xero"),
    ("xerowatch/sim/xero/state.py", "xero"),
    ("xerowatch/sim/xero/where.py", "xero"),
}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "xerowatch" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_imports_follow_the_layer_table() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _part(path)
        allowed = MAY_IMPORT[source] | SHARED | {source}
        rel = str(path.relative_to(PACKAGE.parent))
        for target in _imported_parts(path) - allowed:
            if (rel, target) not in KNOWN_DEVIATIONS:
                offenders.append(f"{rel} imports {target}")
    assert offenders == [], f"imports against the layer table: {offenders}"


def test_the_known_deviations_still_exist() -> None:
    """A deviation that was fixed is taken off the list, so it cannot come back unnoticed."""
    stale = [
        f"{rel} -> {target}"
        for rel, target in sorted(KNOWN_DEVIATIONS)
        if target not in _imported_parts(PACKAGE.parent / rel)
    ]
    assert stale == [], f"remove from KNOWN_DEVIATIONS: {stale}"
