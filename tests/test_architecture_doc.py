"""docs/architecture.md is the map: every module and package it names exists in the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xerowatch"
NAMED = re.compile(r"`((?:[a-z_]+/)+(?:[a-z_0-9]+\.py)?)`")


def named_paths(text: str) -> list[str]:
    """The package-relative paths a document names in backticks (`store/links.py`, `oauth/`)."""
    return [m.group(1) for m in NAMED.finditer(text)]


def test_the_pattern_finds_modules_and_packages() -> None:
    assert named_paths("see `store/links.py` and `oauth/`, not `xerowatch tui`") == [
        "store/links.py",
        "oauth/",
    ]


def test_every_module_the_architecture_names_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    named = named_paths(text)
    assert len(named) > 40  # the map names the modules a maintainer reads first
    missing = [p for p in named if not (PACKAGE / p).exists() and not (ROOT / p).exists()]
    assert missing == [], f"docs/architecture.md names what the tree does not hold: {missing}"


def test_every_package_is_on_the_map() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    absent = [name for name in packages if f"{name}/" not in text]
    assert absent == [], f"packages missing from docs/architecture.md: {absent}"
