"""Per-minute samples of Xero quota use per tenant, for the dashboard and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from xerowatch.store.db import Store


@dataclass(frozen=True)
class QuotaSample:
    """Calls made in one minute and what Xero said remained."""

    tenant_id: str
    minute: str
    calls: int
    minute_remaining: int | None
    day_remaining: int | None
    app_minute_remaining: int | None


async def record(store: Store, sample: QuotaSample) -> None:
    """Store (or add to) the sample of a tenant's minute."""
    await store.execute(
        """
        INSERT INTO quota_samples (tenant_id, minute, calls, minute_remaining, day_remaining,
                                   app_minute_remaining)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, minute) DO UPDATE SET
            calls = quota_samples.calls + excluded.calls,
            minute_remaining = excluded.minute_remaining,
            day_remaining = excluded.day_remaining,
            app_minute_remaining = excluded.app_minute_remaining
        """,
        (
            sample.tenant_id,
            sample.minute,
            sample.calls,
            sample.minute_remaining,
            sample.day_remaining,
            sample.app_minute_remaining,
        ),
    )


async def recent(store: Store, tenant_id: str, limit: int = 60) -> list[QuotaSample]:
    """Return the newest samples of a tenant, oldest first."""
    rows = await store.fetchall(
        "SELECT * FROM quota_samples WHERE tenant_id = ? ORDER BY minute DESC LIMIT ?",
        (tenant_id, limit),
    )
    return [QuotaSample(**dict(row)) for row in reversed(rows)]
