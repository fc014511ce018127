"""The dashboard attached to a real daemon in another process: it sees the daemon's changes,
its keys go through the daemon, and its figures are `xerowatch status --json`'s."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.daemon_world import DaemonWorld, cli, running_daemon, wait_for
from tests.tui.helpers import commands_in, shown, wait_until
from xerowatch.config import load_settings
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.tui.app import DashboardApp
from xerowatch.tui.widgets.history import HistoryPane

WAIT_S = 45.0


def _awkward_and_plain(wisenet: WisenetSim) -> None:
    wisenet.seed_awkward()  # learners that fail validation: something to retry
    wisenet.seed_learners(20)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DaemonWorld]:
    with running_daemon(
        tmp_path, seed=7, tenant="Attach RTO", seed_wisenet=_awkward_and_plain
    ) as running:
        yield running


def _status(config: Path) -> dict[str, object]:
    done = cli(config, "status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_attached_dashboard_sees_the_daemon_and_its_retry_goes_through(world: DaemonWorld) -> None:
    wait_for(lambda: _status(world.config)["daemon"] is not None, "the daemon's lease")
    wait_for(
        lambda: dict(_status(world.config)["pending"])["failed"] > 0,  # type: ignore[call-overload]
        "the awkward learners to fail validation",
    )
    settings = load_settings(world.config)
    app = DashboardApp(settings, world.config, mode="auto")

    async def drive() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await asyncio.wait_for(app.painted.wait(), WAIT_S)
            header = shown(app, "#header")
            assert f"attached to pid {world.daemon.pid}" in header, header

            # The same figures as `xerowatch status --json`, read at the same moment.
            await wait_until(lambda: app.overview is not None, "the overview")
            status = _status(world.config)
            assert app.overview is not None
            assert json.loads(json.dumps(app.overview.to_json()["pending"])) == status["pending"]
            assert app.overview.learners_total == status["learners"]

            # A change the daemon makes shows up: a new learner is read and pushed to Xero.
            new_id = world.wisenet.data.add_learner(
                first_name="Nadia", last_name="Okafor", email="nadia.okafor@example.com"
            )
            new_ref = f"DAU{new_id:07d}"
            await pilot.press("tab", "tab")  # the history pane: a live tail
            pane = app.screen.query_one(HistoryPane)
            await wait_until(
                lambda: any(e.record == new_ref for e in pane.entries), "the new learner's push"
            )

            # r on a failed learner: the daemon carries the retry out and the screen says so.
            await pilot.press("shift+tab", "shift+tab")  # back to the pending pane
            await pilot.press("r")
            await wait_until(
                lambda: any(kind == "retry" for kind, _, _ in commands_in(settings.store.path)),
                "the retry command",
            )
            await wait_until(lambda: "done" in shown(app, "#command"), "the retry to be done")
            assert "queued for its next push" in shown(app, "#command")
            await pilot.press("q")  # attached: the daemon keeps running

    asyncio.run(drive())
    assert world.daemon.poll() is None, "quitting an attached dashboard stopped the daemon"
    world.daemon.send_signal(signal.SIGTERM)
    assert world.daemon.wait(timeout=20) == 0
