"""The active Xero tenants as (tenant_id, connection_id) pairs, ordered by tenant id.

Read on every cycle and by the daemon when it builds its loops (synchronously, read-only, before
any event loop is running for the store).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from xerowatch.store.db import Store

log = logging.getLogger(__name__)

_ACTIVE = "SELECT tenant_id, connection_id FROM tenants WHERE active = 1 ORDER BY tenant_id"


async def active_tenants(store: Store) -> list[tuple[str, str]]:
    """Active tenants as (tenant_id, connection_id), by tenant id."""
    return [(str(row[0]), str(row[1])) for row in await store.fetchall(_ACTIVE)]


def active_tenants_readonly(path: str | Path) -> list[tuple[str, str]]:
    """The same pairs read over a read-only sqlite3 connection ([] and a warning on failure)."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"  # '#', '?', '%' escaped
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = conn.execute(_ACTIVE).fetchall()
    except sqlite3.Error as exc:
        log.warning("could not list tenants: %s", exc)
        return []
    return [(str(row[0]), str(row[1])) for row in rows]
