"""Fixtures for the dashboard tests: the fixed store, its settings and clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.tui.cw_world import build_connectwise_world
from tests.tui.world import build_world


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """The path of a store built with fixed content and timestamps, a daemon attached."""
    path = tmp_path / "xerowatch.db"
    asyncio.run(build_world(path))
    return path


@pytest.fixture
def quiet_world(tmp_path: Path) -> Path:
    """The same store with no daemon holding its lease."""
    path = tmp_path / "xerowatch.db"
    asyncio.run(build_world(path, daemon=False))
    return path


@pytest.fixture
def cw_world(tmp_path: Path) -> Path:
    """A store the ConnectWise streams filled, a daemon attached."""
    path = tmp_path / "xerowatch.db"
    asyncio.run(build_connectwise_world(path))
    return path
