"""Xero quota scheduler: per-tenant concurrency, minute and day limits, app minute, lanes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

from xerowatch.clock import Clock

if TYPE_CHECKING:
    from xerowatch.config import XeroSettings


class Lane(IntEnum):
    """Request priority; a lower value is served first."""

    OPERATOR = 0
    INCREMENTAL = 1
    BULK = 2
    BACKGROUND = 3


@dataclass(frozen=True)
class QuotaLimits:
    """The limits the scheduler enforces (Xero's defaults)."""

    concurrent: int = 5
    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10_000
    reserve_share: float = 0.2

    @classmethod
    def from_settings(cls, s: XeroSettings) -> QuotaLimits:
        """Build limits from the `[xero]` settings section."""
        return cls(
            concurrent=s.concurrent_limit,
            per_minute=s.minute_limit,
            per_day=s.daily_limit,
            app_per_minute=s.app_minute_limit,
            reserve_share=s.reserve_share,
        )


@dataclass(frozen=True)
class TenantQuotaState:
    """One tenant's quota as seen by the scheduler, for the dashboard and metrics."""

    tenant_id: str
    in_flight: int
    minute_used: int
    minute_remaining: int
    day_used: int
    day_remaining: int
    day_resets_at: datetime | None
    parked_until: datetime | None
    paused_until: datetime | None
    last_problem: str | None


@dataclass(frozen=True)
class QuotaSnapshot:
    """All tenants' quota plus the app-wide minute budget at one instant."""

    tenants: dict[str, TenantQuotaState]
    app_minute_used: int
    app_minute_remaining: int
    taken_at: datetime


class QuotaScheduler:
    """Hands out request slots so no Xero limit is exceeded (skeleton: work in progress)."""

    def __init__(self, limits: QuotaLimits, clock: Clock) -> None:
        self._limits = limits
        self._clock = clock

    def slot(self, tenant_id: str, lane: Lane) -> AbstractAsyncContextManager[None]:
        """Wait for, then hold, one request slot for `tenant_id` in `lane`."""
        return self._slot(tenant_id, lane)

    @asynccontextmanager
    async def _slot(self, tenant_id: str, lane: Lane) -> AsyncIterator[None]:
        yield

    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        """Re-sync counts from a response's X-*Limit-Remaining headers."""

    def on_rate_limited(self, tenant_id: str, problem: str, retry_after: float | None) -> None:
        """React to a 429: pause (minute), park (day) or note the problem."""

    def snapshot(self) -> QuotaSnapshot:
        """Return the current state of every tenant."""
        return QuotaSnapshot(
            tenants={},
            app_minute_used=0,
            app_minute_remaining=self._limits.app_per_minute,
            taken_at=self._clock.now(),
        )

    def spare_daily_budget(self, tenant_id: str) -> int:
        """Calls left today above the operator/incremental reserve."""
        return self._limits.per_day - round(self._limits.per_day * self._limits.reserve_share)

    def is_parked(self, tenant_id: str) -> bool:
        """True while the tenant's daily limit is exhausted."""
        return False
