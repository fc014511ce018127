"""The sync engine's supervised loops: what `xerowatch run` does, tenant by tenant.

Every loop of a configuration shares the runtime `EngineHost` opens. Per tenant: contact push,
contact events, transaction pull, online links — so one broken organisation never stops another.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio

from xerowatch.clock import Clock
from xerowatch.config import Settings
from xerowatch.daemon.engine_host import EngineHost
from xerowatch.daemon.live_publisher import (
    PUBLISH_EVERY_S,
    PUBLISHER_LOOP,
    LivePublisher,
    build_live_state,
)
from xerowatch.daemon.metrics import CallMetrics
from xerowatch.daemon.pacing import pull_interval
from xerowatch.daemon.runner import LoopServices
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.source.port import SourceError
from xerowatch.store import alerts, links
from xerowatch.store.command_queue import Command
from xerowatch.store.db import Store
from xerowatch.store.tenants import active_tenants, active_tenants_of_file
from xerowatch.sync.commands import execute, wakes_after
from xerowatch.sync.housekeeping import QuotaSampler, prune_old_rows
from xerowatch.sync.writeback import WritebackSummary
from xerowatch.wiring import Runtime
from xerowatch.xero.errors import XeroError
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

PUSH_EVERY_S = 15.0
WRITEBACK_EVERY_S = 30.0
WRITEBACK_BUDGET_WAIT_MAX_S = 3600.0
"""Longest wait for the source's budget: a day's window frees up gradually, so look hourly."""
RESYNC_EVERY_S = 30.0
EVENTS_EVERY_S = 5.0
ONLINE_URLS_EVERY_S = 300.0
PAYMENTS_BACK_EVERY_S = 300.0
"""ConnectWise payments back: one read of changed invoices; payments need not come back within
seconds, so not every poll."""
HOUSEKEEPING_EVERY_S = 60.0
PRUNE_EVERY_S = 3600.0
TENANTS_EVERY_S = 10.0
"""How often the daemon looks for organisations connected or disconnected from another shell."""


def _tenants(settings: Settings) -> list[TenantRef]:
    """The active tenants, read synchronously when a configuration's loops are built."""
    try:
        found = active_tenants_of_file(Path(settings.store.path))
    except sqlite3.Error as exc:
        log.warning("could not list tenants: %s", exc)
        return []
    return [TenantRef(tid, cid) for tid, cid in found]


@dataclass
class EngineLoops:
    """Builds the loops of one configuration."""

    host: EngineHost
    context: LoopServices

    async def rt(self) -> Runtime:
        """The runtime of this configuration."""
        return await self.host.runtime(self.context.settings)

    def _guarded(
        self, tenant_id: str, body: Callable[[Runtime], Awaitable[float | None]]
    ) -> Callable[[], Awaitable[float | None]]:
        """A step on its schedule, skipped while paused; a Xero error meets the steps' policy."""

        async def run() -> float | None:
            rt = await self.rt()
            if await rt.engine.is_paused(tenant_id):
                return None
            try:
                return await body(rt)
            except XeroError as exc:
                if not tenant_id:
                    raise
                failure = await rt.engine.xero_failed(tenant_id, exc)
                if failure.back_off:
                    raise
                return None  # a refused token: one alert for the organisation, retried each turn

        return run

    async def _poll_source(self, rt: Runtime) -> float | None:
        summary = await rt.engine.poll_source()
        if summary.changed:
            self.context.wake("push_contacts")
        budget = rt.source.budget()
        poll = self.context.settings.sync.poll_seconds
        return max(poll, budget.suggested_poll_seconds) if budget else poll

    async def _poke_learners(self, rt: Runtime) -> float | None:
        if await rt.engine.poke_learners():
            self.context.wake("push_contacts")
        return None

    def _push(self, tenant: TenantRef) -> Callable[[Runtime], Awaitable[float | None]]:
        async def body(rt: Runtime) -> float | None:
            summary = await rt.engine.push(tenant)
            if summary.created or summary.updated:
                self.context.wake(f"pull_transactions[{tenant.tenant_id}")
            return None

        return body

    def _pull_contacts(self, tenant: TenantRef) -> Callable[[Runtime], Awaitable[float | None]]:
        async def body(rt: Runtime) -> float | None:
            await rt.engine.pull_contacts(tenant)
            return None

        return body

    def _pull(self, tenant: TenantRef) -> Callable[[Runtime], Awaitable[float | None]]:
        pacer = self.host.pull_pacer(tenant.tenant_id, pull_interval(self.context.settings))

        async def body(rt: Runtime) -> float | None:
            wait = pacer.wait(rt.clock.monotonic())
            if wait > 0:  # woken before the budget allows: pause until it does
                return wait
            summary = await rt.engine.pull(tenant)
            pacer.spend(rt.clock.monotonic())
            if summary.total("changed"):
                self.context.wake("write_back")
            return None

        return body

    def _online_urls(self, tenant: TenantRef) -> Callable[[Runtime], Awaitable[float | None]]:
        async def body(rt: Runtime) -> float | None:
            if await rt.engine.online_urls(tenant):
                self.context.wake("write_back")
            return None

        return body

    def _connectwise(self, tenant: TenantRef) -> Callable[[Runtime], Awaitable[float | None]]:
        async def body(rt: Runtime) -> float | None:
            await rt.engine.connectwise_cycle(tenant)
            return None

        return body

    def _connectwise_payments(
        self, tenant: TenantRef
    ) -> Callable[[Runtime], Awaitable[float | None]]:
        async def body(rt: Runtime) -> float | None:
            await rt.engine.connectwise_payments(tenant)
            return None

        return body

    async def _write_back(self, rt: Runtime) -> float | None:
        return writeback_pause(await rt.engine.write_back())

    async def _resyncs(self, rt: Runtime) -> float | None:
        if await rt.engine.run_resyncs():
            self.context.wake("write_back")
        return None

    def _tenant_loop(
        self,
        name: str,
        tenant: TenantRef,
        body: Callable[[Runtime], Awaitable[float | None]],
        interval: float,
    ) -> LoopSpec:
        """One tenant's step on its schedule; a Xero error was alerted by the steps' policy."""
        tid = tenant.tenant_id
        return LoopSpec(
            f"{name}[{tid}]", self._guarded(tid, body), interval, tid, alerted=(XeroError,)
        )

    def _watch_tenants(self, built: list[TenantRef]) -> Callable[[], Awaitable[float | None]]:
        """A loop that restarts the loops when `xerowatch connect` / `disconnect` changed them."""
        expected = {t.tenant_id for t in built}
        checks = 0

        async def body() -> float | None:
            nonlocal checks
            checks += 1
            if checks == 1:  # the loops were built from a fresh read just now
                return None
            now = {tid for tid, _ in await active_tenants(self.context.store)}
            if now != expected:
                log.info(
                    "organisations changed (connected: %s; disconnected: %s): restarting the loops",
                    ", ".join(sorted(now - expected)) or "none",
                    ", ".join(sorted(expected - now)) or "none",
                )
                self.context.restart()
            return None

        return body

    def loops(self) -> list[LoopSpec]:
        """Every loop of this configuration."""
        settings = self.context.settings
        self.host.configure(settings, self.context.wake)
        sampler: list[QuotaSampler] = []
        last_prune = [float("-inf")]

        async def housekeeping() -> float | None:
            rt = await self.rt()
            if not sampler:
                sampler.append(QuotaSampler(rt.store, rt.quota))
            await sampler[0].sample(rt.clock.now())
            if await rt.engine.housekeeping():
                self.context.wake("write_back")
            if rt.clock.monotonic() - last_prune[0] >= PRUNE_EVERY_S:
                last_prune[0] = rt.clock.monotonic()
                await prune_old_rows(rt.store, settings.store.retention_days, rt.clock.now())
            return None

        publisher: list[LivePublisher] = []

        async def publish_live() -> float | None:
            rt = await self.rt()
            if not publisher:
                publisher.append(
                    LivePublisher(
                        rt.store,
                        lambda: build_live_state(
                            settings=settings,
                            quota=rt.quota.snapshot(),
                            budget=rt.source.budget(),
                            health=self.context.health(),
                        ),
                    )
                )
            await publisher[0].publish()
            return None

        every_pull = pull_interval(settings)
        tenants = _tenants(settings)
        if settings.source.kind == "connectwise":  # source → Xero: the ConnectWise stream only
            return [
                LoopSpec(PUBLISHER_LOOP, publish_live, PUBLISH_EVERY_S),
                LoopSpec("housekeeping", housekeeping, HOUSEKEEPING_EVERY_S),
                LoopSpec("watch_tenants", self._watch_tenants(tenants), TENANTS_EVERY_S),
                *(
                    LoopSpec(
                        f"connectwise[{t.tenant_id}]",
                        self._guarded(t.tenant_id, self._connectwise(t)),
                        settings.sync.poll_seconds,
                        t.tenant_id,
                        alerted=(XeroError, SourceError),  # both alerted by the step's policy
                    )
                    for t in tenants
                ),
                *(
                    LoopSpec(
                        f"connectwise_payments[{t.tenant_id}]",
                        self._guarded(t.tenant_id, self._connectwise_payments(t)),
                        PAYMENTS_BACK_EVERY_S,
                        t.tenant_id,
                        alerted=(XeroError, SourceError),
                    )
                    for t in tenants
                ),
            ]
        specs = [
            LoopSpec(PUBLISHER_LOOP, publish_live, PUBLISH_EVERY_S),
            LoopSpec(
                "poll_source", self._guarded("", self._poll_source), settings.sync.poll_seconds
            ),
            LoopSpec(
                "poke_learners",
                self._guarded("", self._poke_learners),
                EVENTS_EVERY_S,
                alerted=(SourceError,),  # the step alerted (source_unavailable) before raising
            ),
            LoopSpec("write_back", self._guarded("", self._write_back), WRITEBACK_EVERY_S),
            LoopSpec("resyncs", self._guarded("", self._resyncs), RESYNC_EVERY_S),
            LoopSpec("housekeeping", housekeeping, HOUSEKEEPING_EVERY_S),
        ]
        specs.append(LoopSpec("watch_tenants", self._watch_tenants(tenants), TENANTS_EVERY_S))
        for tenant in tenants:
            specs += [
                self._tenant_loop("push_contacts", tenant, self._push(tenant), PUSH_EVERY_S),
                self._tenant_loop(
                    "pull_contacts", tenant, self._pull_contacts(tenant), EVENTS_EVERY_S
                ),
                self._tenant_loop("pull_transactions", tenant, self._pull(tenant), every_pull),
            ]
            if settings.sync.fetch_online_invoice_urls:
                specs.append(
                    self._tenant_loop(
                        "online_urls", tenant, self._online_urls(tenant), ONLINE_URLS_EVERY_S
                    )
                )
        return specs


@dataclass(frozen=True)
class EngineWiring:
    """The pieces `xerowatch run` plugs into the daemon runner."""

    host: EngineHost

    def loops_factory(self, context: LoopServices) -> Sequence[LoopSpec]:
        """Loops for one configuration."""
        return EngineLoops(self.host, context).loops()

    async def executor(self, command: Command) -> str:
        """Carry out one operator command, then wake the loops that act on it."""
        rt = await self.host.runtime()
        result = await execute(rt.engine, command)
        for prefix in wakes_after(command.kind):
            self.host.wake(prefix)
        return result

    async def status_text(self) -> str:
        """systemd's STATUS= line: "1,234 synced · 3 alerts · 41/60 this minute"."""
        rt = self.host.current
        if rt is None:
            return "starting"
        synced = (await links.count_by_state(rt.store)).get("synced", 0)
        open_alerts = await alerts.count_open(rt.store)
        snapshot = rt.quota.snapshot()
        minute = ", ".join(
            f"{state.minute_used}/{rt.settings.xero.minute_limit} this minute"
            for state in snapshot.tenants.values()
        )
        return " · ".join(
            part for part in (f"{synced:,} synced", f"{open_alerts} alerts", minute) if part
        )


@asynccontextmanager
async def engine_wiring(
    store: Store, clock: Clock, calls: CallMetrics
) -> AsyncIterator[EngineWiring]:
    """The engine for the daemon's lifetime; clients close when the daemon stops."""
    host = EngineHost(store, clock, calls)
    try:
        yield EngineWiring(host)
    finally:
        with anyio.CancelScope(shield=True):
            await host.aclose()


def writeback_pause(summary: WritebackSummary) -> float | None:
    """How long the write-back loop sleeps: until the source's budget has room, else its interval.

    A wake (a pull found changes) still cuts the sleep short; that pass costs no request.
    """
    if summary.budget_refused is None or summary.resume_in_seconds is None:
        return None
    return min(max(summary.resume_in_seconds, WRITEBACK_EVERY_S), WRITEBACK_BUDGET_WAIT_MAX_S)
