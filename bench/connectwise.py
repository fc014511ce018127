"""ConnectWise → Xero: the customer + invoice stream's first cycle, then no-change cycles at
once and every five minutes (the daemon's payments-back interval).

Both simulators in process on a virtual clock at Xero's real limits. The floor is one directory
read, ceil(customers/50) contact writes and ceil(invoices/50) invoice writes; payments back
reads the sales invoices changed since its watermark, 1,000 a page (one call when quiet).
Totals are compared with ConnectWise's to the cent.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from pydantic import SecretStr

from bench.existing_org import cpu_s
from bench.measure import Meter, PhaseResult
from bench.rig import VIRTUAL_WISENET_BASE, VIRTUAL_XERO_BASE, RigOptions, make_sims, rig_settings
from xerowatch.config import SourceSettings
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.sim.connectwise import SIM_CLIENT_ID, ConnectWiseSim
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.wiring import connect_custom_connection, open_runtime

SITE = "http://connectwise.sim"
PAYMENTS_INTERVAL_S = 300
PHASES = {
    "first": "",
    "again": "no-change cycle",
    "later": "no-change cycle, 5 minutes later",
    "settled": "no-change cycle, 10 minutes later",
}
"""The no-change cycles: at once, then at the daemon's payments-back interval. The two reads
right after the import re-read its last 10 s (payments back's overlap; the virtual clock lets
thousands of invoices share those seconds); once settled, a quiet read is one call."""


def sim_connectwise_settings() -> ConnectWiseSettings:
    """The [connectwise] section for the ConnectWise simulator: GST at 10 %, a rounding account."""
    return ConnectWiseSettings(
        site_url=SITE,
        company_id="xerowatch",
        public_key=SecretStr("sim-public"),
        private_key=SecretStr("sim-private"),
        client_id=SIM_CLIENT_ID,
        page_size=1000,
        tax_types={"GST": "OUTPUT"},
        tax_rates={"OUTPUT": Decimal(10)},
        rounding_account_code="860",
    )


async def run(customers: int, invoices: int) -> list[PhaseResult]:
    """Seed ConnectWise, run the first cycle and a no-change one; report calls vs the floor."""
    name = f"connectwise-{invoices // 1000}k"
    options = RigOptions(virtual=True, real_limits=True)
    xero_sim, _unused_wisenet, clock = make_sims(options)
    cw = ConnectWiseSim(clock=clock)
    cw.seed(customers=customers, invoices=invoices, lines=4, expenses=0, purchases=0)
    seeded = list(cw.records.invoices.values())
    companies = len({i.company_id for i in seeded})
    lines = sum(len(i.lines) for i in seeded)
    floor = 1 + math.ceil(companies / 50) + math.ceil(invoices / 50)
    results: list[PhaseResult] = []
    with TemporaryDirectory(prefix="xerowatch-bench-") as tmp:
        base = rig_settings(
            Path(tmp) / "bench.db", VIRTUAL_XERO_BASE, VIRTUAL_WISENET_BASE, options
        )
        settings = base.model_copy(
            update={
                "source": SourceSettings(kind="connectwise"),
                "connectwise": sim_connectwise_settings(),
            }
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cw.app)) as http:
            client = ConnectWiseClient(settings.connectwise, clock=clock, http=http)
            source = ConnectWiseSource(ConnectWiseAccounting(client, settings.connectwise, clock))
            transport = httpx.ASGITransport(app=xero_sim.app)
            async with open_runtime(
                settings, clock=clock, xero_transport=transport, source=source
            ) as rt:
                [tenant] = await connect_custom_connection(rt)
                for phase in PHASES:
                    if phase != "first" and phase != "again":
                        await clock.sleep(PAYMENTS_INTERVAL_S)
                    meter = Meter(
                        calls=rt.calls, xero_sim=xero_sim, source_sim=cw, clock=clock, virtual=True
                    )
                    cpu_before = cpu_s()
                    wall_before = time.perf_counter()
                    summary = await rt.engine.run_cycle()
                    cpu = cpu_s() - cpu_before
                    if tenant.tenant_id not in summary.connectwise:
                        failed = summary.failures
                        raise RuntimeError(f"the ConnectWise stream did not run: {failed}")
                    stream = summary.connectwise[tenant.tenant_id]
                    in_xero = xero_sim.records(tenant.tenant_id, "Invoices")
                    xero_total = sum((Decimal(str(i["Total"])) for i in in_xero), Decimal(0))
                    writes = sum(n for ep, n in summary.calls.items() if ep.startswith("POST"))
                    results.append(
                        meter.finish(
                            name,
                            f"first cycle: {customers:,} customers, {invoices:,} invoices "
                            f"({lines:,} lines) into an empty organisation"
                            if phase == "first"
                            else PHASES[phase],
                            records=stream.created if phase == "first" else invoices,
                            records_label="invoices",
                            details={
                                "invoices_in_xero": len(in_xero),
                                "posted_in_connectwise": stream.posted,
                                "held": stream.held,
                                "failures": len(summary.failures),
                                "xero_writes": writes,
                                "payments_back_calls": stream.payments.calls_changed
                                + stream.payments.calls_by_id,
                                "xero_write_floor": floor - 1 if phase == "first" else 0,
                                "totals_equal_to_the_cent": xero_total
                                == sum((i.total for i in seeded), Decimal(0)),
                                "cpu_ms_per_invoice": round(1000 * cpu / max(1, invoices), 3),
                                "wall_s": round(time.perf_counter() - wall_before, 2),
                            },
                        )
                    )
    return results
