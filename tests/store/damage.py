"""Helpers that build stores the way they are found after a crash or a bad disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio

from xerowatch.store.alerts import raise_alert
from xerowatch.store.db import open_store

PAGE = 4096


async def build_store(path: Path, *, alerts: int = 200) -> None:
    """A migrated store with enough rows to span many pages, checkpointed into the main file."""
    store = await open_store(path)
    try:
        for number in range(alerts):
            await raise_alert(store, "test", f"alert {number} " + "x" * 200, record=str(number))
        await store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await store.close()


def make_store(path: Path, *, alerts: int = 200) -> None:
    """`build_store` outside an event loop."""
    anyio.run(lambda: build_store(path, alerts=alerts))


def zero_pages(path: Path, first: int = 2, count: int | None = None) -> None:
    """Overwrite pages with zeros (what a torn write or a bad block leaves behind); by default
    every page after the first, so whatever a command reads is damaged."""
    if count is None:
        count = path.stat().st_size // PAGE - first + 1
    with path.open("r+b") as handle:
        handle.seek(PAGE * (first - 1))
        handle.write(b"\0" * PAGE * count)


def zero_table(path: Path, table: str) -> None:
    """Zero the root page of one table, leaving the schema readable."""
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    zero_pages(path, first=int(row[0]), count=1)
