"""The quota scheduler's restart journal, kept in the store's runtime state.

Each Xero call first records the tenant's calls of the last minute (one small row per tenant),
so a daemon restarted after a crash charges them to its new scheduler instead of meeting
Xero's minute limit with an empty window.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from xerowatch.store import runtime_state
from xerowatch.store.db import Store
from xerowatch.xero.quota import QuotaScheduler, RecentCalls

log = logging.getLogger(__name__)

KEY_PREFIX = "quota_window:"


def _dump(recent: RecentCalls) -> dict[str, Any]:
    return {
        "ended": [t.isoformat() for t in recent.ended],
        "started": [t.isoformat() for t in recent.started],
        "paused_until": recent.paused_until.isoformat() if recent.paused_until else None,
    }


def _load(value: Any) -> RecentCalls:
    paused = value.get("paused_until")
    return RecentCalls(
        ended=tuple(datetime.fromisoformat(t) for t in value.get("ended", [])),
        started=tuple(datetime.fromisoformat(t) for t in value.get("started", [])),
        paused_until=datetime.fromisoformat(paused) if paused else None,
    )


class StoreWindowJournal:
    """Saves each tenant's recent Xero calls under `quota_window:<tenant id>`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def save(self, tenant_id: str, recent: RecentCalls) -> None:
        """Record the tenant's recent calls."""
        await runtime_state.put(self._store, KEY_PREFIX + tenant_id, _dump(recent))


async def restore_windows(store: Store, quota: QuotaScheduler, *, max_call_s: float) -> int:
    """Charge the calls a previous process journaled to `quota`; return how many tenants."""
    restored = 0
    for tenant_id, value in (await runtime_state.get_prefixed(store, KEY_PREFIX)).items():
        try:
            recent = _load(value)
        except (AttributeError, TypeError, ValueError) as exc:  # hand-edited or damaged
            log.warning("ignoring the saved Xero call window of %s: %s", tenant_id, exc)
            continue
        quota.restore(tenant_id, recent, max_call_s=max_call_s)
        restored += 1
    return restored
