"""Architecture rules that must not erode: only xerowatch/tui imports textual."""

from __future__ import annotations

import ast
import re
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


# The only product module that may reach the simulators: the demo's wiring.
SIM_USERS = {"cli/demo_cmds.py"}
# What the simulators may import from the package besides themselves: the injectable clock
# that tests drive both sides with. Never the client code they are meant to check.
SIM_MAY_IMPORT = {"sim", "clock"}


def test_nothing_but_the_demo_wiring_depends_on_the_simulators() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "sim" or rel.as_posix() in SIM_USERS:
            continue
        text = path.read_text("utf-8")
        if "xerowatch.sim" in text:
            offenders.append(str(rel))
    assert offenders == [], f"production code depends on the simulators: {offenders}"


def _sim_offenders(package: Path) -> list[str]:
    return [
        f"{path.relative_to(package.parent)} imports {target}"
        for path in sorted((package / "sim").rglob("*.py"))
        for target in sorted(_imported_parts(path) - SIM_MAY_IMPORT)
    ]


def test_the_simulators_import_no_product_code() -> None:
    assert _sim_offenders(PACKAGE) == []


def test_the_simulator_check_sees_a_product_import(tmp_path: Path) -> None:
    (tmp_path / "sim" / "xero").mkdir(parents=True)
    (tmp_path / "sim" / "xero" / "where.py").write_text(
        "from xerowatch.sim.xero.dates import parse_instant\n"
        "from xerowatch.clock import Clock\n"
        "from xerowatch.xero.dates import parse_xero_datetime\n"
    )
    assert _sim_offenders(tmp_path) == [f"{tmp_path.name}/sim/xero/where.py imports xero"]


# Which top-level parts of the package each part may import (docs/architecture.md, "Layers").
# Shared modules (config and its ConnectWise section, clock, logs, and records: the learner and
# transaction records every layer speaks) may be imported by anyone.
SHARED = {"config", "config_connectwise", "clock", "logs", "records"}
MAY_IMPORT: dict[str, set[str]] = {
    "store": set(),
    "oauth": {"store"},
    "xero": {"oauth", "store"},
    "source": {"oauth", "store"},
    "sync": {"xero", "source", "oauth", "store"},
    "wiring": {"sync", "xero", "source", "oauth", "store"},
    "daemon": {"wiring", "sync", "xero", "source", "oauth", "store"},
    "tui": {"daemon", "wiring", "sync", "xero", "source", "oauth", "store"},
    "cli": {"tui", "daemon", "wiring", "sync", "xero", "source", "oauth", "store", "sim"},
    "sim": set(),
    "__main__": {"cli"},
    "__init__": set(),
    **{name: set() for name in SHARED},
}
# Arrows that run the wrong way today, each to be removed (issue 11); a new one fails the test.
KNOWN_DEVIATIONS: set[tuple[str, str]] = set()


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


# SQL lives in xerowatch/store/ only. Modules that still hold some (issue 11) would be listed
# here until emptied into the store (none are left); a new one fails the test.
SQL_OUTSIDE_STORE: set[str] = set()
_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+\s*(=|\(|$))",
    re.DOTALL,  # keywords in capitals, as all of the store's SQL is: prose stays prose
)


def _sql_lines(path: Path) -> list[int]:
    """Lines of string literals (docstrings aside) that read as SQL statements."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and _SQL.search(node.value):
                found.add(node.lineno)
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, values as "x"
            text = "".join(
                str(part.value) if isinstance(part, ast.Constant) else "x" for part in node.values
            )
            if _SQL.search(text):
                found.add(node.lineno)
    return sorted(found)


def test_sql_only_in_the_store() -> None:
    offenders = [
        f"{rel} line {_sql_lines(path)[0]}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if (rel := str(path.relative_to(PACKAGE.parent))).split("/")[1] != "store"
        and rel not in SQL_OUTSIDE_STORE
        and _sql_lines(path)
    ]
    assert offenders == [], (
        f"SQL outside xerowatch/store/ (move it into a store module): {offenders}"
    )


def test_the_modules_left_with_sql_still_have_it() -> None:
    """A module emptied of SQL is taken off the list, so SQL cannot come back there unnoticed."""
    stale = sorted(rel for rel in SQL_OUTSIDE_STORE if not _sql_lines(PACKAGE.parent / rel))
    assert stale == [], f"remove from SQL_OUTSIDE_STORE: {stale}"


def test_the_sql_check_sees_statements_but_not_prose(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        '"""Reads SELECT x FROM y in a docstring: prose, not a statement."""\n'
        'HELP = "PRAGMA quick_check: faster, skips index contents."\n'
        'URL = "DELETE /connections/{id}"\n'
        'A = "select an active resync (p pauses syncing from the other panes)"\n'
        "B = (\n"
        '    f"UPDATE webhook_events SET processed_at = ? "\n'
        '    f"WHERE id IN ({marks})"\n'
        ")\n"
        'C = "INSERT OR IGNORE INTO t VALUES (1)"\n'
        'D = "PRAGMA foreign_keys = ON"\n'
    )
    assert _sql_lines(sample) == [6, 9, 10]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_oauth_reaches_the_store_only_through_its_token_records() -> None:
    """oauth/ keeps tokens through the TokenStore protocol; of the store it knows the records."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in sorted((PACKAGE / "oauth").rglob("*.py"))
        for module in _imported_modules(path)
        if module.startswith("xerowatch.store") and module != "xerowatch.store.tokens"
    ]
    assert offenders == []


def test_the_token_managers_depend_on_the_token_store_protocol_not_on_store_modules() -> None:
    """Issue 11 item 4: xero/auth.py (and Wisenet's OAuth) take a TokenStore, like transport.py
    takes a TokenSource, so neither imports a store module."""
    managers = [PACKAGE / "xero" / "auth.py", PACKAGE / "source" / "wisenet" / "oauth.py"]
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in managers
        for module in _imported_modules(path)
        if module.startswith("xerowatch.store")
    ]
    assert offenders == []


def test_wisenet_oauth_and_its_cli_do_not_import_xero() -> None:
    """Wisenet's login and token refresh are the OAuth package's, not borrowed from Xero's."""
    paths = [*sorted((PACKAGE / "source" / "wisenet").rglob("*.py"))]
    paths.append(PACKAGE / "cli" / "wisenet_cmds.py")
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in paths
        for module in _imported_modules(path)
        if module.startswith(("xerowatch.xero", "xerowatch.cli.auth_cmds"))
    ]
    assert offenders == []
