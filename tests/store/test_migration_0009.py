"""Migration 0009: cw_records takes the document kinds, and an upgrade keeps rows, indexes and
the change-feed triggers of migration 0008."""

from __future__ import annotations

from pathlib import Path

from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate
from xerowatch.store.db import Store, bundled_migrations, open_store


async def _counter(store: Store) -> int:
    row = await store.fetchone("SELECT n FROM change_counters WHERE name = 'cw_records'")
    assert row is not None
    return int(row[0])


async def test_an_upgraded_store_keeps_its_records_indexes_and_triggers(tmp_path: Path) -> None:
    steps = bundled_migrations()
    assert steps[8].version == 9
    path = tmp_path / "old.db"
    old = await open_store(path, migrations=steps[:8])
    await old.execute(  # rows as version 8 wrote them (its columns)
        "INSERT INTO cw_records (tenant_id, kind, cw_id, number, state, xero_id, gl_entry_ids, "
        "posted_at, updated_at) VALUES ('t1', 'invoice', 7, 'INV-7', 'posted', 'x-7', '1,2', "
        "'2026-12-01', 'now'), ('t1', 'customer', 3, '3', 'done', 'x-3', '', NULL, 'now')"
    )
    table = await old.fetchone("SELECT sql FROM sqlite_master WHERE name = 'cw_records'")
    assert table is not None and "'expense'" not in table[0]  # 0008 refused the new kinds
    await old.close()

    store = await open_store(path)
    try:
        assert await store.schema_version() == steps[-1].version
        kept = await records.get(store, "t1", "invoice", [7])
        assert (kept[7].number, kept[7].state, kept[7].gl_entry_ids, kept[7].posted_at) == (
            "INV-7",
            "posted",
            "1,2",
            "2026-12-01",
        )
        assert kept[7].doc_keys == "" and kept[7].batch is None
        assert (await records.get(store, "t1", "customer", [3]))[3].xero_id == "x-3"
        names = {
            row[0]
            for row in await store.fetchall(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'cw_records' "
                "AND type IN ('index', 'trigger')"
            )
        }
        assert {
            "cw_records_state",
            "cw_records_number",
            "cw_records_batch",
            "cw_records_changed_insert",
            "cw_records_changed_update",
            "cw_records_changed_delete",
        } <= names
        before = await _counter(store)
        await records.save(
            store,
            "t1",
            "expense",
            [RecordUpdate(1, "EXP-1", "queued", doc_keys="invoice|k", batch="XW-E1")],
        )
        await records.save(store, "t1", "member", [RecordUpdate(101, "CWM-js", "done")])
        assert await _counter(store) == before + 2  # the dashboard's change feed still moves
        row = (await records.get(store, "t1", "expense", [1]))[1]
        assert (row.doc_keys, row.batch) == ("invoice|k", "XW-E1")
        assert [r.kind for r in await records.find(store, "cw-expense:1")] == ["expense"]
    finally:
        await store.close()
