"""The dashboard's Textual-free pieces: times, bars, header lines, the start-up decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from pathlib import Path

from textual.binding import Binding

from tests.tui.world import NOW, at
from xerowatch.store.command_queue import Command
from xerowatch.store.live import LiveTenantQuota
from xerowatch.store.overview import DaemonInfo, TenantOverview
from xerowatch.tui.hosting import decide, lost_race
from xerowatch.tui.keys import MAIN_BINDINGS, key_rows, keymap_problem
from xerowatch.tui.summary import connection_text, quota_lines
from xerowatch.tui.text import bar, percent, shorten, span, sparkline, stamp, when
from xerowatch.tui.tracker import CommandTracker

TENANT = TenantOverview(
    tenant_id="t1",
    name="Demo RTO",
    connection_id="c1",
    connection_status="connected",
    status_reason=None,
    access_expires_at=at(18),
    paused=False,
    quota=LiveTenantQuota("t1", 0, 3, 60, 100, 5000),
    calls_per_minute=[0] * 60,
    day_calls_sampled=100,
)


def test_times_and_bars_read_as_people_expect() -> None:
    assert [span(s) for s in (5, 600, 3 * 3600 + 300, 3 * 86400)] == [
        "5 s",
        "10 min",
        "3 h 05 min",
        "3 d",
    ]
    assert when(at(-5), NOW, UTC) == "10:25:00"
    assert when(at(-24 * 60), NOW, UTC) == "Dec 02 10:30"
    assert stamp(at(-24 * 60), NOW, UTC) == "Dec 02" and stamp(None, NOW, UTC) == "—"
    assert bar(1, 4, 8) == "██░░░░░░" and bar(3, None, 4) == "····"
    assert percent(1, 3) == "33%" and percent(1, 0) == "?"
    assert shorten("a  b\nc", 10) == "a b c" and shorten("abcdef", 4) == "abc…"


def test_sparkline_scales_to_the_busiest_minute() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"  # an idle minute is a blank
    assert sparkline([0, 0]) == "··"


def test_connection_line_says_what_to_run_and_until_when_it_is_parked() -> None:
    assert str(connection_text(TENANT, NOW, UTC)) == "● connected · token expires in 18 min"
    broken = replace(TENANT, connection_status="needs_reconnect", status_reason="invalid_grant")
    assert "needs reconnect (invalid_grant): run `xerowatch connect`" in str(
        connection_text(broken, NOW, UTC)
    )
    assert TENANT.quota is not None
    parked = replace(TENANT, paused=True, quota=replace(TENANT.quota, parked_until=at(4 * 60 + 15)))
    line = str(connection_text(parked, NOW, UTC))
    assert "parked until 14:45 (day limit)" in line and "PAUSED" in line


def test_quota_lines_without_a_daemon_say_figures_are_not_live() -> None:
    idle = replace(TENANT, quota=None)

    class View:
        now = NOW
        live = None

    first = str(quota_lines(View(), idle, day_limit=5000, tz=UTC)[0])  # type: ignore[arg-type]
    assert "live figures need a running daemon" in first


def test_start_up_decision_attaches_embeds_or_refuses_with_one_line() -> None:
    holder = DaemonInfo(pid=7, host="box", heartbeat_age_s=1.0, acquired_at=at(-1))
    store = Path("/srv/xerowatch.db")
    assert decide("auto", holder, store).action == "attach"
    assert decide("auto", None, store).action == "embed"
    refused = decide("attach", None, store)
    assert (refused.action, refused.code) == ("exit", 1)
    assert "no daemon is running on /srv/xerowatch.db" in refused.message
    assert "`xerowatch run`" in refused.message and "\n" not in refused.message
    taken = decide("embedded", holder, store)
    assert (taken.code, "pid 7 on box" in taken.message) == (3, True)
    assert lost_race("auto").action == "attach" and lost_race("embedded").code == 3


def test_every_main_key_has_an_id_and_the_keymap_is_checked() -> None:
    ids = [b.id for b in MAIN_BINDINGS if isinstance(b, Binding)]
    assert None not in ids and len(ids) == len(set(ids))
    assert keymap_problem(MAIN_BINDINGS, {"retry": "ctrl+r"}) == ""
    problem = keymap_problem(MAIN_BINDINGS, {"retyr": "ctrl+r"})
    assert problem.startswith("config error: tui.keymap: unknown binding id 'retyr'")
    rows = key_rows(MAIN_BINDINGS, {"retry": "ctrl+r,f5"}, lambda b: b.key)
    assert (
        "ctrl+r, f5",
        "retry",
        "Retry the selected learner or ConnectWise record (just that one)",
    ) in rows


def _command(command_id: int, state: str, result: str | None = None) -> Command:
    return Command(command_id, "retry", {}, state, "tui", at(0), None, None, result)


def test_tracker_follows_the_newest_command_to_its_result() -> None:
    tracker = CommandTracker()
    assert "ready" in str(tracker.line(daemon_running=True))
    tracker.sent(1, "retry R1")
    assert "none is running" in str(tracker.line(daemon_running=False))
    tracker.sent(2, "sync now")
    tracker.update([_command(1, "running"), _command(2, "done", "sync started")])
    assert str(tracker.line(daemon_running=True)) == (
        "#2 sync now: done: sync started  (+1 more in progress)"
    )
    tracker.update([_command(1, "failed", "no learner R1")])
    assert tracker.open_ids() == []
    for n in range(3, 30):
        tracker.sent(n, f"c{n}")
    assert len(tracker.labels) == 20 and 1 not in tracker.states
