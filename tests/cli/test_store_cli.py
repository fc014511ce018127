"""Damaged stores, `store check` and `store backup`, through the real entry point."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.store.damage import make_store, zero_pages, zero_table

HANG_GUARD_SECONDS = 120


def xerowatch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "xerowatch.toml"
    if not config.exists():
        # Credentials present, so `run` and `sync --once` get past their start-up checks to the
        # store (configuration is checked first: both are exit 2).
        config.write_text(
            f'[store]\npath = "{tmp_path / "x.db"}"\n'
            '[xero]\nclient_id = "id"\n[wisenet]\napi_key = "key"\n'
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.splitlines()
    return line


@pytest.mark.parametrize("command", [["status"], ["alerts"], ["ack", "--all"], ["run"]])
def test_an_empty_store_is_refused_with_exit_2(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "x.db").touch()
    done = xerowatch(tmp_path, *command)
    assert done.returncode == 2
    assert "is empty (0 bytes)" in one_line(done)
    assert (tmp_path / "x.db").stat().st_size == 0


@pytest.mark.parametrize(
    "command", [["status"], ["history", "A1"], ["alerts"], ["sync", "--once"], ["run"]]
)
def test_a_store_with_zeroed_pages_is_refused_with_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    make_store(tmp_path / "x.db")
    zero_pages(tmp_path / "x.db")
    done = xerowatch(tmp_path, *command)
    assert done.returncode == 2
    line = one_line(done)
    assert "is damaged" in line
    assert "no backup recorded" in line


@pytest.mark.parametrize("command", [["alerts"], ["ack", "--all"], ["sync", "--once"], ["run"]])
def test_damage_in_one_table_is_refused_by_whoever_meets_it(
    tmp_path: Path, command: list[str]
) -> None:
    """Readers meet it when they read that table; the daemon and sync --once check every page
    before they start."""
    make_store(tmp_path / "x.db")
    zero_table(tmp_path / "x.db", "alerts")
    done = xerowatch(tmp_path, *command)
    assert done.returncode == 2
    assert "is damaged" in one_line(done)


def test_store_check_passes_a_healthy_store_and_fails_a_damaged_one(tmp_path: Path) -> None:
    make_store(tmp_path / "x.db")
    done = xerowatch(tmp_path, "store", "check")
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout

    zero_table(tmp_path / "x.db", "alerts")
    done = xerowatch(tmp_path, "store", "check")
    assert done.returncode == 2
    assert "malformed" in done.stdout  # SQLite's findings, one per line
    assert "is damaged" in one_line(done)


def test_backup_is_private_checked_and_named_when_the_store_is_later_damaged(
    tmp_path: Path,
) -> None:
    make_store(tmp_path / "x.db")
    target = tmp_path / "backups" / "x-today.db"
    target.parent.mkdir()
    done = xerowatch(tmp_path, "store", "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert xerowatch(tmp_path, "store", "check", str(target)).returncode == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 200

    zero_pages(tmp_path / "x.db")
    done = xerowatch(tmp_path, "status")
    assert done.returncode == 2
    assert f"restore the last good backup {target}" in one_line(done)


def test_backup_into_a_directory_names_the_file(tmp_path: Path) -> None:
    make_store(tmp_path / "x.db", alerts=1)
    folder = tmp_path / "backups"
    folder.mkdir()
    done = xerowatch(tmp_path, "store", "backup", str(folder))
    assert done.returncode == 0, done.stderr
    [made] = list(folder.iterdir())
    assert made.name.startswith("x-") and made.suffix == ".db"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def test_backup_of_a_damaged_store_is_refused(tmp_path: Path) -> None:
    make_store(tmp_path / "x.db")
    zero_pages(tmp_path / "x.db")
    target = tmp_path / "b.db"
    done = xerowatch(tmp_path, "store", "backup", str(target))
    assert done.returncode == 2
    assert "is damaged" in one_line(done)
    assert not target.exists()


def test_backup_is_consistent_while_another_process_writes(tmp_path: Path) -> None:
    """Each write adds a row to two tables at once; a consistent copy has equal counts."""
    db = tmp_path / "x.db"
    make_store(db, alerts=1)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE pair_a (n INTEGER)")
        conn.execute("CREATE TABLE pair_b (n INTEGER)")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        try:
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO pair_a VALUES (?)", (written[0],))
                conn.execute("INSERT INTO pair_b VALUES (?)", (written[0],))
                conn.execute("COMMIT")
                written[0] += 1
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 50:
            stop.wait(0.01)
        done = xerowatch(tmp_path, "store", "backup", str(tmp_path / "b.db"))
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "b.db") as conn:
        a = conn.execute("SELECT count(*) FROM pair_a").fetchone()[0]
        b = conn.execute("SELECT count(*) FROM pair_b").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert a == b > 0


def test_a_world_readable_store_is_tightened_with_a_warning(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    make_store(db, alerts=1)
    db.chmod(0o644)
    done = xerowatch(tmp_path, "alerts")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert "was mode 0644" in done.stderr
    for side in (tmp_path / "x.db-wal", tmp_path / "x.db-shm"):
        assert not side.exists() or stat.S_IMODE(side.stat().st_mode) == 0o600
