"""A store the size of a large training organisation's, for the dashboard benchmark.

100,000 learners (most synced, the rest spread over every pending bucket), 10,000 open alerts
and 1,000,000 integration-history rows, written with plain SQL in a few large transactions —
the same schema and triggers the daemon writes through, only faster to fill.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xerowatch.store.db import open_store

TENANT = "bench-tenant-0001"
CONNECTION = "bench-connection"


@dataclass(frozen=True)
class StoreSize:
    """How much to put in the store."""

    learners: int = 100_000
    open_alerts: int = 10_000
    history: int = 1_000_000


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _link_state(n: int) -> str:
    # 95% synced; the rest queued, failed (invalid/blocked) or dead, as a busy day leaves them
    bucket = n % 100
    if bucket < 95:
        return "synced"
    return ("pending", "pending", "invalid", "blocked", "dead")[bucket - 95]


async def build_big_store(path: Path, size: StoreSize, now: datetime) -> None:
    """Create and migrate the store at `path`, then fill it to `size`."""
    store = await open_store(path)
    await store.close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a scratch store: durability buys nothing here
        _fill(conn, size, now)
    finally:
        conn.close()


def _fill(conn: sqlite3.Connection, size: StoreSize, now: datetime) -> None:
    stamp = _iso(now)
    with conn:
        conn.execute(
            "INSERT INTO connections (id, provider, auth_mode, created_at, updated_at) "
            "VALUES (?, 'xero', 'custom_connection', ?, ?)",
            (CONNECTION, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO oauth_tokens (connection_id, access_token, access_expires_at, "
            "updated_at) VALUES (?, 'token', ?, ?)",
            (CONNECTION, _iso(now + timedelta(minutes=25)), stamp),
        )
        conn.execute(
            "INSERT INTO tenants (tenant_id, connection_id, name, created_at, updated_at) "
            "VALUES (?, ?, 'Big RTO Pty Ltd', ?, ?)",
            (TENANT, CONNECTION, stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO quota_samples (tenant_id, minute, calls, minute_remaining, "
            "day_remaining) VALUES (?, ?, ?, 60, 4000)",
            [
                (TENANT, _iso(now.replace(second=0, microsecond=0) - timedelta(minutes=m)), m % 7)
                for m in range(60)
            ],
        )
    with conn:
        conn.executemany(
            "INSERT INTO learners (source_id, ref_internal, first_name, last_name, email, "
            "sync_to_xero, is_active, data_json, content_hash, modified_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?)",
            (_learner_row(n, stamp) for n in range(size.learners)),
        )
        conn.executemany(
            "INSERT INTO contact_links (tenant_id, ref_internal, source_id, contact_id, state, "
            "last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    TENANT,
                    f"DAU{n:07d}",
                    f"L{n}",
                    f"c-{n}" if _link_state(n) == "synced" else None,
                    _link_state(n),
                    None if _link_state(n) == "synced" else "see the alert",
                    _iso(now - timedelta(seconds=n)),
                )
                for n in range(size.learners)
            ),
        )
    with conn:
        conn.executemany(
            "INSERT INTO alerts (type, tenant_id, record, message, fix, count, first_seen, "
            "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    ("learner_invalid", "contact_blocked", "writeback_failed")[n % 3],
                    TENANT,
                    f"DAU{n:07d}",
                    f"Learner DAU{n:07d}: the email address has a blank in it",
                    "Correct the email in Wisenet; the next poll syncs it",
                    1 + n % 4,
                    _iso(now - timedelta(days=2, seconds=n)),
                    _iso(now - timedelta(seconds=n)),
                )
                for n in range(size.open_alerts)
            ),
        )
    batch = 100_000
    for start in range(0, size.history, batch):
        with conn:
            conn.executemany(
                "INSERT INTO history (at, tenant_id, direction, record, action, outcome, "
                "http_status, correlation_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _history_row(n, now, size)
                    for n in range(start, min(start + batch, size.history))
                ),
            )


def _learner_row(n: int, stamp: str) -> tuple[object, ...]:
    data = {
        "source_id": f"L{n}",
        "ref_internal": f"DAU{n:07d}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "email": f"learner{n}@example.com",
        "sync_to_xero": True,
        "is_active": True,
    }
    return (
        f"L{n}",
        f"DAU{n:07d}",
        f"First{n}",
        f"Last{n}",
        f"learner{n}@example.com",
        json.dumps(data),
        f"hash{n}",
        stamp,
        stamp,
    )


def _history_row(n: int, now: datetime, size: StoreSize) -> tuple[object, ...]:
    at = now - timedelta(seconds=(size.history - n) * 2)
    return (
        _iso(at),
        TENANT,
        ("to_xero", "from_xero", "to_source")[n % 3],
        f"DAU{n % size.learners:07d}",
        ("push", "pull", "write_back")[n % 3],
        "ok" if n % 50 else "retry",
        200 if n % 50 else 503,
        f"corr-{n:08x}",
        "contact updated" if n % 3 == 0 else "",
    )


def now_utc() -> datetime:
    """The benchmark's "now" (real time: the dashboard reads the store against the clock)."""
    return datetime.now(UTC)
