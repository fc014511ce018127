"""The dashboard stays live: other writers' changes, commands' lives, attach and embed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.tui import helpers
from tests.tui.helpers import WAIT_S, commands_in, dashboard, painted, rows, shown, until
from tests.tui.world import CONTACT_ID, NOW, TENANT
from xerowatch.clock import SystemClock
from xerowatch.store import alerts, command_queue, links, runtime_state
from xerowatch.store.db import open_store
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.tenants import TenantInfo, upsert_tenants


async def test_a_change_by_another_connection_shows_without_a_key(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        other = await open_store(world)
        try:
            await alerts.raise_alert(other, "xero_auth", "Xero refused the token", fix="reconnect")
            await record(other, HistoryEntry("DAU0001009", "create", "ok", "to_xero", "", "new"))
        finally:
            await other.close()
        await until(pilot, lambda: "Alerts 5" in shown(app, "#tabs"), "the new alert")
        await pilot.press("tab", "tab")
        await until(
            pilot, lambda: rows(app, "#history-table")[-1][2] == "DAU0001009", "the new row"
        )


async def test_a_command_shows_accepted_running_and_its_result(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("s")
        await until(pilot, lambda: "waiting for the daemon" in shown(app, "#command"), "accepted")
        daemon = await open_store(world)  # what the daemon's command loop does
        try:
            claimed = await command_queue.claim_next(daemon)
            assert claimed is not None and claimed.kind == "sync_now"
            await until(pilot, lambda: "running…" in shown(app, "#command"), "running")
            await command_queue.complete(daemon, claimed.id, ok=True, result="sync started")
            await until(pilot, lambda: "done: sync started" in shown(app, "#command"), "done")
            await runtime_state.set_paused(daemon, True)
        finally:
            await daemon.close()
        await until(pilot, lambda: "paused" in shown(app, "#header"), "the pause")
        await pilot.press("p")  # paused: p resumes
        await until(pilot, lambda: len(commands_in(world)) == 2, "resume")
        assert commands_in(world)[1][:2] == ("resume", {})


async def test_a_failed_command_says_why(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("r")
        daemon = await open_store(world)
        try:
            await until(pilot, lambda: len(commands_in(world)) == 1, "the retry")
            claimed = await command_queue.claim_next(daemon)
            assert claimed is not None
            await command_queue.complete(
                daemon, claimed.id, ok=False, result="no learner DAU0001005"
            )
        finally:
            await daemon.close()
        await until(pilot, lambda: "FAILED: no learner" in shown(app, "#command"), "failed")


async def test_attach_only_without_a_daemon_exits_1_saying_what_to_run(quiet_world: Path) -> None:
    app = dashboard(quiet_world)
    app.mode = "attach"
    async with app.run_test() as pilot:
        await pilot.pause()
    assert app.return_code == 1
    assert app.runner is None and app.host.mode == "starting"


async def test_embedded_only_with_a_daemon_exits_3(world: Path) -> None:
    app = dashboard(world)
    app.mode = "embedded"
    async with app.run_test() as pilot:
        await pilot.pause()
    assert app.return_code == 3


async def test_embedded_daemon_runs_and_q_stops_it_cleanly(
    quiet_world: Path, tmp_path: Path
) -> None:
    app = dashboard(quiet_world, log_file=tmp_path / "tui.log")
    app.clock = SystemClock()  # the daemon's lease heartbeats on the real clock
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await until(pilot, lambda: app.runner is not None, "the embedded daemon")
        await until(pilot, lambda: "embedded (pid" in shown(app, "#header"), "the header")
        await pilot.press("q")
        await until(pilot, lambda: "stopping…" in shown(app, "#header") or app._exit, "stopping")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S * 2
        while not app._exit and loop.time() < deadline:
            await pilot.pause(0.1)
    assert app.return_code == 0
    store = await open_store(quiet_world)
    try:
        lease = await store.fetchone("SELECT COUNT(*) FROM daemon_lease")
        assert lease is not None and lease[0] == 0  # released: the next start may take it
    finally:
        await store.close()


async def test_several_organisations_switch_with_o_and_pause_one_at_a_time(world: Path) -> None:
    store = await open_store(world)
    try:
        [cid] = [row[0] for row in await store.fetchall("SELECT id FROM connections")]
        second = TenantInfo("t-second", "Second College", "ORGANISATION", None)
        await upsert_tenants(store, cid, [second], now=NOW)
    finally:
        await store.close()
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        assert "Demo RTO Pty Ltd (1/2, o: next)" in shown(app, "#header")
        await pilot.press("o")
        assert "Second College (2/2, o: next)" in shown(app, "#header")
        assert "live figures not reported yet" in shown(app, "#quota")
        await pilot.press("p")
        await until(pilot, lambda: len(commands_in(world)) == 1, "the pause")
        assert commands_in(world)[0][:2] == ("pause", {"tenant_id": "t-second"})


async def test_brackets_page_through_a_long_bucket(world: Path) -> None:
    store = await open_store(world)
    try:
        pairs = [(f"BULK{n:04d}", f"src-BULK{n:04d}") for n in range(230)]
        await links.mark_many_pending(store, TENANT, pairs)
    finally:
        await store.close()
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        assert "rows 1-100 of 231" in shown(app, "#pending-summary")
        await pilot.press("right_square_bracket", "right_square_bracket")
        await until(pilot, lambda: "rows 201-231" in shown(app, "#pending-summary"), "page 3")
        assert len(rows(app, "#pending-table")) == 31
        await pilot.press("right_square_bracket")  # the last page stays the last
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: "rows 101-200" in shown(app, "#pending-summary"), "page 2")


async def test_a_keymap_typo_and_a_store_that_is_no_database_exit_2(
    world: Path, tmp_path: Path
) -> None:
    app = dashboard(world, keymap={"retyr": "ctrl+r"})
    async with app.run_test() as pilot:
        await pilot.pause()
    assert app.return_code == 2
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all " * 100)
    app = dashboard(junk)
    async with app.run_test() as pilot:
        await pilot.pause()
    assert app.return_code == 2


async def test_an_alert_about_a_learner_with_a_contact_links_to_it_in_xero(world: Path) -> None:
    store = await open_store(world)
    try:
        await alerts.raise_alert(
            store,
            "xero_validation",
            "Xero refused the phone number",
            record="DAU0001001",
            tenant_id=TENANT,
            fix="Correct the phone number in Wisenet",
        )
    finally:
        await store.close()
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("tab", "slash", *"DAU0001001", "enter")
        await until(pilot, lambda: len(rows(app, "#alerts-table")) == 1, "the search")
        await until(pilot, lambda: "Xero: https://" in shown(app, "#alerts-detail"), "the link")
        assert helpers.links(app, "#alerts-detail") == {
            f"https://go.xero.com/Contacts/View/{CONTACT_ID}"
        }


async def test_a_second_q_stops_the_embedded_daemon_at_once(
    quiet_world: Path, tmp_path: Path
) -> None:
    app = dashboard(quiet_world, log_file=tmp_path / "tui.log")
    app.clock = SystemClock()
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await until(pilot, lambda: app.runner is not None, "the embedded daemon")
        runner = app.runner
        assert runner is not None
        await pilot.press("q", "q")
        assert runner.stop_requested
        assert app.host.note.startswith("now") or app._exit
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while not app._exit and loop.time() < deadline:
            await pilot.pause(0.1)
    assert app.return_code == 0


async def test_a_page_emptied_from_under_the_cursor_goes_back_to_the_first(world: Path) -> None:
    store = await open_store(world)
    try:
        pairs = [(f"BULK{n:04d}", f"src-BULK{n:04d}") for n in range(120)]
        await links.mark_many_pending(store, TENANT, pairs)
    finally:
        await store.close()
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: "rows 101-121" in shown(app, "#pending-summary"), "page 2")
        other = await open_store(world)
        try:
            for n in range(120):
                await links.mark(other, TENANT, f"BULK{n:04d}", f"src-BULK{n:04d}", "dead")
        finally:
            await other.close()
        await until(pilot, lambda: app.main.query_state.pending_offset == 0, "the first page")
        await until(pilot, lambda: rows(app, "#pending-table")[0][0] == "DAU0001005", "its rows")
