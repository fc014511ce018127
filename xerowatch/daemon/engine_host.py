"""The engine's runtime for the daemon: opened for the configuration in force, closed at the end.

One runtime (store, Xero client with its quota scheduler, source) serves every loop of a
configuration. A reload that changed the settings opens a fresh one when the first loop of the
new generation asks for it — after every loop of the old one has stopped — and closes the old
one then; a reload that changed nothing keeps it, quota state included.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Protocol

import anyio

from xerowatch.clock import Clock
from xerowatch.config import Settings
from xerowatch.daemon.metrics import CallMetrics
from xerowatch.daemon.pacing import PullPacer
from xerowatch.store.db import Store
from xerowatch.wiring import Runtime, open_runtime
from xerowatch.xero.quota import QuotaSnapshot
from xerowatch.xero.transport import CallRecord


class RuntimeOpener(Protocol):
    """Opens a runtime for settings on the daemon's store (`open_runtime`, or a test's)."""

    def __call__(
        self,
        settings: Settings,
        *,
        clock: Clock,
        store: Store,
        on_call: Callable[[CallRecord], None],
    ) -> AbstractAsyncContextManager[Runtime]:
        """Return the context that opens and closes the runtime."""
        ...


class EngineHost:
    """Opens the runtime for the current configuration (once) and closes it at the end."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        calls: CallMetrics,
        *,
        opener: RuntimeOpener = open_runtime,
    ) -> None:
        self._store = store
        self._clock = clock
        self._calls = calls
        self._opener = opener
        self._lock = anyio.Lock()
        self._stack: AsyncExitStack | None = None
        self._opened_for: Settings | None = None
        self.current: Runtime | None = None
        self.settings: Settings | None = None
        """The configuration in force (set when its loops are built)."""
        self.wake: Callable[[str], None] = lambda prefix: None
        """The current configuration's loop waker (set when its loops are built)."""
        self._pacers: dict[str, PullPacer] = {}

    def configure(self, settings: Settings, wake: Callable[[str], None]) -> None:
        """Make `settings` the configuration in force, with its generation's loop waker."""
        self.settings = settings
        self.wake = wake

    def pull_pacer(self, tenant_id: str, interval: float) -> PullPacer:
        """The tenant's pull budget; it outlives reloads, so a restart cannot refill it."""
        pacer = self._pacers.get(tenant_id)
        if pacer is None:
            pacer = self._pacers[tenant_id] = PullPacer(interval, self._clock.monotonic())
        elif pacer.interval != interval:
            pacer.retune(interval)
        return pacer

    def _count(self, call: CallRecord) -> None:
        self._calls.record(call.endpoint, call.status, call.tenant_id)

    async def runtime(self, settings: Settings | None = None) -> Runtime:
        """The runtime for `settings` (default: the configuration in force), opened on first use.

        Whoever asks first opens it — a loop or a command claimed before any loop ran.
        """
        settings = settings or self.settings
        if settings is None:
            raise RuntimeError("no configuration yet: the daemon has not built its loops")
        async with self._lock:
            if self.current is not None and self._opened_for == settings:
                return self.current  # a reload that changed nothing keeps the quota state
            await self._close()
            stack = AsyncExitStack()
            self.current = await stack.enter_async_context(
                self._opener(settings, clock=self._clock, store=self._store, on_call=self._count)
            )
            self._stack, self._opened_for = stack, settings
            return self.current

    async def _close(self) -> None:
        if self._stack is not None:
            with anyio.CancelScope(shield=True):  # a cancelled caller must not leak clients
                await self._stack.aclose()
        self._stack = self._opened_for = self.current = None

    async def aclose(self) -> None:
        """Close the runtime's clients."""
        async with self._lock:
            await self._close()

    def snapshot(self) -> QuotaSnapshot:
        """The current quota of every tenant, for /metrics (empty before the engine starts)."""
        if self.current is not None:
            return self.current.quota.snapshot()
        return QuotaSnapshot(
            tenants={}, app_minute_used=0, app_minute_remaining=0, taken_at=self._clock.now()
        )
