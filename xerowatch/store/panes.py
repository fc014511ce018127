"""The lists behind the dashboard's panes: paged, bounded, served by indexes.

Each function reads one page (a LIMIT) however large the store is: pending learners by why
they wait, open alerts by type and text, the history tail, and one learner's whole story.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from xerowatch.store import alerts, history, jobs, learners, links
from xerowatch.store.alerts import Alert
from xerowatch.store.db import Store
from xerowatch.store.history import HistoryEntry
from xerowatch.store.jobs import Job
from xerowatch.store.learners import StoredLearner
from xerowatch.store.links import ContactLink

PendingBucket = Literal["queued", "in_doubt", "retrying", "failed", "dead"]
PENDING_BUCKETS: tuple[PendingBucket, ...] = ("queued", "in_doubt", "retrying", "failed", "dead")
CONTACT_JOB = "contact"
MAX_PAGE = 1000

_LINK_COLUMNS = (
    "l.tenant_id, l.ref_internal, l.state AS link_state, l.last_error AS link_error, "
    "l.updated_at, COALESCE(TRIM(COALESCE(n.first_name, '') || ' ' || "
    "COALESCE(n.last_name, '')), '') AS name"
)
_NAME_JOIN = "LEFT JOIN learners AS n ON n.source_id = l.source_id"
_OPEN_JOB = (
    "EXISTS (SELECT 1 FROM jobs AS j WHERE j.tenant_id = l.tenant_id AND j.kind = 'contact' "
    "AND j.key = l.ref_internal AND j.state IN ('running', 'retry'))"
)
_BUCKET_SQL: dict[PendingBucket, str] = {
    "queued": f"SELECT {_LINK_COLUMNS}, 0 AS attempts, NULL AS next_attempt_at, NULL AS job_error "
    f"FROM contact_links AS l {_NAME_JOIN} WHERE l.state = 'pending' AND NOT {_OPEN_JOB} "
    "ORDER BY l.updated_at, l.ref_internal",
    "in_doubt": f"SELECT {_LINK_COLUMNS}, j.attempts, j.next_attempt_at, j.last_error AS job_error "
    "FROM jobs AS j JOIN contact_links AS l ON l.tenant_id = j.tenant_id "
    f"AND l.ref_internal = j.key {_NAME_JOIN} WHERE j.kind = 'contact' AND j.state = 'running' "
    "ORDER BY j.updated_at, j.key",
    "retrying": f"SELECT {_LINK_COLUMNS}, j.attempts, j.next_attempt_at, j.last_error AS job_error "
    "FROM jobs AS j JOIN contact_links AS l ON l.tenant_id = j.tenant_id "
    f"AND l.ref_internal = j.key {_NAME_JOIN} WHERE j.kind = 'contact' AND j.state = 'retry' "
    "ORDER BY j.next_attempt_at, j.key",
    "failed": f"SELECT {_LINK_COLUMNS}, 0 AS attempts, NULL AS next_attempt_at, "
    f"NULL AS job_error FROM contact_links AS l {_NAME_JOIN} "
    "WHERE l.state IN ('invalid', 'blocked') ORDER BY l.updated_at DESC, l.ref_internal",
    "dead": f"SELECT {_LINK_COLUMNS}, 0 AS attempts, NULL AS next_attempt_at, NULL AS job_error "
    f"FROM contact_links AS l {_NAME_JOIN} WHERE l.state = 'dead' "
    "ORDER BY l.updated_at DESC, l.ref_internal",
}


@dataclass(frozen=True)
class PendingLearner:
    """One learner waiting on its Xero contact, and why."""

    tenant_id: str
    ref_internal: str
    name: str
    bucket: PendingBucket
    link_state: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    updated_at: str


def _page(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), max(1, min(limit, MAX_PAGE))


async def pending_learners(
    store: Store, bucket: PendingBucket, *, offset: int = 0, limit: int = 100
) -> list[PendingLearner]:
    """One page of the learners in a pending bucket (queued oldest first, failures newest)."""
    if bucket not in _BUCKET_SQL:
        raise ValueError(f"unknown bucket {bucket!r}: one of {', '.join(PENDING_BUCKETS)}")
    offset, limit = _page(offset, limit)
    rows = await store.fetchall(f"{_BUCKET_SQL[bucket]} LIMIT ? OFFSET ?", (limit, offset))
    return [
        PendingLearner(
            tenant_id=str(row["tenant_id"]),
            ref_internal=str(row["ref_internal"]),
            name=str(row["name"] or ""),
            bucket=bucket,
            link_state=str(row["link_state"]),
            attempts=int(row["attempts"] or 0),
            next_attempt_at=row["next_attempt_at"],
            last_error=row["job_error"] or row["link_error"],
            updated_at=str(row["updated_at"]),
        )
        for row in rows
    ]


def _alert_filter(type_: str | None, search: str | None) -> tuple[str, list[object]]:
    sql = "acknowledged_at IS NULL AND resolved_at IS NULL"
    params: list[object] = []
    if type_:
        sql += " AND type = ?"
        params.append(type_)
    text = (search or "").strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += (
            " AND (record LIKE ? ESCAPE '\\' OR message LIKE ? ESCAPE '\\' "
            "OR fix LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern] * 4)
    return sql, params


async def alert_page(
    store: Store,
    *,
    type_: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> list[Alert]:
    """One page of open alerts, newest first, optionally of one type or matching a text."""
    where, params = _alert_filter(type_, search)
    offset, limit = _page(offset, limit)
    rows = await store.fetchall(
        f"SELECT * FROM alerts WHERE {where} ORDER BY last_seen DESC, id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [Alert(**dict(row)) for row in rows]


async def count_alerts(store: Store, *, type_: str | None = None, search: str | None = None) -> int:
    """How many open alerts match the filter."""
    where, params = _alert_filter(type_, search)
    row = await store.fetchone(f"SELECT COUNT(*) FROM alerts WHERE {where}", params)
    return int(row[0]) if row else 0


def _entries(rows: list[aiosqlite.Row]) -> list[HistoryEntry]:
    return [HistoryEntry(**dict(row)) for row in rows]


async def history_tail(
    store: Store, *, record: str | None = None, limit: int = 200
) -> list[HistoryEntry]:
    """The newest history rows (of one record, if given), newest first."""
    _, limit = _page(0, limit)
    if record:
        return await history.for_record(store, record, limit)
    return _entries(
        await store.fetchall("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,))
    )


async def history_after(
    store: Store, after_id: int, *, record: str | None = None, limit: int = 500
) -> list[HistoryEntry]:
    """History rows newer than `after_id` (of one record, if given), oldest first."""
    _, limit = _page(0, limit)
    if record:
        rows = await store.fetchall(
            "SELECT * FROM history WHERE record = ? AND id > ? ORDER BY id LIMIT ?",
            (record, after_id, limit),
        )
    else:
        rows = await store.fetchall(
            "SELECT * FROM history WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
    return _entries(rows)


@dataclass(frozen=True)
class TransactionView:
    """One of a learner's transactions and whether its current content reached the source."""

    tenant_id: str
    kind: str
    xero_id: str
    number: str | None
    status: str
    date: str | None
    total: str | None
    currency: str | None
    written_back: bool
    written_back_at: str | None
    online_invoice_url: str | None


@dataclass(frozen=True)
class LearnerDetail:
    """Everything known about one learner: as read, its contacts, money, attempts, alerts."""

    ref_internal: str
    learner: StoredLearner | None
    links: list[ContactLink]
    transactions: list[TransactionView]
    history: list[HistoryEntry]
    alerts: list[Alert]
    jobs: list[Job]


async def learner_detail(store: Store, ref: str, *, limit: int = 200) -> LearnerDetail | None:
    """One learner's detail by RefInternal; None when nothing at all is known of it."""
    learner = await learners.get_by_ref(store, ref)
    link_rows = await store.fetchall(
        "SELECT * FROM contact_links WHERE ref_internal = ? ORDER BY tenant_id", (ref,)
    )
    tx_rows = await store.fetchall(
        "SELECT tenant_id, kind, xero_id, number, status, date, total, currency, "
        "written_hash IS NOT NULL AND written_hash = content_hash AS written_back, "
        "written_back_at, online_invoice_url FROM transactions WHERE ref_internal = ? "
        "ORDER BY date DESC, kind, xero_id LIMIT ?",
        (ref, limit),
    )
    entries = await history.for_record(store, ref, limit)
    alert_rows = await store.fetchall(
        "SELECT * FROM alerts WHERE record = ? AND acknowledged_at IS NULL "
        "AND resolved_at IS NULL ORDER BY last_seen DESC LIMIT ?",
        (ref, limit),
    )
    job_rows = await store.fetchall(
        "SELECT * FROM jobs WHERE kind = ? AND key = ? ORDER BY tenant_id", (CONTACT_JOB, ref)
    )
    if learner is None and not link_rows and not tx_rows and not entries:
        return None
    return LearnerDetail(
        ref_internal=ref,
        learner=learner,
        links=[links.ContactLink(**dict(row)) for row in link_rows],
        transactions=[
            TransactionView(**{**dict(row), "written_back": bool(row["written_back"])})
            for row in tx_rows
        ],
        history=entries,
        alerts=[alerts.Alert(**dict(row)) for row in alert_rows],
        jobs=[jobs.job_from_row(row) for row in job_rows],
    )
