"""Benchmark rig: both simulators and a connected runtime built by the real composition root.

Live rigs serve the simulators over real HTTP on 127.0.0.1 and use the real clock; virtual rigs
share one FakeClock between client and simulators through httpx.ASGITransport, so rate-limit
waits cost no real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import anyio
import httpx
from pydantic import SecretStr

from bench.measure import Meter
from xerowatch.clock import Clock, FakeClock, SystemClock
from xerowatch.config import (
    Settings,
    SourceSettings,
    StoreSettings,
    SyncSettings,
    WisenetSettings,
    XeroSettings,
)
from xerowatch.sim.event_clock import EventClock
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import SimUrls, XeroSim, XeroSimConfig
from xerowatch.source.port import SourcePort
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.source.wisenet.budget_ledger import StoreBudgetLedger
from xerowatch.store.db import open_store
from xerowatch.sync.engine_deps import CallCounter
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.transport import TenantRef

RAISED_MINUTE_LIMIT = 100_000
"""Per-minute limit for real-time runs, so they measure xerowatch rather than Xero's physics."""
RAISED_DAY_LIMIT = 10_000_000
RAISED_WISENET_PER_SECOND = 100_000
VIRTUAL_XERO_BASE = "http://xero.sim"
VIRTUAL_WISENET_BASE = "http://wisenet.sim"
WISENET_API_KEY = "bench-api-key"
XERO_CLIENT_ID = "bench-client"
XERO_CLIENT_SECRET = "bench-secret"  # noqa: S105 - the simulator's made-up credential


@dataclass(frozen=True)
class RigOptions:
    """How a rig runs: which clock and transport, which limits, which sync settings."""

    virtual: bool = False
    """FakeClock and in-process ASGI transports instead of the real clock and loopback HTTP."""
    real_limits: bool = False
    """Keep Xero's 60/min and 5,000/day and Wisenet's 10/s instead of raising them."""
    sync: dict[str, Any] = field(default_factory=dict)
    """`[sync]` settings overrides."""
    wisenet_latency: float = 0.0
    """Round trip of every Wisenet request, half each way (virtual rigs: an EventClock, so
    concurrent requests overlap in virtual time as they would in real time)."""
    wisenet: dict[str, Any] = field(default_factory=dict)
    """`[wisenet]` settings overrides."""
    budget_ledger: bool = True
    """Virtual rigs: the Wisenet budget saves its day in the store, as in production. Off for
    EventClock phases that measure concurrency: that clock lets time pass while a task waits on
    the store's thread, so a save under the budget's lock would hold writers in virtual time."""


class Latency(httpx.AsyncBaseTransport):
    """Every request takes `seconds` of the clock's time, half each way."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: Clock, seconds: float) -> None:
        self._inner = inner
        self._clock = clock
        self._half = seconds / 2

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Delay, forward, delay."""
        await self._clock.sleep(self._half)
        response = await self._inner.handle_async_request(request)
        await self._clock.sleep(self._half)
        return response


@dataclass
class Rig:
    """Both simulators and a runtime connected to the simulated organisation."""

    xero_sim: XeroSim
    wisenet_sim: WisenetSim
    rt: Runtime
    tenant: TenantRef
    clock: Clock
    options: RigOptions
    xero_transport: httpx.AsyncBaseTransport | None = None
    """The in-process transport of a virtual rig (None: real HTTP)."""

    @asynccontextmanager
    async def runtime_with(self, **sync: Any) -> AsyncIterator[Runtime]:
        """A second runtime on the same store, source and simulators, with `[sync]` overrides."""
        base = self.rt.settings
        settings = base.model_copy(update={"sync": base.sync.model_copy(update=sync)})
        async with open_runtime(
            settings,
            clock=self.clock,
            xero_transport=self.xero_transport,
            source=self.rt.source,
            store=self.rt.store,
        ) as rt:
            yield rt

    def meter(self, calls: CallCounter | None = None) -> Meter:
        """Start measuring a phase (calls counted by `calls`, or by the rig's runtime)."""
        return Meter(
            calls=calls or self.rt.calls,
            xero_sim=self.xero_sim,
            source_sim=self.wisenet_sim,
            clock=self.clock,
            virtual=self.options.virtual,
        )


def make_sims(options: RigOptions) -> tuple[XeroSim, WisenetSim, Clock]:
    """Simulators (with one organisation in Xero) on the clock the options call for."""
    clock: Clock = SystemClock()
    if options.virtual:
        clock = EventClock() if options.wisenet_latency else FakeClock()
    if options.real_limits:
        config = XeroSimConfig(client_id=XERO_CLIENT_ID, client_secret=XERO_CLIENT_SECRET, seed=7)
        wisenet = WisenetSim(clock=clock, api_key=WISENET_API_KEY)
    else:
        config = XeroSimConfig(
            client_id=XERO_CLIENT_ID,
            client_secret=XERO_CLIENT_SECRET,
            seed=7,
            minute_limit=RAISED_MINUTE_LIMIT,
            app_minute_limit=RAISED_MINUTE_LIMIT,
            day_limit=RAISED_DAY_LIMIT,
        )
        wisenet = WisenetSim(
            clock=clock,
            api_key=WISENET_API_KEY,
            per_second=RAISED_WISENET_PER_SECOND,
            daily_quota=RAISED_DAY_LIMIT,
        )
    xero = XeroSim(config, clock=clock)
    xero.add_tenant("Bench RTO")
    return xero, wisenet, clock


def rig_settings(store: Path, xero_base: str, wisenet_base: str, options: RigOptions) -> Settings:
    """Settings pointing a custom connection and the Wisenet source at the simulators."""
    urls = SimUrls.at(xero_base)
    limits: dict[str, Any] = {}
    wisenet_limits: dict[str, Any] = {}
    if not options.real_limits:
        limits = {
            "minute_limit": RAISED_MINUTE_LIMIT,
            "app_minute_limit": RAISED_MINUTE_LIMIT,
            "daily_limit": RAISED_DAY_LIMIT,
        }
        wisenet_limits = {
            "requests_per_second": float(RAISED_WISENET_PER_SECOND),
            "daily_quota": RAISED_DAY_LIMIT,
        }
    return Settings(
        store=StoreSettings(path=store),
        xero=XeroSettings(
            auth_mode="custom_connection",
            client_id=XERO_CLIENT_ID,
            client_secret=SecretStr(XERO_CLIENT_SECRET),
            api_url=urls.api_url,
            identity_url=urls.identity_url,
            connections_url=urls.connections_url,
            authorize_url=urls.authorize_url,
            **limits,
        ),
        source=SourceSettings(kind="wisenet"),
        wisenet=WisenetSettings(
            base_url=f"{wisenet_base}/v1",
            api_key=SecretStr(WISENET_API_KEY),
            **(wisenet_limits | options.wisenet),
        ),
        sync=SyncSettings.model_validate(options.sync),
    )


@asynccontextmanager
async def open_rig(
    xero_sim: XeroSim, wisenet_sim: WisenetSim, clock: Clock, options: RigOptions
) -> AsyncIterator[Rig]:
    """Serve (or mount) the simulators, open the runtime in a temporary store and connect it."""
    async with AsyncExitStack() as stack:
        store_dir = stack.enter_context(TemporaryDirectory(prefix="xerowatch-bench-"))
        store = Path(store_dir) / "bench.db"
        xero_transport: httpx.AsyncBaseTransport | None = None
        source: SourcePort | None = None
        if options.virtual:
            settings = rig_settings(store, VIRTUAL_XERO_BASE, VIRTUAL_WISENET_BASE, options)
            xero_transport = httpx.ASGITransport(app=xero_sim.app)
            wisenet_transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=wisenet_sim.app)
            if isinstance(clock, EventClock):
                group = await stack.enter_async_context(anyio.create_task_group())
                group.start_soon(clock.drive)
                stack.callback(group.cancel_scope.cancel)  # runs before the group's exit
                wisenet_transport = Latency(wisenet_transport, clock, options.wisenet_latency)
            wisenet_http = httpx.AsyncClient(transport=wisenet_transport)
            stack.push_async_callback(wisenet_http.aclose)
            opened = await open_store(store)  # the source's budget saves its day there
            stack.push_async_callback(opened.close)
            ledger = StoreBudgetLedger(opened) if options.budget_ledger else None
            source = build_wisenet_source(
                settings.wisenet, clock=clock, http=wisenet_http, ledger=ledger
            )
        else:
            opened = None
            xero_server = stack.enter_context(serve_in_thread(xero_sim.app))
            wisenet_server = stack.enter_context(serve_in_thread(wisenet_sim.app))
            settings = rig_settings(store, xero_server.url, wisenet_server.url, options)
        rt = await stack.enter_async_context(
            open_runtime(
                settings, clock=clock, xero_transport=xero_transport, source=source, store=opened
            )
        )
        [tenant] = await connect_custom_connection(rt)
        yield Rig(
            xero_sim=xero_sim,
            wisenet_sim=wisenet_sim,
            rt=rt,
            tenant=TenantRef(tenant.tenant_id, tenant.connection_id),
            clock=clock,
            options=options,
            xero_transport=xero_transport,
        )
