"""Scenario 3: transaction pull and write-back of many invoices for synced learners.

The learners are synced first (not measured); the invoices are then seeded straight into the
Xero simulator, spread over the contacts xerowatch created. Online-invoice links cost one Xero
call each and are measured separately: the first phase runs with them off, the last runs one
cycle with the default (on).
"""

from __future__ import annotations

import math

from bench.cycles import (
    cycle_details,
    cycles_details,
    measure_no_change_cycle,
    run_until_written_back,
)
from bench.measure import PhaseResult, minute_limit_estimate
from bench.rig import Rig, RigOptions, make_sims, open_rig

LEARNER_SEED = 7
WRITEBACK_PER_CYCLE_GUESS = 50
"""Only bounds the loop: the engine's own per-cycle cap is larger, so this many cycles is ample."""


def seed_invoices(rig: Rig, count: int) -> int:
    """Add `count` AUTHORISED invoices over the tenant's contacts, round robin; return contacts."""
    tenant_id = rig.tenant.tenant_id
    contacts = [c["ContactID"] for c in rig.xero_sim.contacts(tenant_id)]
    if not contacts:
        raise RuntimeError("no contacts to invoice: the initial sync created none")
    for index in range(count):
        rig.xero_sim.add_invoice(
            tenant_id,
            contacts[index % len(contacts)],
            Total=100 + index % 17 * 25,
            Reference=f"BENCH-{index:05d}",
        )
    return len(contacts)


async def run(
    learners: int = 1000, invoices: int = 5000, *, options: RigOptions | None = None
) -> list[PhaseResult]:
    """Pull and write back `invoices` invoices; then a no-change cycle; then one with links on."""
    base = options or RigOptions()
    options = RigOptions(
        virtual=base.virtual,
        real_limits=base.real_limits,
        sync=base.sync | {"fetch_online_invoice_urls": False},
    )
    name = f"pull-{invoices}"
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(learners, seed=LEARNER_SEED)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        tenant_id = rig.tenant.tenant_id
        await rig.rt.engine.run_cycle()
        contacts = seed_invoices(rig, invoices)
        max_cycles = math.ceil(invoices / WRITEBACK_PER_CYCLE_GUESS) + 2

        meter = rig.meter()
        summaries = await run_until_written_back(rig.rt.engine, max_cycles=max_cycles)
        pull = meter.finish(
            name,
            f"pull + write-back of {invoices:,} invoices ({contacts:,} contacts, links off)",
            records=sum(s.writeback.written for s in summaries),
            records_label="invoices written back",
            details=cycles_details(summaries, tenant_id)
            | {"invoices_in_source": len(wisenet_sim.data.invoices)},
        )
        pull.computed = minute_limit_estimate(pull)

        unchanged = await measure_no_change_cycle(rig, name, tenant_id)

        async with rig.runtime_with(fetch_online_invoice_urls=True) as rt:
            meter = rig.meter(rt.calls)
            linked = await rt.engine.run_cycle()
            links = meter.finish(
                name,
                "one cycle with online-invoice links on (the default)",
                records=linked.tenants[tenant_id].online_urls,
                records_label="links fetched",
                details=cycle_details(linked, tenant_id),
            )
        links.computed = {
            "cycles_to_fetch_every_link": math.ceil(invoices / max(1, links.records)),
            "xero_calls_to_fetch_every_link": float(invoices),
        }
    return [pull, unchanged, links]
