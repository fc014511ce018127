"""Wisenet request budget: at most 10 requests in any second, and a rolling daily quota.

The rate limit is a sliding window (a log of the last N requests) rather than a token bucket
with a burst of N: a full bucket followed by its refill puts up to 2N requests into one second,
which a server counting per second answers with 429s. A request sent through `request()` is
charged from its send until one window after its answer arrived, less the fastest round trip
seen so far (minus a margin). The server saw request i at some moment between its send and its
answer; the fastest round trip is a floor on the time any request spends on the way there, in
the server and on the way back, so request k, sent that long after i's answer, arrives at least
a window after i did. With no credit (the first request, or a fast network) this is the plain
"until a window after the answer" rule; with a steady 300 ms round trip it lets 9.8 requests a
second through instead of 7.7 (10 / 1.3), which concurrent write-backs need to use the rate.

Wisenet does not say when its daily quota resets, so the quota is counted over a rolling 24 hours:
whatever the server's boundary, the requests it has counted "today" are never more than the
requests made in the last 24 hours. A share of the quota (`read_reserve_share`, 20 % by default)
is kept for reading learners: write-backs stop when only the reserve is left, so a backlog of
write-backs can never starve learner polling (a new learner still reaches Xero the same day).
Reads may use the whole quota.

The day's counts are kept per wall-clock minute and, given a `BudgetLedger`, saved every few
requests and on `flush()`, so a restart does not forget what the day has used (a crash forgets at
most the last few requests). A ledger that fails is logged and otherwise ignored.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, Protocol

import anyio

from xerowatch.clock import Clock
from xerowatch.source.port import SourceBudget, SourceBudgetRefused

log = logging.getLogger(__name__)

Purpose = Literal["read", "write"]

DAY_SECONDS = 86_400
_BUCKET_SECONDS = 60  # request counts are kept per minute of the rolling window
SAVE_EVERY = 10
"""Requests counted between two saves to the ledger (a new minute also saves)."""
RTT_MARGIN_SECONDS = 0.02
"""Kept off the fastest round trip's credit: jitter below the fastest one seen so far."""
RTT_SAMPLES = 20
"""Round trips measured before the fastest one is trusted as a floor (until then, no credit)."""


class BudgetLedger(Protocol):
    """Where the day's request counts survive a restart (e.g. the store)."""

    async def load(self) -> Any:
        """Return the last saved state, or None."""
        ...

    async def save(self, state: Any) -> None:
        """Save a JSON-able state."""
        ...


class RequestBudget:
    """Paces requests to `requests_per_second` and refuses them before the daily quota runs out."""

    def __init__(
        self,
        clock: Clock,
        *,
        daily_quota: int,
        requests_per_second: float,
        read_reserve_share: float = 0.2,
        min_poll_seconds: float = 1.0,
        ledger: BudgetLedger | None = None,
    ) -> None:
        if not 0.0 <= read_reserve_share < 1.0:
            raise ValueError("read_reserve_share must be in [0, 1)")
        self._clock = clock
        self.daily_quota = daily_quota
        self.rate = requests_per_second
        self.read_reserve = math.ceil(daily_quota * read_reserve_share)
        self._min_poll_seconds = min_poll_seconds
        self._window_size = max(1, int(requests_per_second))
        self._window_seconds = self._window_size / requests_per_second
        self._sent: deque[float] = deque()  # when each request of the last window ended
        self._in_flight = 0
        self._fastest = math.inf  # the shortest round trip seen, in seconds
        self._trips = 0
        self._answered = anyio.Event()  # set when a request in flight gets its answer
        self._lock = anyio.Lock()
        self._minutes: deque[tuple[int, int]] = deque()  # (epoch minute, requests in it)
        self._used = 0
        self._poll_cost = 2.0  # learners page + audit log, until polls are observed
        self._ledger = ledger
        self._loaded = ledger is None
        self._unsaved = 0

    @property
    def used(self) -> int:
        """Requests made in the last 24 hours."""
        self._expire()
        return self._used

    async def acquire(self, purpose: Purpose = "read") -> None:
        """Wait for room in the rate window, then count one request; SourceError if over budget.

        The request is charged from now; use `request()` when the answer's arrival is known.
        """
        await self._take(purpose, in_flight=False)

    @asynccontextmanager
    async def request(self, purpose: Purpose = "read") -> AsyncIterator[None]:
        """Hold one request's place in the window from its send until a window after its answer."""
        sent = await self._take(purpose, in_flight=True)
        try:
            yield
        finally:  # synchronous: runs to the end under cancellation too
            self._in_flight -= 1
            answered = self._clock.monotonic()
            self._fastest = min(self._fastest, answered - sent)
            self._trips += 1
            trusted = self._trips >= RTT_SAMPLES
            credit = max(0.0, self._fastest - RTT_MARGIN_SECONDS) if trusted else 0.0
            # Non-decreasing: answers come in time order and the credit never grows.
            self._sent.append(max(answered - credit, self._sent[-1] if self._sent else sent))
            self._answered.set()

    async def _take(self, purpose: Purpose, *, in_flight: bool) -> float:
        async with self._lock:
            if not self._loaded:
                await self._load()
            try:
                self._check_quota(purpose)
            except SourceBudgetRefused:
                if self._unsaved:  # the day as it stands: what `status` forecasts from
                    await self._save()
                raise
            while True:
                now = self._clock.monotonic()
                while self._sent and now - self._sent[0] >= self._window_seconds:
                    self._sent.popleft()
                if self._in_flight + len(self._sent) < self._window_size:
                    break
                if self._in_flight >= self._window_size:
                    self._answered = anyio.Event()  # only an answer can make room
                    await self._answered.wait()
                    continue
                # The floor keeps float rounding from producing sleeps too small to move time.
                oldest = self._sent[self._in_flight + len(self._sent) - self._window_size]
                await self._clock.sleep(max(1e-3, self._window_seconds - (now - oldest)))
            sent = self._clock.monotonic()
            if in_flight:
                self._in_flight += 1
            else:
                self._sent.append(sent)
            if self._count() or self._unsaved >= SAVE_EVERY:
                await self._save()
            return sent

    async def flush(self) -> None:
        """Save the counts not yet saved (call on shutdown)."""
        async with self._lock:
            if self._unsaved:
                await self._save()

    def record_poll(self, requests: int) -> None:
        """Tell the budget what one poll cost, to refine the suggested poll interval."""
        if requests > 0:
            self._poll_cost = 0.8 * self._poll_cost + 0.2 * requests

    def snapshot(self) -> SourceBudget:
        """Return used requests and the poll interval that spreads the rest over 24 hours."""
        return SourceBudget(
            daily_quota=self.daily_quota,
            used_today=self.used,
            suggested_poll_seconds=self._suggested_poll_seconds(),
        )

    def _suggested_poll_seconds(self) -> float:
        cost = max(1.0, self._poll_cost)
        available = self.daily_quota - self.used
        if available >= cost:
            # Every request stays in the window for 24 h: this pace never exhausts the reads.
            return max(self._min_poll_seconds, cost * DAY_SECONDS / available)
        return max(self._min_poll_seconds, self._seconds_until_freed(math.ceil(cost - available)))

    def _seconds_until_freed(self, needed: int) -> float:
        now = self._clock.now().timestamp()
        freed = 0
        for minute, count in self._minutes:
            freed += count
            if freed >= needed:
                return (minute + 1) * _BUCKET_SECONDS + DAY_SECONDS - now
        return float(DAY_SECONDS)

    @property
    def write_limit(self) -> int:
        """Requests in 24 h after which write-backs stop (the rest is kept for reads)."""
        return self.daily_quota - self.read_reserve

    def _check_quota(self, purpose: Purpose) -> None:
        used = self.used
        limit = self.write_limit if purpose == "write" else self.daily_quota
        if used + 1 <= limit:
            return
        wait = self._seconds_until_freed(used + 1 - limit)
        if purpose == "write":
            raise SourceBudgetRefused(
                f"Wisenet daily budget for write-backs spent: {used} of {self.daily_quota} "
                f"requests used in the last 24 h and the last {self.read_reserve} are kept for "
                f"reading learners; write-backs resume in about {wait / 3600:.1f} h",
                resume_in_seconds=wait,
            )
        raise SourceBudgetRefused(
            f"Wisenet daily quota spent: {used} of {self.daily_quota} requests used in the last "
            f"24 h; polling resumes in about {wait / 3600:.1f} h (raise [wisenet] daily_quota on "
            "a Full licence)",
            resume_in_seconds=wait,
        )

    def _count(self) -> bool:
        """Count one request; True when it opened a new minute."""
        self._used += 1
        self._unsaved += 1
        minute = self._minute()
        if self._minutes and self._minutes[-1][0] >= minute:  # >=: the wall clock stepped back
            last, count = self._minutes[-1]
            self._minutes[-1] = (last, count + 1)
            return False
        self._minutes.append((minute, 1))
        return True

    def _minute(self) -> int:
        return int(self._clock.now().timestamp() // _BUCKET_SECONDS)

    def _expire(self) -> None:
        # A minute leaves the window once its last possible second is 24 h old.
        last_expired = self._minute() - DAY_SECONDS // _BUCKET_SECONDS - 1
        while self._minutes and self._minutes[0][0] <= last_expired:
            self._used -= self._minutes.popleft()[1]

    async def _load(self) -> None:
        self._loaded = True
        if self._ledger is None:
            return
        try:
            state = await self._ledger.load()
        except Exception as exc:  # the budget must work without its ledger
            log.warning("Wisenet budget: cannot read the saved usage (%s); counting from 0", exc)
            return
        saved = _saved_minutes(state)
        merged: dict[int, int] = dict(saved)
        for minute, count in self._minutes:
            merged[minute] = merged.get(minute, 0) + count
        self._minutes = deque(sorted(merged.items()))
        self._used = sum(merged.values())
        self._expire()

    async def _save(self) -> None:
        self._unsaved = 0
        if self._ledger is None:
            return
        self._expire()
        state = {
            "minutes": [[minute, count] for minute, count in self._minutes],
            # For the backlog forecast `status` shows without asking the daemon.
            "daily_quota": self.daily_quota,
            "write_limit": self.write_limit,
        }
        try:
            await self._ledger.save(state)
        except Exception as exc:  # the budget must work without its ledger
            log.warning("Wisenet budget: cannot save the day's usage (%s)", exc)


def _saved_minutes(state: Any) -> list[tuple[int, int]]:
    """The (epoch minute, count) pairs of a saved state; anything unreadable counts as none."""
    raw = state.get("minutes") if isinstance(state, dict) else None
    if not isinstance(raw, list):
        return []
    pairs = []
    for item in raw:
        if (
            isinstance(item, list)
            and len(item) == 2
            and all(type(v) is int and v >= 0 for v in item)
        ):
            pairs.append((item[0], item[1]))
    return pairs
