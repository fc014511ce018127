"""The store file itself: empty or damaged files are refused, modes are kept private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.store.damage import build_store, zero_pages, zero_table
from xerowatch.store.db import StoreDamagedError, StoreError, open_store
from xerowatch.store.health import record_backup


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_an_empty_store_file_is_refused_not_treated_as_new(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.touch()
    with pytest.raises(StoreDamagedError, match=r"is empty \(0 bytes\)") as caught:
        await open_store(path)
    assert "\n" not in str(caught.value)
    assert path.stat().st_size == 0  # left as found: nothing was created over it


async def test_a_store_with_zeroed_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    await build_store(path)
    zero_pages(path)
    with pytest.raises(StoreDamagedError, match="is damaged") as caught:
        await open_store(path, quick_check=True)
    assert "no backup recorded" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_damage_met_by_a_query_is_the_same_one_line_refusal(tmp_path: Path) -> None:
    """Without quick_check (too slow for every CLI command on a big store) a query that meets
    the damage raises the same StoreDamagedError, not a raw sqlite3 error."""
    path = tmp_path / "x.db"
    await build_store(path)
    zero_table(path, "alerts")
    store = await open_store(path, run_migrations=False)
    try:
        with pytest.raises(StoreDamagedError, match="is damaged"):
            await store.fetchall("SELECT * FROM alerts")
        with pytest.raises(StoreDamagedError, match="is damaged"):
            async with store.transaction() as conn:
                await conn.execute("UPDATE alerts SET count = count + 1")
    finally:
        await store.close()


async def test_the_refusal_names_the_last_good_backup(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    backup = tmp_path / "backups" / "x-1.db"
    backup.parent.mkdir()
    backup.write_bytes(b"pretend")
    record_backup(path, backup, made_at="2026-12-03T09:00:00+00:00")
    await build_store(path)
    zero_pages(path)
    with pytest.raises(StoreDamagedError) as caught:
        await open_store(path, quick_check=True)
    assert str(backup) in str(caught.value)
    assert "2026-12-03T09:00:00+00:00" in str(caught.value)


async def test_a_text_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"not a database " * 400)
    with pytest.raises(StoreDamagedError, match="not a database"):
        await open_store(path)


async def test_a_new_store_is_never_seen_empty(tmp_path: Path) -> None:
    """The file appears complete (an SQLite header, mode 0600), never as a 0-byte file."""
    path = tmp_path / "x.db"
    store = await open_store(path, run_migrations=False)
    await store.close()
    assert path.stat().st_size > 0
    assert mode(path) == 0o600
    assert [p.name for p in os.scandir(tmp_path) if not p.name.startswith("x.db")] == []


async def test_an_existing_world_readable_store_and_its_wal_are_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "x.db"
    await build_store(path, alerts=1)
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    for file in (path, wal, shm):
        os.close(os.open(file, os.O_CREAT | os.O_WRONLY, 0o644))
        os.chmod(file, 0o644)
    store = await open_store(path)
    await store.close()
    assert mode(path) == 0o600
    for file in (wal, shm):
        if file.exists():
            assert mode(file) == 0o600
    assert any("0644" in r.getMessage() and "0600" in r.getMessage() for r in caplog.records)


async def test_a_store_that_cannot_be_tightened_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.db"
    await build_store(path, alerts=1)
    path.chmod(0o644)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(StoreError, match=r"readable by others \(mode 0644\)") as caught:
        await open_store(path)
    assert "chmod 600" in str(caught.value)


async def test_a_store_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(StoreError, match=r"cannot create the store .*\[store\] path"):
        await open_store(blocker / "x.db")
