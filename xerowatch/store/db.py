"""The SQLite store: one aiosqlite connection, WAL, foreign keys, forward-only migrations."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
import anyio

from xerowatch.store.errors import StoreDamagedError, StoreError
from xerowatch.store.health import (
    create_private,
    damaged,
    integrity_problems,
    is_damage,
    make_private,
    refuse_if_empty,
)

__all__ = ["Migration", "Store", "StoreDamagedError", "StoreError", "migrate", "open_store"]

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One forward-only schema step."""

    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """Return the migrations shipped in `xerowatch/store/migrations/`, in version order."""
    found: list[Migration] = []
    for entry in resources.files("xerowatch.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def utc_now_iso() -> str:
    """Return the current UTC time as ISO-8601 with an offset (the store's timestamp format)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


GENERIC_SOURCE = "the source system"
"""The words alert texts use for the source; `Store.source_label` replaces them."""


class Store:
    """An open store. Use `transaction()` for writes that must land together."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = anyio.Lock()
        self.source_label = GENERIC_SOURCE
        """How alerts name the source in use ("Wisenet"); set by the composition root."""
        self._batch_task: int | None = None  # the task whose batch() holds the transaction

    @property
    def conn(self) -> aiosqlite.Connection:
        """The underlying connection (autocommit; prefer the helpers)."""
        return self._conn

    @contextmanager
    def _damage_refused(self) -> Iterator[None]:
        """SQLite's "malformed" / "not a database" become the one-line StoreDamagedError."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise damaged(self.path, str(exc)) from None
            raise

    async def schema_version(self) -> int:
        """Return the applied schema version (PRAGMA user_version)."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """One transaction (one commit, one fsync) around this task's `transaction()` blocks.

        Inside, `transaction()` joins the batch: an error that leaves the batch rolls all of it
        back, and nothing is durable until it commits. Other tasks wait for the batch to end.
        """
        task = anyio.get_current_task().id
        if self._batch_task == task:
            yield  # already inside this task's batch
            return
        async with self.transaction():
            self._batch_task = task
            try:
                yield
            finally:
                self._batch_task = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, serialised within this process; rolled back on error."""
        if self._batch_task is not None and self._batch_task == anyio.get_current_task().id:
            yield self._conn  # part of this task's batch: it commits or rolls back as a whole
            return
        async with self._write_lock:
            with self._damage_refused():
                # Shielded: cancelling the await does not stop aiosqlite's thread from running
                # BEGIN, which would leave the connection inside a transaction nobody ends.
                with anyio.CancelScope(shield=True):
                    await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await self._conn.execute("ROLLBACK")
                    raise
                else:
                    with anyio.CancelScope(shield=True):
                        await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write statement in its own transaction; return the last row id."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        """Return the first row of a query, or None."""
        with self._damage_refused():
            async with self._conn.execute(sql, params) as cursor:
                return await cursor.fetchone()

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        """Return all rows of a query."""
        with self._damage_refused():
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()


async def migrate(store: Store, migrations: Sequence[Migration] | None = None) -> int:
    """Apply every migration newer than the store's version; return the new version."""
    steps = list(migrations) if migrations is not None else bundled_migrations()
    current = await store.schema_version()
    latest = steps[-1].version if steps else 0
    if current > latest:
        raise StoreError(
            f"store {store.path} has schema version {current}, newer than this xerowatch "
            f"({latest}): upgrade xerowatch"
        )
    for step in steps:
        if step.version <= current:
            continue
        async with store.transaction() as conn:
            for statement in _split_sql(step.sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {step.version}")
    return await store.schema_version()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (migrations hold no literal semicolons except triggers)."""
    statements: list[str] = []
    buffer: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buffer.append(line)
        upper = stripped.upper()
        if upper.startswith("CREATE TRIGGER"):
            depth += 1
        if upper.startswith("END;") or upper == "END":
            depth = max(0, depth - 1)
        if stripped.endswith(";") and depth == 0:
            statements.append("\n".join(buffer))
            buffer = []
    if buffer:
        statements.append("\n".join(buffer))
    return statements


async def open_store(
    path: Path | str,
    *,
    migrations: Sequence[Migration] | None = None,
    run_migrations: bool = True,
    quick_check: bool = False,
) -> Store:
    """Open (creating 0600 if needed) and migrate the store at `path`; ':memory:' is allowed.

    An existing store that is empty, is not a database or has a damaged schema is refused with
    a StoreDamagedError naming the last good backup, and so is damage met later by any query.
    `quick_check` also reads every page first (the daemon and `sync --once` do: about 1.7 s at
    300 MB, too slow for every `status`). A store readable by others is tightened to 0600.
    """
    target = Path(path)
    if str(path) != ":memory:":
        refuse_if_empty(target)
        make_private(target)
        create_private(target)
    try:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
    except Exception as exc:  # sqlite3.OperationalError and friends
        raise StoreError(f"cannot open store {path}: {exc}") from None
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        async with conn.execute("SELECT count(*) FROM sqlite_master") as cursor:
            await cursor.fetchall()  # reads the whole schema: a damaged one fails here
        problems = await integrity_problems(conn) if quick_check else []
    except Exception as exc:  # e.g. the file is not a database
        await conn.close()
        if is_damage(exc):
            raise damaged(path, str(exc)) from None
        raise StoreError(f"cannot open store {path}: {exc}") from None
    if problems:
        await conn.close()
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise damaged(path, f"quick_check: {problems[0]}{more}")
    store = Store(conn, target)
    if run_migrations:
        try:
            await migrate(store, migrations)
        except BaseException:
            await conn.close()
            raise
    return store
