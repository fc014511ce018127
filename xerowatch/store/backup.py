"""Online backups (SQLite's backup API, consistent while the daemon writes) and file checks."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import anyio

from xerowatch.store.db import Store
from xerowatch.store.errors import StoreError
from xerowatch.store.health import (
    PRIVATE_MODE,
    integrity_problems,
    is_damage,
    record_backup,
    refuse_if_empty,
    side_files,
)


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, how big, and when it was taken."""

    path: Path
    size: int
    made_at: str


def backup_target(destination: Path, store_path: Path, now: datetime) -> Path:
    """The file to write: `destination`, or a time-stamped name inside it if it is a directory."""
    if destination.is_dir():
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"{store_path.stem}-{stamp}.db"
    if destination.resolve() == store_path.resolve():
        raise StoreError(f"cannot back up the store {store_path} onto itself: choose another PATH")
    return destination


def _check_copy(path: Path) -> list[str]:
    """Full integrity check of a finished copy (its own connection, in a worker thread)."""
    conn = sqlite3.connect(path)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def backup_store(store: Store, destination: Path) -> BackupResult:
    """Copy the open store to `destination` in one backup step (one consistent snapshot).

    The copy is written 0600 under a temporary name, checked with integrity_check, synced to
    disk and only then renamed into place, so `destination` is always a complete, good backup.
    Its path is recorded beside the store, for the message that refuses a damaged store.
    """
    now = datetime.now(UTC)
    target = backup_target(destination, store.path, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    for leftover in (tmp, *side_files(tmp)):
        leftover.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_RDWR, PRIVATE_MODE))
    try:
        copy = sqlite3.connect(tmp, check_same_thread=False)
        try:
            await store.conn.backup(copy, pages=0)  # 0: every page in one step, one snapshot
        finally:
            copy.close()
        problems = await anyio.to_thread.run_sync(_check_copy, tmp)
        if problems:
            raise StoreError(f"the backup of {store.path} failed its check: {problems[0]}")
        await anyio.to_thread.run_sync(_fsync, tmp)
        os.replace(tmp, target)
        await anyio.to_thread.run_sync(_fsync, target.parent)
    finally:
        for leftover in (tmp, *side_files(tmp)):
            leftover.unlink(missing_ok=True)
    made_at = now.isoformat(timespec="seconds")
    record_backup(store.path, target, made_at=made_at)
    return BackupResult(path=target, size=target.stat().st_size, made_at=made_at)


def _read_only_uri(path: Path) -> str:
    """The read-only URI of an existing, non-empty database file (else StoreError)."""
    if not path.is_file():
        raise StoreError(f"no store at {path}")
    refuse_if_empty(path)
    return f"{path.resolve().as_uri()}?mode=ro"


async def check_file(path: Path, *, full: bool = True) -> list[str]:
    """SQLite's findings on the database at `path` ([] when healthy); never modifies it.

    Raises StoreError when there is no file, StoreDamagedError when it is empty.
    """
    try:
        conn = await aiosqlite.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from None
    try:
        return await integrity_problems(conn, full=full)
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return [str(exc)]
        raise StoreError(f"cannot check {path}: {exc}") from None
    finally:
        await conn.close()
