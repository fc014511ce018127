"""Xero quota scheduler: per-tenant concurrency, minute and day limits, app minute, lanes."""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

import anyio

from xerowatch.clock import Clock
from xerowatch.xero.errors import XeroRateLimited
from xerowatch.xero.quota_model import (
    _EPSILON_S,
    WINDOW_S,
    QuotaLimits,
    QuotaSnapshot,
    RecentCalls,
    TenantQuotaState,
    WindowJournal,
    _SlidingMinute,
)

__all__ = [
    "Lane",
    "QuotaLimits",
    "QuotaScheduler",
    "QuotaSnapshot",
    "RecentCalls",
    "TenantQuotaState",
    "WindowJournal",
]

log = logging.getLogger(__name__)

DAY_S = 86_400.0
DEFAULT_MINUTE_PAUSE_S = 60.0
"""Pause after a minute/app-minute 429 without Retry-After: no Xero minute window is longer."""
DAY_PROBE_S = 900.0
"""When our own count says the day is spent but Xero never told us when it resets, let one call
through this often: its headers (or a day-429's Retry-After) correct our estimate."""


class Lane(IntEnum):
    """Request priority; a lower value is served first."""

    OPERATOR = 0
    INCREMENTAL = 1
    BULK = 2
    BACKGROUND = 3


@dataclass(order=True)
class _Waiter:
    lane: Lane
    seq: int
    wake: anyio.Event = field(default_factory=anyio.Event, compare=False)
    gone: bool = field(default=False, compare=False)


@dataclass
class _Tenant:
    minute: _SlidingMinute = field(default_factory=_SlidingMinute)
    day_used: int = 0
    day_ends: float | None = None
    day_reset_learned: bool = False
    last_day_sync: float | None = None
    paused_until: float = 0.0
    parked_until: float = 0.0
    last_problem: str | None = None
    queue: list[_Waiter] = field(default_factory=list)
    started: deque[float] = field(default_factory=deque)
    """Start times of the calls in flight, oldest first (for the journal)."""

    def head(self) -> _Waiter | None:
        while self.queue and self.queue[0].gone:
            heapq.heappop(self.queue)
        return self.queue[0] if self.queue else None

    def wake_head(self) -> None:
        head = self.head()
        if head is not None:
            head.wake.set()

    def wake_all(self) -> None:
        for waiter in self.queue:
            waiter.wake.set()


class QuotaScheduler:
    """Hands out request slots so that no Xero limit is hit; waiters are served by lane."""

    def __init__(
        self, limits: QuotaLimits, clock: Clock, journal: WindowJournal | None = None
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._journal = journal
        self._journal_failed = False
        self._tenants: dict[str, _Tenant] = {}
        self._app = _SlidingMinute()
        self._app_paused_until = 0.0
        self._seq = itertools.count()

    def slot(self, tenant_id: str, lane: Lane) -> AbstractAsyncContextManager[None]:
        """Wait for, then hold, one request slot; raises XeroRateLimited if the day is refused."""
        return self._slot(tenant_id, lane)

    @asynccontextmanager
    async def _slot(self, tenant_id: str, lane: Lane) -> AsyncIterator[None]:
        tenant = self._tenant(tenant_id)
        await self._acquire(tenant, lane)
        try:
            await self._write_ahead(tenant_id)
            yield
        finally:  # synchronous, so it also runs to the end under cancellation
            now = self._clock.monotonic()
            tenant.minute.finish(now)
            if tenant.started:
                tenant.started.popleft()
            app_was_full = self._app.in_flight >= self._limits.app_per_minute
            self._app.finish(now)
            tenant.wake_head()
            if app_was_full:
                self._wake_every_head()

    async def _acquire(self, tenant: _Tenant, lane: Lane) -> None:
        if lane is Lane.BACKGROUND:
            self._take_free_room(tenant, lane)
            return
        waiter = _Waiter(lane, next(self._seq))
        heapq.heappush(tenant.queue, waiter)
        try:
            while True:
                now = self._clock.monotonic()
                self._refuse_if_out_of_budget(tenant, lane, now)
                delay = self._delay(tenant, now) if tenant.head() is waiter else None
                if delay == 0.0:
                    self._grant(tenant, now)
                    return
                waiter.wake = anyio.Event()
                await self._wait(waiter.wake, delay)
        finally:
            waiter.gone = True
            tenant.wake_head()  # the next waiter may be able to go too

    def _take_free_room(self, tenant: _Tenant, lane: Lane) -> None:
        """Grant a BACKGROUND slot only if one is free now and nobody waits; never queue.

        Waiting on a minute window would hold up whatever the caller does next (the write-back
        runs after the online links), and what background work takes now no one waits behind:
        part of every minute stays free for foreground work.
        """
        now = self._clock.monotonic()
        self._refuse_if_out_of_budget(tenant, lane, now)
        free = (
            tenant.head() is None
            and tenant.minute.used(now) < self._limits.background_minute_room
            and self._delay(tenant, now) == 0.0
        )
        if not free:
            raise XeroRateLimited(
                "background work takes only free call room and there is none this minute",
                problem="busy",
                retry_after=None,
                status=None,
            )
        self._grant(tenant, now)

    def _refuse_if_out_of_budget(self, tenant: _Tenant, lane: Lane, now: float) -> None:
        self._settle_day(tenant, now)
        if tenant.parked_until > now:
            left = tenant.parked_until - now
            raise XeroRateLimited(
                f"daily call limit reached; tenant parked for {left:.0f} s",
                problem="day",
                retry_after=left,
                status=None,
            )
        remaining = self._limits.per_day - tenant.day_used
        reserve = self._limits.day_reserve
        if (lane is Lane.BULK and remaining <= reserve) or (
            lane is Lane.BACKGROUND and remaining - reserve <= 0
        ):
            reset_in = None if tenant.day_ends is None else max(0.0, tenant.day_ends - now)
            raise XeroRateLimited(
                f"{lane.name.lower()} work may not touch the last {reserve} daily calls, "
                "kept for operator and incremental syncs",
                problem="reserve",
                retry_after=reset_in,
                status=None,
            )

    def _delay(self, tenant: _Tenant, now: float) -> float | None:
        if tenant.minute.in_flight >= self._limits.concurrent:
            return None
        minute = tenant.minute.delay(self._limits.per_minute, now)
        app = self._app.delay(self._limits.app_per_minute, now)
        if minute is None or app is None:
            return None
        pause = max(tenant.paused_until, self._app_paused_until) - now
        return max(minute, app, pause, 0.0)

    def _grant(self, tenant: _Tenant, now: float) -> None:
        tenant.minute.start()
        tenant.started.append(now)
        self._app.start()
        tenant.day_used += 1
        if tenant.day_ends is None:
            tenant.day_ends = now + DAY_S
        self._settle_day(tenant, now)  # the last call of the day parks the tenant from now

    async def _wait(self, wake: anyio.Event, delay: float | None) -> None:
        """Wait until woken, or until `delay` seconds of clock time pass."""
        if delay is None:
            await wake.wait()
            return
        async with anyio.create_task_group() as group:

            async def woken() -> None:
                await wake.wait()
                group.cancel_scope.cancel()

            group.start_soon(woken)
            await self._clock.sleep(delay)
            group.cancel_scope.cancel()

    def _settle_day(self, tenant: _Tenant, now: float) -> None:
        """Start a new day window when the old one ended; park the tenant when the day is spent."""
        if tenant.day_ends is not None and now >= tenant.day_ends:
            tenant.day_used = 0
            tenant.day_ends = None
            tenant.day_reset_learned = False
            tenant.parked_until = 0.0
        elif 0.0 < tenant.parked_until <= now:
            tenant.parked_until = 0.0
            # A probe park ran out before our estimated reset: allow one call to ask Xero.
            tenant.day_used = min(tenant.day_used, self._limits.per_day - 1)
        if tenant.day_used >= self._limits.per_day and tenant.parked_until <= now:
            self._park(tenant, now)

    def _park(self, tenant: _Tenant, now: float) -> None:
        """Park until the day resets; an unconfirmed reset is re-checked every DAY_PROBE_S."""
        ends = tenant.day_ends = tenant.day_ends or now + DAY_S
        probe = ends if tenant.day_reset_learned else now + DAY_PROBE_S
        tenant.parked_until = max(min(ends, probe), now + _EPSILON_S)
        tenant.last_problem = "day"

    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        """Re-sync counts from a response's X-*Limit-Remaining headers (call within the slot)."""
        now = self._clock.monotonic()
        tenant = self._tenant(tenant_id)
        self._settle_day(tenant, now)
        lowered = {key.lower(): value for key, value in headers.items()}
        minute_left = _count(lowered.get("x-minlimit-remaining"))
        if minute_left is not None:
            unseen = self._limits.per_minute - minute_left - tenant.minute.used(now)
            tenant.minute.charge(max(0, unseen), now)
        app_left = _count(lowered.get("x-appminlimit-remaining"))
        if app_left is not None:
            unseen = self._limits.app_per_minute - app_left - self._app.used(now)
            self._app.charge(max(0, unseen), now)
        day_left = _count(lowered.get("x-daylimit-remaining"))
        if day_left is not None:
            self._sync_day(tenant, max(0, self._limits.per_day - day_left), now)
            self._settle_day(tenant, now)
        tenant.wake_head()

    def _sync_day(self, tenant: _Tenant, xero_used: int, now: float) -> None:
        if tenant.day_ends is None:
            tenant.day_ends = now + DAY_S
        if xero_used > tenant.day_used:
            tenant.day_used = xero_used  # another process, or calls from before a restart
        elif tenant.day_used - xero_used > self._limits.concurrent + tenant.minute.in_flight:
            # More left than reordered responses could explain: Xero's day window restarted
            # since the last response we saw, so its reset is a day after that at the earliest.
            tenant.day_used = xero_used + max(0, tenant.minute.in_flight - 1)
            since = now if tenant.last_day_sync is None else tenant.last_day_sync
            tenant.day_ends = since + DAY_S
            tenant.day_reset_learned = False
            tenant.parked_until = 0.0
        tenant.last_day_sync = now

    def on_rate_limited(self, tenant_id: str, problem: str, retry_after: float | None) -> None:
        """React to a 429: pause (minute), park (day), or hold back by Retry-After (others)."""
        now = self._clock.monotonic()
        tenant = self._tenant(tenant_id)
        kind = problem.strip().lower()
        tenant.last_problem = kind or "unknown"
        if kind == "day":
            if retry_after is not None:
                tenant.day_ends = now + retry_after
                tenant.day_reset_learned = True
            tenant.day_used = max(tenant.day_used, self._limits.per_day)
            self._park(tenant, now)
            tenant.wake_all()
        elif kind in ("appminute", "appminlimit"):
            wait = DEFAULT_MINUTE_PAUSE_S if retry_after is None else retry_after
            self._app_paused_until = max(self._app_paused_until, now + wait)
        elif kind == "minute" or retry_after is not None:
            wait = DEFAULT_MINUTE_PAUSE_S if retry_after is None else retry_after
            tenant.paused_until = max(tenant.paused_until, now + wait)

    async def _write_ahead(self, tenant_id: str) -> None:
        """Journal the window before the call goes out, so a crash cannot hide it from a restart.

        A journal that cannot write (a full disk) must not stop the sync: the call goes ahead
        and the failure is logged once.
        """
        if self._journal is None:
            return
        try:
            await self._journal.save(tenant_id, self.recent(tenant_id))
        except Exception as exc:
            if not self._journal_failed:
                log.warning("could not record Xero calls for a restart (%s); continuing", exc)
            self._journal_failed = True
        else:
            self._journal_failed = False

    def recent(self, tenant_id: str) -> RecentCalls:
        """The tenant's calls still charged to its minute, in wall time."""
        now = self._clock.monotonic()
        tenant = self._tenant(tenant_id)
        wall = self._clock.now()

        def at(moment: float) -> datetime:
            return wall - timedelta(seconds=now - moment)

        return RecentCalls(
            ended=tuple(at(t) for t in tenant.minute.ended_since(now - WINDOW_S)),
            started=tuple(at(t) for t in tenant.started),
            paused_until=at(tenant.paused_until) if tenant.paused_until > now else None,
        )

    def restore(self, tenant_id: str, recent: RecentCalls, *, max_call_s: float) -> None:
        """Charge calls a previous process made (from its journal) to this process's window.

        An unanswered call is charged as ending when it must have ended at the latest: its
        start plus the longest a call can take, or now (its process is gone).
        """
        now = self._clock.monotonic()
        wall = self._clock.now()
        tenant = self._tenant(tenant_id)

        def mono(moment: datetime) -> float:
            return now - (wall - moment).total_seconds()

        ended = [mono(t) for t in recent.ended]
        ended += [min(now, mono(t) + max_call_s) for t in recent.started]
        tenant.minute.restore([t for t in ended if t > now - WINDOW_S])
        if recent.paused_until is not None:
            tenant.paused_until = max(tenant.paused_until, mono(recent.paused_until))

    def snapshot(self) -> QuotaSnapshot:
        """Return the current state of every tenant and of the app-wide minute budget."""
        now = self._clock.monotonic()
        app_used = self._app.used(now)
        return QuotaSnapshot(
            tenants={tid: self._tenant_state(tid, t, now) for tid, t in self._tenants.items()},
            app_minute_used=app_used,
            app_minute_remaining=max(0, self._limits.app_per_minute - app_used),
            taken_at=self._clock.now(),
        )

    def _tenant_state(self, tenant_id: str, tenant: _Tenant, now: float) -> TenantQuotaState:
        self._settle_day(tenant, now)
        minute_used = tenant.minute.used(now)
        paused = max(tenant.paused_until, self._app_paused_until)
        return TenantQuotaState(
            tenant_id=tenant_id,
            in_flight=tenant.minute.in_flight,
            minute_used=minute_used,
            minute_remaining=max(0, self._limits.per_minute - minute_used),
            day_used=tenant.day_used,
            day_remaining=max(0, self._limits.per_day - tenant.day_used),
            day_resets_at=self._wall(tenant.day_ends, now),
            parked_until=self._wall(tenant.parked_until, now),
            paused_until=self._wall(paused, now),
            last_problem=tenant.last_problem,
        )

    def spare_daily_budget(self, tenant_id: str) -> int:
        """Calls left today above the reserve kept for operator and incremental work."""
        now = self._clock.monotonic()
        tenant = self._tenant(tenant_id)
        self._settle_day(tenant, now)
        if tenant.parked_until > now:
            return 0
        left = self._limits.per_day - tenant.day_used
        return max(0, left - self._limits.day_reserve)

    def is_parked(self, tenant_id: str) -> bool:
        """True while the tenant's daily limit is spent (told by Xero or by our own count)."""
        now = self._clock.monotonic()
        tenant = self._tenant(tenant_id)
        self._settle_day(tenant, now)
        return tenant.parked_until > now

    def _tenant(self, tenant_id: str) -> _Tenant:
        return self._tenants.setdefault(tenant_id, _Tenant())

    def _wake_every_head(self) -> None:
        for tenant in self._tenants.values():
            tenant.wake_head()

    def _wall(self, moment: float | None, now: float) -> datetime | None:
        """Turn a future monotonic moment into wall time (None if unset or already past)."""
        if moment is None or moment <= now:
            return None
        return self._clock.now() + timedelta(seconds=moment - now)


def _count(value: str | None) -> int | None:
    """Parse a remaining-calls header; anything malformed is ignored rather than trusted."""
    if value is None:
        return None
    try:
        parsed = int(value.strip())
    except ValueError:
        return None
    return parsed if parsed >= 0 else None
