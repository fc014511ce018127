"""The change feed: which tables moved since a reader last looked (for live dashboards).

Migrations 0004 and 0008 keep one counter per watched table, bumped by triggers on every write, so a
reader compares a dozen integers instead of re-reading tables. `PRAGMA data_version` first
tells whether any *other* connection committed at all, which makes an idle check nearly free.
"""

from __future__ import annotations

from dataclasses import dataclass

from xerowatch.store.db import Store

WATCHED_TABLES: tuple[str, ...] = (
    "alerts",
    "history",
    "contact_links",
    "jobs",
    "learners",
    "resyncs",
    "commands",
    "runtime_state",
    "daemon_lease",
    "connections",
    "oauth_tokens",
    "tenants",
    "quota_samples",
    "cw_records",
)


async def data_version(store: Store) -> int:
    """SQLite's data_version for this connection: it moves when another connection commits."""
    row = await store.fetchone("PRAGMA data_version")
    return int(row[0]) if row else 0


async def counters(store: Store) -> dict[str, int]:
    """The change counter of every watched table."""
    rows = await store.fetchall("SELECT name, n FROM change_counters")
    return {str(row[0]): int(row[1]) for row in rows}


@dataclass
class ChangeTracker:
    """Remembers the counters last seen and reports the tables that moved since."""

    store: Store
    _version: int | None = None
    _seen: dict[str, int] | None = None

    async def changed(self, *, force: bool = False) -> frozenset[str]:
        """Tables written since the last call (every table on the first call).

        `force` reads the counters even when no other connection committed — after this
        connection wrote itself (data_version does not move for a connection's own commits).
        """
        version = await data_version(self.store)
        if not force and self._seen is not None and version == self._version:
            return frozenset()
        self._version = version
        now = await counters(self.store)
        before, self._seen = self._seen, now
        if before is None:
            return frozenset(now)
        return frozenset(name for name, n in now.items() if before.get(name) != n)
