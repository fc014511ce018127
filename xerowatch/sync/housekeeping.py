"""Housekeeping: quota samples for the dashboard, retention, and the stranded-transaction check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from xerowatch.store import alerts, quota_samples, retention, transactions
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


STRANDED_ALERT = "transaction_stranded"


async def check_stranded(store: Store) -> int:
    """Match transactions left unmatched although their contact is linked; alert if any were.

    The pull matches each page against the links in the transaction that stores it, and a link
    re-matches what is stored, so this should always find nothing. If it finds something, a bug
    let write-backs be lost: they are repaired (due for write-back now) and an alert says so.
    """
    repaired: dict[str, int] = {}
    async with store.transaction() as conn:
        for tenant_id, owners in (await transactions.stranded(conn)).items():
            repaired[tenant_id] = await transactions.match_contacts(conn, tenant_id, owners)
    for tenant_id, count in repaired.items():
        if count:
            await alerts.raise_alert(
                store,
                STRANDED_ALERT,
                f"{count} transaction{'s' if count != 1 else ''} of linked contacts had been "
                "left unmatched; they are matched now and will be written back",
                fix="Nothing to do for these; please report it, as it means a sync bug",
                tenant_id=tenant_id,
            )
    return sum(repaired.values())
