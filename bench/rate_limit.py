"""Scenario 4: N contact writes under Xero's real 60 calls/minute, expecting zero 429s.

`[sync] batch_size = 1` makes every learner its own write call, so N learners are N calls. By
default the run is in virtual time (FakeClock shared by client and simulators through
httpx.ASGITransport) and reports virtual seconds; the opt-in real-time variant takes about
N/60 minutes of wall time over loopback HTTP.
"""

from __future__ import annotations

from bench.cycles import cycle_details
from bench.measure import PhaseResult, seconds_at_minute_limit
from bench.rig import RigOptions, make_sims, open_rig
from xerowatch.sim.wisenet import WisenetSim


def seed_valid_learners(sim: WisenetSim, count: int) -> None:
    """Add `count` learners that all pass validation and are all marked Sync to Xero."""
    for index in range(count):
        sim.data.add_learner(
            first_name="Rate",
            last_name=f"Learner{index:04d}",
            email=f"rate.learner{index:04d}@example.edu.au",
        )


async def run(writes: int = 300, *, virtual: bool = True) -> list[PhaseResult]:
    """One cycle whose push needs `writes` write calls, at Xero's real limits."""
    options = RigOptions(virtual=virtual, real_limits=True, sync={"batch_size": 1})
    name = "limit-virtual" if virtual else "limit"
    xero_sim, wisenet_sim, clock = make_sims(options)
    seed_valid_learners(wisenet_sim, writes)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        meter = rig.meter()
        summary = await rig.rt.engine.run_cycle()
        result = meter.finish(
            name,
            f"{writes:,} contact writes at 60 calls/min",
            records=summary.tenants[rig.tenant.tenant_id].push.created,
            records_label="contacts",
            details=cycle_details(summary, rig.tenant.tenant_id),
        )
    result.computed = {"xero_s_at_60_per_min": seconds_at_minute_limit(result.xero_total)}
    return [result]
