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
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import SimUrls, XeroSim, XeroSimConfig
from xerowatch.source.port import SourcePort
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.sync.context import CallCounter
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
            wisenet_sim=self.wisenet_sim,
            clock=self.clock,
            virtual=self.options.virtual,
        )


def make_sims(options: RigOptions) -> tuple[XeroSim, WisenetSim, Clock]:
    """Simulators (with one organisation in Xero) on the clock the options call for."""
    clock: Clock = FakeClock() if options.virtual else SystemClock()
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
            base_url=f"{wisenet_base}/v1", api_key=SecretStr(WISENET_API_KEY), **wisenet_limits
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
            wisenet_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=wisenet_sim.app))
            stack.push_async_callback(wisenet_http.aclose)
            source = build_wisenet_source(settings.wisenet, clock=clock, http=wisenet_http)
        else:
            xero_server = stack.enter_context(serve_in_thread(xero_sim.app))
            wisenet_server = stack.enter_context(serve_in_thread(wisenet_sim.app))
            settings = rig_settings(store, xero_server.url, wisenet_server.url, options)
        rt = await stack.enter_async_context(
            open_runtime(settings, clock=clock, xero_transport=xero_transport, source=source)
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
