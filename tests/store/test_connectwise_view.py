"""The ConnectWise streams' read model: kinds in order, counts in words, records to act on
first with their alert's fix, per organisation, paged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from xerowatch.store import alerts, cursors, runtime_state
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate
from xerowatch.store.connectwise_view import (
    StreamView,
    default_kind,
    describe_counts,
    kind_rank,
    label_of,
    record_rows,
    stream_page,
    stream_views,
)
from xerowatch.store.db import open_store
from xerowatch.store.overview import LAST_CYCLE_KEY, last_activity, read_overview

T1, T2 = "tenant-1", "tenant-2"


def test_streams_go_parties_first_then_documents_then_new_kinds() -> None:
    kinds = ["transfer", "zebra", "invoice", "expense", "member", "adjustment", "customer"]
    assert sorted(kinds, key=kind_rank) == [
        "customer",
        "member",
        "invoice",
        "expense",
        "adjustment",
        "transfer",
        "zebra",
    ]
    assert [label_of(k) for k in ("purchase", "zebra")] == ["purchases", "zebras"]


def test_counts_are_told_in_a_fixed_order_of_states() -> None:
    assert describe_counts({"held": 2, "posted": 7, "rejected": 1, "queued": 0}) == (
        "posted 7 · held 2 · refused by Xero 1"
    )
    assert describe_counts({"done": 3, "sending": 1, "odd": 2}) == "in Xero 3 · in doubt 1 · odd 2"


def test_the_default_stream_is_the_first_to_act_on_else_the_first_document() -> None:
    customers = StreamView("customer", "customers", {"done": 5})
    invoices = StreamView("invoice", "invoices", {"posted": 5})
    expenses = StreamView("expense", "expenses", {"held": 1})
    assert default_kind([customers, invoices, expenses]) == "expense"
    assert default_kind([customers, invoices]) == "invoice"
    assert default_kind([customers]) == "customer"
    assert default_kind([]) == ""


async def test_records_to_act_on_come_first_with_their_alerts_fix(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        await records.save(
            store,
            T1,
            "customer",
            [
                RecordUpdate(1, "1", "done"),
                RecordUpdate(2, "2", "done"),
                RecordUpdate(3, "3", "pending"),
                RecordUpdate(4, "4", "rejected", error="Xero: name too long — shorten it"),
            ],
        )
        await records.save(store, T2, "customer", [RecordUpdate(9, "9", "held", error="x")])
        await alerts.raise_alert(
            store,
            "cw_customer_email",
            "Xero refuses the billing email",
            fix="Correct the email in ConnectWise",
            record="cw-customer:2",
            tenant_id=T1,
        )
        await cursors.set_cursor(store, "connectwise:invoices", "2026-12-01T00:00:00+00:00", T1)
        await records.save(store, T1, "invoice", [RecordUpdate(50, "INV50", "posted")])

        rows = await record_rows(store, "customer", tenant_id=T1)
        assert [(r.cw_id, r.state) for r in rows] == [
            (4, "rejected"),
            (3, "pending"),
            (2, "done"),  # settled: newest ConnectWise id first
            (1, "done"),
        ]
        assert rows[2].fix == "Correct the email in ConnectWise" and rows[2].ref == "cw-customer:2"
        assert rows[0].last_error == "Xero: name too long — shorten it" and rows[0].fix == ""
        assert [r.cw_id for r in await record_rows(store, "customer")] == [9, 4, 3, 2, 1]
        assert [r.cw_id for r in await record_rows(store, "customer", offset=3, limit=1)] == [2]
        pages = [await record_rows(store, "customer", offset=n, limit=2) for n in (0, 2, 4)]
        assert [[r.cw_id for r in page] for page in pages] == [[9, 4], [3, 2], [1]]

        views = await stream_views(store, T1)
        assert [(v.label, v.total, v.attention) for v in views] == [
            ("customers", 4, 1),
            ("invoices", 1, 0),
        ]
        assert views[0].cursor is None and views[1].cursor == "2026-12-01T00:00:00+00:00"
        assert [v.total for v in await stream_views(store)] == [5, 1]  # both organisations

        page = await stream_page(store, "", 0, T1)
        assert page.kind == "customer" and page.tenant_id == T1 and len(page.rows) == 4
        page = await stream_page(store, "invoice", 0, T1)
        assert page.kind == "invoice" and [r.number for r in page.rows] == ["INV50"]
        page = await stream_page(store, "expense", 100, T1)  # none of it: the default, top
        assert (page.kind, page.offset) == ("customer", 0)
        assert await records.stream_lines(store) == [
            "ConnectWise customers: in Xero 2 · to write 1 · held 1 · refused by Xero 1",
            "ConnectWise invoices: posted 1",
        ]
    finally:
        await store.close()


async def test_a_connectwise_sync_once_that_failed_is_not_told_as_ok(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        cycle = {
            "tenants": {},  # the ConnectWise steps leave the learner tenants empty
            "connectwise": {},
            "failures": ["ConnectWise refused the keys (401) — check public_key"],
            "finished_at": "2026-12-03T10:00:00+00:00",
        }
        await runtime_state.put(store, LAST_CYCLE_KEY, cycle)
        now = datetime(2026, 12, 3, 10, 1, tzinfo=UTC)
        activity = last_activity(await read_overview(store, now))
        assert activity is not None and activity.by == "sync --once"
        assert activity.outcome == "failing: ConnectWise refused the keys (401) — check public_key"
        await runtime_state.put(store, LAST_CYCLE_KEY, {**cycle, "failures": []})
        activity = last_activity(await read_overview(store, now))
        assert activity is not None and activity.outcome == "ok"
    finally:
        await store.close()


async def test_a_page_is_one_snapshot_so_a_record_moving_meanwhile_is_never_listed_twice(
    tmp_path: Path,
) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        await records.save(
            store, T1, "invoice", [RecordUpdate(n, f"I{n}", "queued") for n in range(5)]
        )
        await records.save(
            store, T2, "invoice", [RecordUpdate(n, f"I{n}", "posted") for n in range(5)]
        )
        statements: list[str] = []
        await store.conn.set_trace_callback(statements.append)
        rows = await record_rows(store, "invoice")  # both organisations: same ids in each
        await store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
        reads = [sql for sql in statements if "FROM cw_records" in sql]
        assert len(reads) == 1, reads  # the daemon cannot commit between two parts of a page
        assert len({(r.tenant_id, r.ref) for r in rows}) == len(rows) == 10
        assert [r.state for r in rows] == ["queued"] * 5 + ["posted"] * 5
    finally:
        await store.close()
