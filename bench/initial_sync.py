"""Scenarios 1 and 2: first sync of N Wisenet learners into an empty Xero, then a no-change cycle.

Runs over loopback HTTP with the real clock and raised rate limits, so the wall time is
xerowatch's own cost; the time the same calls need under Xero's real 60/min is computed from
the call counts and reported as computed.
"""

from __future__ import annotations

from bench.cycles import cycle_details, measure_no_change_cycle
from bench.measure import PhaseResult, minute_limit_estimate
from bench.rig import RigOptions, make_sims, open_rig

LEARNER_SEED = 7


async def run(learners: int, *, options: RigOptions | None = None) -> list[PhaseResult]:
    """Initial full cycle (source read, contact push, transaction pull, write-back), then again."""
    options = options or RigOptions()
    name = f"initial-{learners}"
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(learners, seed=LEARNER_SEED)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        tenant_id = rig.tenant.tenant_id
        meter = rig.meter()
        first = await rig.rt.engine.run_cycle()
        initial = meter.finish(
            name,
            f"initial sync of {learners:,} learners",
            records=first.source.seen,
            records_label="learners",
            details=cycle_details(first, tenant_id)
            | {"contacts_in_xero": len(xero_sim.contacts(tenant_id))},
        )
        initial.computed = minute_limit_estimate(initial)
        unchanged = await measure_no_change_cycle(rig, name, tenant_id)
    return [initial, unchanged]
