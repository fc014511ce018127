"""Write-back at Wisenet's real limits: concurrent writers, xerowatch's own CPU, a spent day.

Virtual time throughout. The concurrency phases give every Wisenet request a 300 ms round trip
on an EventClock (concurrent requests overlap as in real time) and write back the same backlog
with 1, 3 and 4 writers. The CPU phase answers Wisenet from an in-process stub instead of the
simulator, so its CPU per write-back is xerowatch's own (client, pacing, bookkeeping). The last
phases spend a small daily quota: the first pass stops at the write share, and the next one
sends nothing, spends no attempt and writes no history row, and `status` forecasts the rest.
"""

from __future__ import annotations

import resource

import httpx

from bench.measure import PhaseResult
from bench.pull_writeback import seed_invoices
from bench.rig import Rig, RigOptions, make_sims, open_rig
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.store import jobs
from xerowatch.store.overview import read_overview
from xerowatch.wiring import open_runtime

LEARNERS = 100
LATENCY_S = 0.3


def cpu_s() -> float:
    """CPU seconds this process has used (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _history_rows(rig: Rig) -> int:
    row = await rig.rt.store.fetchone("SELECT COUNT(*) FROM history")
    return int(row[0]) if row else 0


async def _ready(rig: Rig, invoices: int) -> None:
    """Learners synced, `invoices` invoices pulled and due for write-back."""
    await rig.rt.engine.run_cycle()
    seed_invoices(rig, invoices)
    [tenant] = await rig.rt.engine.tenants()
    await rig.rt.engine.pull(tenant)


async def concurrent(writers: int, invoices: int) -> PhaseResult:
    """Write back `invoices` at a 300 ms round trip with `writers` in flight."""
    options = RigOptions(
        virtual=True,
        real_limits=True,
        wisenet_latency=LATENCY_S,
        budget_ledger=False,
        sync={"fetch_online_invoice_urls": False, "writeback_concurrency": writers},
    )
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(LEARNERS, seed=7)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        await _ready(rig, invoices)
        meter, cpu = rig.meter(), cpu_s()
        summary = await rig.rt.engine.write_back()
        spent = cpu_s() - cpu
        return meter.finish(
            f"writeback-{int(LATENCY_S * 1000)}ms",
            f"write-back of {invoices:,} invoices, {writers} writer(s), 300 ms round trip",
            records=summary.written,
            records_label="ok",
            details={
                "writers": writers,
                "written": summary.written,
                "cpu_ms_per_write_back_simulators_included": round(1000 * spent / invoices, 3),
            },
        )


async def own_cpu(invoices: int) -> PhaseResult:
    """Write back `invoices` to a stub Wisenet: the CPU left is xerowatch's own."""
    options = RigOptions(virtual=True, real_limits=True, sync={"fetch_online_invoice_urls": False})
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(LEARNERS, seed=7)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        await _ready(rig, invoices)
        puts = 0

        def answer(request: httpx.Request) -> httpx.Response:
            nonlocal puts
            puts += request.method == "PUT"
            return httpx.Response(200)

        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            settings = rig.rt.settings
            source = build_wisenet_source(settings.wisenet, clock=clock, http=http)
            async with open_runtime(
                settings,
                clock=clock,
                xero_transport=rig.xero_transport,
                source=source,
                store=rig.rt.store,
            ) as rt:
                meter, cpu = rig.meter(rt.calls), cpu_s()
                summary = await rt.engine.write_back()
                spent = cpu_s() - cpu
        result = meter.finish(
            "writeback-cpu",
            f"write-back of {invoices:,} invoices to a stub Wisenet (xerowatch's own CPU)",
            records=summary.written,
            records_label="ok",
            details={
                "stub_puts": puts,
                "cpu_ms_per_write_back": round(1000 * spent / max(1, summary.written), 3),
            },
        )
    return result


async def spent_day(invoices: int, quota: int) -> list[PhaseResult]:
    """A `quota`-a-day Wisenet and more invoices than its write share: two passes."""
    options = RigOptions(
        virtual=True,
        real_limits=True,
        sync={"fetch_online_invoice_urls": False},
        wisenet={"daily_quota": quota},
    )
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(LEARNERS, seed=7)
    name = "writeback-backlog"
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        await _ready(rig, invoices)
        meter = rig.meter()
        first = await rig.rt.engine.write_back()
        one = meter.finish(
            name,
            f"first write-back of {invoices:,} invoices into a {quota:,}-a-day Wisenet",
            records=first.written,
            records_label="ok",
            details={"stopped_by": first.budget_refused or "", "written": first.written},
        )
        history, depth = await _history_rows(rig), await jobs.depth_by_state(rig.rt.store)
        meter = rig.meter()
        again = await rig.rt.engine.write_back()
        view = await read_overview(rig.rt.store, rig.clock.now())
        after = await jobs.depth_by_state(rig.rt.store)
        two = meter.finish(
            name,
            "the next pass with the write share spent",
            records=again.written,
            records_label="ok",
            details={
                "history_rows_added": await _history_rows(rig) - history,
                "attempts_now_running_retry_or_dead": sum(
                    after.get(s, 0) - depth.get(s, 0) for s in ("running", "retry", "dead")
                ),
                "status_says": view.backlog.describe(),
            },
        )
    return [one, two]


async def run(invoices: int = 1000, quota: int = 1000) -> list[PhaseResult]:
    """Every phase of the scenario (the spent day with a `quota`-a-day Wisenet)."""
    results = [await concurrent(writers, invoices) for writers in (1, 3, 4)]
    results.append(await own_cpu(invoices))
    results.extend(await spent_day(invoices, quota=quota))
    return results
