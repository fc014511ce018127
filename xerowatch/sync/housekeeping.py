"""Housekeeping: per-minute quota samples for the dashboard, and retention of old rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from xerowatch.store import quota_samples, retention
from xerowatch.store.db import Store
from xerowatch.store.quota_samples import QuotaSample
from xerowatch.xero.quota import QuotaScheduler


@dataclass
class QuotaSampler:
    """Turns the scheduler's running counts into one stored sample per tenant per minute."""

    store: Store
    quota: QuotaScheduler
    _day_used: dict[str, int] = field(default_factory=dict)

    async def sample(self, now: datetime) -> int:
        """Store the calls each tenant made since the last sample; return how many rows."""
        snapshot = self.quota.snapshot()
        minute = now.replace(second=0, microsecond=0).isoformat()
        written = 0
        for tenant_id, state in snapshot.tenants.items():
            before = self._day_used.get(tenant_id, 0)
            calls = state.day_used - before if state.day_used >= before else state.day_used
            self._day_used[tenant_id] = state.day_used
            await quota_samples.record(
                self.store,
                QuotaSample(
                    tenant_id=tenant_id,
                    minute=minute,
                    calls=calls,
                    minute_remaining=state.minute_remaining,
                    day_remaining=state.day_remaining,
                    app_minute_remaining=snapshot.app_minute_remaining,
                ),
            )
            written += 1
        return written


async def prune_old_rows(store: Store, retention_days: int, now: datetime) -> dict[str, int]:
    """Delete history, samples and finished rows past the retention period."""
    return await retention.prune(store, retention_days=retention_days, now=now)
