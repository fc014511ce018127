"""SVG snapshots of the dashboard at 80x24 and 120x40 over the fixed store.

Plain `def` tests: snap_compare runs its own event loop. After a deliberate change of the
look, regenerate with `pytest tests/tui --snapshot-update` and commit the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import cw_dashboard, dashboard, painted, shown, until

SIZES = [(80, 24), (120, 40)]
Snap = Callable[..., bool]


def _then(
    *keys: str, wait_for: tuple[str, str] | None = None
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await painted(pilot)
        await pilot.press(*keys)
        if wait_for is not None:
            selector, text = wait_for
            await until(pilot, lambda: text in shown(pilot.app, selector), text)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare: Snap, world: Path, size: tuple[int, int]) -> None:
    assert snap_compare(dashboard(world), terminal_size=size, run_before=_then())


@pytest.mark.parametrize("size", SIZES)
def test_alerts_pane(snap_compare: Snap, world: Path, size: tuple[int, int]) -> None:
    assert snap_compare(dashboard(world), terminal_size=size, run_before=_then("tab"))


@pytest.mark.parametrize("size", SIZES)
def test_learner_detail(snap_compare: Snap, world: Path, size: tuple[int, int]) -> None:
    run_before = _then("tab", "tab", "up", "enter", wait_for=("#detail-body", "Validation"))
    assert snap_compare(dashboard(world), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_resync_dialog(snap_compare: Snap, world: Path, size: tuple[int, int]) -> None:
    run_before = _then("y", wait_for=("#resync-preview", "Xero calls"))
    assert snap_compare(dashboard(world), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_connectwise_streams(snap_compare: Snap, cw_world: Path, size: tuple[int, int]) -> None:
    run_before = _then("f", "down", "enter", wait_for=("#streams-summary", "▸invoices◂"))
    assert snap_compare(cw_dashboard(cw_world), terminal_size=size, run_before=run_before)
