"""The daemon's engine loops in-process: the Xero simulator over ASGI, an in-memory source.

`EngineWorld.host()` builds the `EngineHost` `xerowatch run` uses, with only the runtime's
Xero transport and source swapped for in-process ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx

from tests.sync.conftest import sim_settings
from tests.sync.memory_source import MemorySource
from xerowatch.clock import Clock, FakeClock
from xerowatch.config import Settings
from xerowatch.daemon.engine_host import EngineHost
from xerowatch.daemon.metrics import CallMetrics
from xerowatch.daemon.runner import LoopServices
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.store.db import Store, open_store
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.transport import CallRecord, TenantRef


class GatedTransport(httpx.AsyncBaseTransport):
    """The simulator, except that matching requests wait at a gate until the test opens it.

    `after=False` holds a request before Xero sees it; `after=True` lets Xero carry it out and
    holds the answer (the worst moment for a write to be cancelled).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, method: str, path: str, *, after: bool):
        self._inner = inner
        self._method = method
        self._path = path
        self._after = after
        self.entered = anyio.Event()
        self.release = anyio.Event()

    def _matches(self, request: httpx.Request) -> bool:
        return request.method == self._method and request.url.path.endswith(self._path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward to the simulator, holding matching requests before or after it answers."""
        if not self._matches(request):
            return await self._inner.handle_async_request(request)
        if not self._after:
            self.entered.set()
            await self.release.wait()
        response = await self._inner.handle_async_request(request)
        if self._after:
            await response.aread()
            self.entered.set()
            await self.release.wait()
        return response


@dataclass
class EngineWorld:
    """A store connected to one simulated organisation, and what a daemon needs around it."""

    sim: XeroSim
    source: MemorySource
    store: Store
    clock: FakeClock
    settings: Settings
    tenant: TenantRef
    calls: CallMetrics = field(default_factory=CallMetrics)
    transport: httpx.AsyncBaseTransport | None = None
    opened: list[Runtime] = field(default_factory=list)
    """Every runtime the hosts of this world opened, in order."""
    hosts: list[EngineHost] = field(default_factory=list)

    @property
    def tenant_id(self) -> str:
        """The simulated organisation."""
        return self.tenant.tenant_id

    def xero_transport(self) -> httpx.AsyncBaseTransport:
        """The transport runtimes use (the simulator, unless a test wrapped it)."""
        return self.transport or httpx.ASGITransport(app=self.sim.app)

    @asynccontextmanager
    async def opener(
        self,
        settings: Settings,
        *,
        clock: Clock,
        store: Store,
        on_call: Callable[[CallRecord], None],
    ) -> AsyncIterator[Runtime]:
        """`open_runtime` against the simulator and the memory source."""
        async with open_runtime(
            settings,
            clock=clock,
            store=store,
            on_call=on_call,
            xero_transport=self.xero_transport(),
            source=self.source,
        ) as rt:
            self.opened.append(rt)
            yield rt

    def host(self) -> EngineHost:
        """The daemon's engine host, as `xerowatch run` builds it (closed by `aclose`)."""
        host = EngineHost(self.store, self.clock, self.calls, opener=self.opener)
        self.hosts.append(host)
        return host

    async def aclose(self) -> None:
        """Close every host's runtime, then the store."""
        for host in self.hosts:
            await host.aclose()
        await self.store.close()

    def context(
        self, settings: Settings | None = None, wake: Callable[[str], None] | None = None
    ) -> LoopServices:
        """What the runner hands the loops factory."""
        return LoopServices(
            settings=settings or self.settings,
            store=self.store,
            clock=self.clock,
            call_metrics=self.calls,
            wake=wake or (lambda prefix: None),
            restart=lambda: None,
        )

    def pulls(self) -> int:
        """Routine transaction reads the simulator has seen (one per stream per pull)."""
        return self.sim.calls("GET", "/Invoices")


async def open_engine_world(tmp_path: Path, learners: int = 0) -> EngineWorld:
    """A migrated store connected (custom connection) to a fresh simulated organisation."""
    clock = FakeClock()
    sim = XeroSim(XeroSimConfig(seed=3), clock=clock)
    sim.add_tenant("Daemon RTO")
    settings = sim_settings(tmp_path / "engine.db")
    store = await open_store(settings.store.path)
    source = MemorySource()
    async with open_runtime(
        settings,
        clock=clock,
        store=store,
        xero_transport=httpx.ASGITransport(app=sim.app),
        source=source,
    ) as rt:
        [tenant] = await connect_custom_connection(rt)
    return EngineWorld(
        sim, source, store, clock, settings, TenantRef(tenant.tenant_id, tenant.connection_id)
    )
