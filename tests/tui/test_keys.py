"""Every key of the dashboard: the command it writes to the store and what the screen shows."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.tui.helpers import commands_in, dashboard, links, painted, rows, shown, until
from tests.tui.world import CONTACT_ID, DAEMON_HOST, DAEMON_PID, INVOICE_ID, TENANT
from xerowatch.tui.screens.confirm import ConfirmScreen
from xerowatch.tui.screens.detail import DetailScreen
from xerowatch.tui.screens.main import MainScreen
from xerowatch.tui.screens.resync_dialog import ResyncDialog


async def test_first_paint_shows_the_attached_daemon_quota_and_panes(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        header = shown(app, "#header")
        assert "Demo RTO Pty Ltd" in header
        assert "connected · token expires in 18 min" in header
        assert f"attached to pid {DAEMON_PID} on {DAEMON_HOST}" in header
        assert "last cycle: 12 s ago · ok" in header
        quota = shown(app, "#quota")
        assert "minute 14/60 · today 1,234/5,000 · app 14/10,000 · in flight 1" in quota
        assert "forecast: runs out at" in quota and "wisenet 321/10,000 today" in quota
        assert "Pending 5" in shown(app, "#tabs") and "Alerts 4" in shown(app, "#tabs")
        assert "[queued 1] · in doubt 0 · retrying 1 · failed 2 · dead 1" in shown(
            app, "#pending-summary"
        )
        assert rows(app, "#pending-table")[0][:2] == ["DAU0001005", "Grace Hopper"]
        assert app.host.mode == "attached"


async def test_s_asks_for_a_sync_and_shows_the_command_waiting(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("s")
        await until(pilot, lambda: "#1 sync now" in shown(app, "#command"), "the command line")
        assert commands_in(world) == [("sync_now", {}, "tui")]
        assert "accepted, waiting for the daemon" in shown(app, "#command")


async def test_r_retries_the_selected_learner_in_any_pane(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("r")  # pending pane: the queued learner
        await pilot.press("tab", "down", "r")  # alerts pane, second alert's record
        await until(pilot, lambda: len(commands_in(world)) == 2, "two retries")
        first, second = commands_in(world)
        assert first == ("retry", {"ref": "DAU0001005"}, "tui")
        assert second[0] == "retry" and second[1]["ref"].startswith("DAU")


async def test_capital_r_retries_all_only_after_a_yes(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 failed and 1 dead" in shown(app, "#confirm-question")
        await pilot.press("n")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("R", "y")
        await until(pilot, lambda: len(commands_in(world)) == 1, "retry_all")
        assert commands_in(world) == [("retry_all", {}, "tui")]


async def test_a_acknowledges_the_selected_alert_and_capital_a_every_shown_one(
    world: Path,
) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("a")  # not on the alerts pane: a hint, no command
        assert "select an alert first" in shown(app, "#command")
        await pilot.press("tab", "a")
        await until(pilot, lambda: len(commands_in(world)) == 1, "one acknowledgement")
        [(kind, args, _)] = commands_in(world)
        assert kind == "acknowledge" and len(args["ids"]) == 1
        await pilot.press("A")
        assert "Acknowledge the 4 alert(s) shown?" in shown(app, "#confirm-question")
        await pilot.press("y")
        await until(pilot, lambda: len(commands_in(world)) == 2, "acknowledge all shown")
        assert sorted(commands_in(world)[1][1]["ids"]) == [1, 2, 3, 4]


async def test_y_previews_the_cost_before_a_resync_starts(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("y")
        assert isinstance(app.screen, ResyncDialog)
        await until(pilot, lambda: "Xero calls" in shown(app, "#resync-preview"), "the preview")
        assert "ETA" in shown(app, "#resync-preview")
        dialog = app.screen
        dialog.query_one("#resync-to").value = "2026-10-01"  # type: ignore[attr-defined]
        await until(pilot, lambda: "after its start" in shown(app, "#resync-preview"), "an error")
        await pilot.press("ctrl+s")  # refused: nothing valid to start
        assert isinstance(app.screen, ResyncDialog) and commands_in(world) == []
        dialog.query_one("#resync-to").value = "2026-12-04"  # type: ignore[attr-defined]
        await until(pilot, lambda: "Xero calls" in shown(app, "#resync-preview"), "the preview")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(commands_in(world)) == 1, "the resync command")
        [(kind, args, _)] = commands_in(world)
        assert kind == "resync"
        assert args == {"from": "2026-11-03", "to": "2026-12-04", "types": ["invoices"]}
        assert isinstance(app.screen, MainScreen)


async def test_p_pauses_syncing_or_the_selected_resync_and_x_cancels_it(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("p")
        await pilot.press("tab", "tab", "tab")  # the resyncs pane: the running one first
        await pilot.press("p", "x", "y")
        await until(pilot, lambda: len(commands_in(world)) == 3, "three commands")
        assert [(k, a) for k, a, _ in commands_in(world)] == [
            ("pause", {}),
            ("pause_resync", {"id": 1}),
            ("cancel_resync", {"id": 1}),
        ]


async def test_slash_and_f_filter_alerts_pending_and_history(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await painted(pilot)
        await pilot.press("f")  # pending: choose the bucket
        await pilot.press("down", "down", "down", "enter")  # queued, in doubt, retrying, failed
        await until(pilot, lambda: len(rows(app, "#pending-table")) == 2, "the failed bucket")
        assert {r[0] for r in rows(app, "#pending-table")} == {"DAU0001002", "DAU0001003"}
        await pilot.press("tab", "slash", *"blanks", "enter")
        await until(pilot, lambda: len(rows(app, "#alerts-table")) == 1, "the search")
        assert "search: blanks" in shown(app, "#alerts-summary")
        await pilot.press("slash", "ctrl+a", "ctrl+k", "enter", "f", "down", "enter")
        await until(pilot, lambda: "type: learner_invalid" in shown(app, "#alerts-summary"), "f")
        assert len(rows(app, "#alerts-table")) == 2
        await pilot.press("tab", "f", *"DAU0001001", "enter")
        await until(pilot, lambda: "record: DAU0001001" in shown(app, "#history-summary"), "/")
        assert {r[2] for r in rows(app, "#history-table")} == {"DAU0001001"}


async def test_enter_opens_the_learner_detail_with_its_keys(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 40)) as pilot:
        await painted(pilot)
        await pilot.press("tab", "tab")  # history: the cursor follows the newest row
        await pilot.press("up", "enter")  # the write-back of DAU0001001's invoice
        assert isinstance(app.screen, DetailScreen) and app.screen.ref == "DAU0001001"
        await until(pilot, lambda: "Validation" in shown(app, "#detail-body"), "the detail")
        body = shown(app, "#detail-body")
        assert "Ada Lovelace" in body and "✓ ready for Xero" in body
        assert "https://go.xero.com/Contacts/View/3c4d5e6f" in body
        assert "invoice INV-0042 · AUTHORISED" in body and "✓ written back" in body
        assert "corr c0ffee03" in body
        assert links(app, "#detail-body") == {
            f"https://go.xero.com/Contacts/View/{CONTACT_ID}",
            f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={INVOICE_ID}",
        }
        await pilot.press("u", "r")
        await until(pilot, lambda: len(commands_in(world)) == 2, "fetch and retry")
        fetch, retry = commands_in(world)
        assert fetch[:2] == (
            "fetch_online_url",
            {"invoice_id": INVOICE_ID, "tenant_id": TENANT},
        )
        assert retry[:2] == ("retry", {"ref": "DAU0001001"})
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_detail_shows_validation_problems_with_their_fix(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(100, 40)) as pilot:
        await painted(pilot)
        await pilot.press("slash", *"DAU0001002", "enter")  # pending pane: open by RefInternal
        await until(pilot, lambda: "Validation" in shown(app, "#detail-body"), "the detail")
        body = shown(app, "#detail-body")
        assert "✗ Email: Email has blanks" in body and "fix:" in body


async def test_tab_cycles_the_panes_and_c_and_help_open_and_close(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        for pane in ("alerts", "history", "resyncs", "pending"):
            await pilot.press("tab")
            assert app.main.pane == pane and f"▸{pane.capitalize()}" in shown(app, "#tabs")
        await pilot.press("c")
        report = shown(app, "#connection-report")
        assert "Demo RTO Pty Ltd" in report and "connected · token expires in 18 min" in report
        await pilot.press("escape", "question_mark")
        help_text = shown(app, "#help-table")
        for binding_id in ("sync_now", "retry_all", "acknowledge_all", "resync", "next_pane"):
            assert binding_id in help_text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_q_leaves_an_attached_daemon_alone(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert commands_in(world) == []  # no stop request of any kind reached the daemon


async def test_the_keymap_remaps_a_key_by_its_binding_id(world: Path) -> None:
    app = dashboard(world, keymap={"sync_now": "ctrl+y"})
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("s")
        await pilot.pause(0.3)
        assert commands_in(world) == []
        assert "^y sync" in shown(app, "KeyBar")
        await pilot.press("ctrl+y")
        await until(pilot, lambda: len(commands_in(world)) == 1, "the remapped key")
        assert commands_in(world)[0][0] == "sync_now"


async def test_every_action_is_in_the_command_palette(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test() as pilot:
        await painted(pilot)
        await pilot.press("ctrl+p", *"sync", "enter")
        await until(pilot, lambda: len(commands_in(world)) == 1, "the palette's sync")
        assert commands_in(world)[0][0] == "sync_now"


async def test_a_resize_refits_every_table_to_the_new_width(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await painted(pilot)
        await pilot.press("tab", "tab")
        wide = rows(app, "#history-table")[0]
        assert wide[5] == "c0ffee01" and len(wide[6]) > 40  # the full text fits
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        narrow = rows(app, "#history-table")[0]
        for keys, selector in (
            ((), "#history"),
            (("tab", "tab"), "#pending"),
            (("tab",), "#alerts"),
        ):
            await pilot.press(*keys)  # each pane in turn, refitted as it is shown
            await pilot.pause(0.1)
            table = app.main.query_one(f"{selector}-table", DataTable)
            assert table.virtual_size.width <= app.size.width, selector  # no sideways scroll
        assert narrow[6].endswith("…") and len(narrow[6]) < len(wide[6])
