"""What a resync will cost before it starts: Xero calls, source writes, and when it ends.

The dashboard's resync dialog shows this so an operator never starts a resync that silently
eats the day's budget. Figures are upper bounds from what the store already holds: a page of
1,000 per type and organisation (at least one even when nothing is stored, because Xero may
hold records we never saw), contact writes of 50 for learners, a source write per stored
transaction of the range (only those that differ are written).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

from xerowatch.config import Settings
from xerowatch.store import preview_counts
from xerowatch.store.db import Store
from xerowatch.store.live import LiveState
from xerowatch.sync.resync import RESYNC_TYPES, parse_types

PAGE_SIZE = 1000
CONTACTS_PER_WRITE = 50


@dataclass(frozen=True)
class ResyncPreview:
    """A resync's cost and duration at the current budget."""

    reads: int
    writes_at_most: int
    calls: int
    source_requests: int
    eta_seconds: float
    fits_today: bool
    lines: list[str]


def parse_resync_input(
    date_from: str, date_to: str, types: list[str]
) -> tuple[date, date, list[str]]:
    """Validate a resync's range and types; raise ValueError with a one-line reason."""
    try:
        start = date.fromisoformat(date_from.strip())
    except ValueError:
        raise ValueError(f"from: {date_from!r} is not a date (YYYY-MM-DD)") from None
    try:
        end = date.fromisoformat(date_to.strip())
    except ValueError:
        raise ValueError(f"to: {date_to!r} is not a date (YYYY-MM-DD)") from None
    if end <= start:
        raise ValueError("the end of the range must be after its start")
    if not types:
        raise ValueError(f"choose at least one type: {', '.join(RESYNC_TYPES)}")
    return start, end, parse_types(types)


def _eta_seconds(calls: int, settings: Settings, live: LiveState | None, tenants: int) -> float:
    """Seconds until the last call can start under the minute limit (calls spread per tenant)."""
    per_minute = settings.xero.minute_limit
    per_tenant = math.ceil(calls / max(1, tenants))
    room_now = per_minute
    if live is not None and live.tenants:
        room_now = min(max(0, t.minute_limit - t.minute_used) for t in live.tenants.values())
    beyond = max(0, per_tenant - room_now)
    return 60.0 * math.ceil(beyond / per_minute) if beyond else 0.0


async def preview_resync(
    store: Store,
    settings: Settings,
    *,
    date_from: date,
    date_to: date,
    types: list[str],
    tenant_id: str = "",
    live: LiveState | None = None,
) -> ResyncPreview:
    """Estimate the calls, source writes and ETA of a resync of `types` over the range."""
    tenants = await preview_counts.active_tenants(store, tenant_id)
    start = datetime.combine(date_from, time.min).isoformat()
    end = datetime.combine(date_to, time.min).isoformat()
    reads = writes = source = 0
    lines: list[str] = []
    for name in types:
        kind = RESYNC_TYPES[name]
        if kind is None:
            learners = await preview_counts.learners_modified(store, start, end)
            batches = math.ceil(learners / CONTACTS_PER_WRITE) * len(tenants)
            reads += len(tenants)  # one incremental directory read each
            writes += batches
            lines.append(
                f"learners: {learners:,} in range → at most {batches:,} contact write(s) "
                f"+ {len(tenants)} directory read(s); unchanged contacts are not written"
            )
            continue
        stored, matched = await preview_counts.transactions_in_range(
            store, kind, date_from.isoformat(), date_to.isoformat(), tenant_id
        )
        pages = max(1, math.ceil(stored / PAGE_SIZE)) * len(tenants) if tenants else 0
        reads += pages
        source += matched
        lines.append(
            f"{name}: {stored:,} stored in range → {pages:,} page read(s); "
            f"at most {matched:,} write-back(s), only those that differ"
        )
    calls = reads + writes
    day_left = settings.xero.daily_limit
    if live is not None and live.tenants:
        day_left = min(max(0, t.day_limit - t.day_used) for t in live.tenants.values())
    bulk_left = max(0, day_left - round(settings.xero.daily_limit * settings.xero.reserve_share))
    per_tenant = math.ceil(calls / max(1, len(tenants)))
    fits = per_tenant <= bulk_left
    eta = _eta_seconds(calls, settings, live, len(tenants))
    if source:
        eta = max(eta, source / settings.wisenet.requests_per_second)
    if not tenants:
        lines.append("no connected organisation: nothing would be read")
    elif not fits:
        lines.append(
            f"needs {per_tenant:,} calls per organisation but only {bulk_left:,} are left today "
            "for bulk work: it pauses at the limit and resumes when the day resets"
        )
    return ResyncPreview(
        reads=reads,
        writes_at_most=writes,
        calls=calls,
        source_requests=source,
        eta_seconds=eta,
        fits_today=fits,
        lines=lines,
    )
