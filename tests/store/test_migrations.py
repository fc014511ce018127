"""Forward-only migrations: a store at any earlier version upgrades to the latest."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from xerowatch.store.db import Migration, StoreError, bundled_migrations, migrate, open_store


async def test_fresh_store_reaches_the_latest_version(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        assert await store.schema_version() == bundled_migrations()[-1].version
        row = await store.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        row = await store.fetchone("PRAGMA foreign_keys")
        assert row is not None and row[0] == 1
    finally:
        await store.close()


@pytest.mark.parametrize("start", range(len(bundled_migrations())))
async def test_upgrade_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    steps = bundled_migrations()
    path = tmp_path / "old.db"
    old = await open_store(path, migrations=steps[:start])
    assert await old.schema_version() == start
    if start >= 1:  # data written at the old version survives the upgrade
        await old.execute(
            "INSERT INTO connections (id, provider, auth_mode, created_at, updated_at) "
            "VALUES ('c1', 'xero', 'custom_connection', 'now', 'now')"
        )
    await old.close()
    store = await open_store(path)
    try:
        assert await store.schema_version() == steps[-1].version
        if start >= 1:
            row = await store.fetchone("SELECT id FROM connections")
            assert row is not None and row[0] == "c1"
    finally:
        await store.close()


async def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        await store.execute("PRAGMA user_version = 999")
        with pytest.raises(StoreError, match="upgrade xerowatch"):
            await migrate(store)
    finally:
        await store.close()


async def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    steps = [
        *bundled_migrations(),
        Migration(99, "bad", "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;"),
    ]
    store = await open_store(tmp_path / "x.db")
    try:
        with pytest.raises(Exception, match="syntax"):
            await migrate(store, steps)
        assert await store.fetchone("SELECT name FROM sqlite_master WHERE name = 'half'") is None
        assert await store.schema_version() == bundled_migrations()[-1].version
    finally:
        await store.close()


async def test_store_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    store = await open_store(path)
    await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_reopening_never_touches_the_file_outside_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POSIX locks are per process: closing any other descriptor of the database file would
    drop the locks of this process's open connections (seen as "disk I/O error" in the demo,
    whose status line opened the store beside the daemon's connection)."""
    import os

    path = tmp_path / "x.db"
    first = await open_store(path)
    opened: list[str] = []
    real_open = os.open

    def spy(file: object, *args: object, **kwargs: object) -> int:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    second = await open_store(path)
    await second.close()
    await first.close()
    assert str(path) not in opened


async def test_a_file_that_is_not_a_database_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database, just a text file that is long enough" * 20)
    with pytest.raises(StoreError, match="not a database"):
        await open_store(path)
