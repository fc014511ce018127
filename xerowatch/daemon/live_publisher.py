"""Publish the daemon's live state (quota, source budget, loops) for attached dashboards.

At most once a second, and only when something but the time of reading changed: an idle
daemon writes nothing, so an idle dashboard has nothing to re-read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from xerowatch.config import Settings
from xerowatch.daemon.commands_loop import COMMAND_LOOP_NAME
from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.source.port import SourceBudget
from xerowatch.store import live
from xerowatch.store.db import Store
from xerowatch.store.live import LiveLoop, LiveSourceBudget, LiveState, LiveTenantQuota
from xerowatch.xero.quota import QuotaSnapshot

PUBLISH_EVERY_S = 1.0
PUBLISHER_LOOP = "publish_live"
UNPUBLISHED_LOOPS = frozenset({PUBLISHER_LOOP, COMMAND_LOOP_NAME})
"""Loops that run every second or faster: their clocks would make every second a change (and
every attached dashboard re-read), while their health shows elsewhere (commands' own rows)."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def build_live_state(
    *,
    settings: Settings,
    quota: QuotaSnapshot,
    budget: SourceBudget | None,
    health: Mapping[str, LoopHealth],
) -> LiveState:
    """The live state from the scheduler's snapshot, the source's budget and loop health."""
    xero = settings.xero
    return LiveState(
        taken_at=quota.taken_at.isoformat(),
        app_minute_used=quota.app_minute_used,
        app_minute_limit=xero.app_minute_limit,
        tenants={
            tid: LiveTenantQuota(
                tenant_id=tid,
                in_flight=s.in_flight,
                minute_used=s.minute_used,
                minute_limit=xero.minute_limit,
                day_used=s.day_used,
                day_limit=xero.daily_limit,
                day_resets_at=_iso(s.day_resets_at),
                parked_until=_iso(s.parked_until),
                paused_until=_iso(s.paused_until),
                last_problem=s.last_problem,
            )
            for tid, s in sorted(quota.tenants.items())
        },
        source=LiveSourceBudget(settings.source.kind, budget.used_today, budget.daily_quota)
        if budget is not None
        else None,
        loops={
            name: LiveLoop(
                name=name,
                tenant_id=h.tenant_id,
                alive=h.alive,
                running=h.running,
                last_ok_at=_iso(h.last_ok_at),
                failures=h.failures,
                last_error=h.last_error,
            )
            for name, h in sorted(health.items())
            if name not in UNPUBLISHED_LOOPS
        },
    )


@dataclass
class LivePublisher:
    """Writes the live state when it changed since the last write."""

    store: Store
    read_state: Callable[[], LiveState]
    _last: LiveState | None = None

    async def publish(self) -> bool:
        """Publish if changed; return whether a row was written."""
        state = self.read_state()
        if state.same_as(self._last):
            return False
        await live.publish(self.store, state)
        self._last = state
        return True
