"""The feed re-reads only what moved, and its overview never differs from `read_overview`."""

from __future__ import annotations

from pathlib import Path

from tests.tui.world import TENANT, clock
from xerowatch.records import SourceLearner
from xerowatch.store import alerts, learners, links, runtime_state
from xerowatch.store.db import open_store
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.overview import read_overview
from xerowatch.tui.feed import CLOCK, Feed, Query, panes_to_read


def test_a_history_row_alone_reads_only_the_history_pane() -> None:
    assert panes_to_read(frozenset({"history"})) == {"history"}
    assert panes_to_read(frozenset({"alerts"})) == {"overview", "alerts", "streams"}
    assert panes_to_read(frozenset({"cw_records"})) == {"overview", "streams"}
    assert panes_to_read(frozenset({"commands"})) == {"commands"}
    assert "overview" in panes_to_read(frozenset({CLOCK}))


async def test_the_incremental_overview_equals_a_full_read_after_every_kind_of_change(
    world: Path,
) -> None:
    store = await open_store(world)
    other = await open_store(world)
    try:
        feed = Feed(store, clock())
        await feed.overview(await feed.changes())
        learner = SourceLearner(source_id="src-NEW", ref_internal="NEW1", first_name="N")
        await learners.upsert_learner(other, learner, "h")
        await links.mark(other, TENANT, "NEW1", "src-NEW", "invalid", error="Email missing")
        await alerts.raise_alert(other, "learner_invalid", "Email missing", record="NEW1")
        await runtime_state.set_paused(other, True)
        changed = await feed.changes()
        assert {"learners", "contact_links", "alerts", "runtime_state"} <= changed
        assert await feed.overview(changed) == await read_overview(store, clock().now())
        await record(other, HistoryEntry("NEW1", "push", "ok", "to_xero"))
        changed = await feed.changes()
        assert changed == {"history"}
        assert await feed.overview(changed) == await read_overview(store, clock().now())
    finally:
        await other.close()
        await store.close()


async def test_the_history_tail_resets_on_a_new_record_filter_and_then_only_grows(
    world: Path,
) -> None:
    store = await open_store(world)
    try:
        feed = Feed(store, clock())
        first = await feed.history(Query())
        assert first.reset and len(first.entries) == 5
        assert [e.id for e in first.entries] == sorted(e.id for e in first.entries)
        assert (await feed.history(Query())).entries == []
        await record(store, HistoryEntry("DAU0001001", "push", "ok", "to_xero"))
        grown = await feed.history(Query())
        assert not grown.reset and [e.record for e in grown.entries] == ["DAU0001001"]
        one = await feed.history(Query(history_record="DAU0001007"))
        assert one.reset and {e.record for e in one.entries} == {"DAU0001007"}
    finally:
        await store.close()
