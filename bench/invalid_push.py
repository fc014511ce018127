"""The first push of a store holding thousands of invalid learners: bookkeeping, no calls.

Learners read before an organisation was connected (or re-queued by `retry --all`) are all due
at its first push; each invalid one gets its alert and its link state and costs no Xero call.
The learners are put in the store through the store's own API (in one transaction), so the
phase measures only the push: its CPU per learner is the bookkeeping's cost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bench.existing_org import cpu_s
from bench.measure import PhaseResult
from bench.rig import RigOptions, make_sims, open_rig
from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.store import learners, links
from xerowatch.sync.ingest import learner_hash
from xerowatch.sync.push import push_contacts


def _invalid_learner(n: int) -> SourceLearner:
    """A learner with everything but an email address (Xero needs none; the rules do)."""
    return SourceLearner(
        source_id=f"bench-{n}",
        ref_internal=f"INV{n:06d}",
        first_name="Ada",
        last_name=f"Invalid{n}",
        email=None,
        postal_address=SourceAddress(
            lines=("1 Test St",), city="Sydney", state="NSW", postcode="2000", country="Australia"
        ),
        modified_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


async def run(count: int) -> list[PhaseResult]:
    """Put `count` invalid learners in the store, then time the first push."""
    name = f"push-invalid-{count // 1000}k"
    options = RigOptions()
    xero_sim, wisenet_sim, clock = make_sims(options)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        store = rig.rt.store
        async with store.batch():
            for n in range(count):
                item = _invalid_learner(n)
                await learners.upsert_learner(store, item, learner_hash(item)[0])
        meter = rig.meter()
        cpu_before, wall_before = cpu_s(), time.perf_counter()
        summary = await push_contacts(rig.rt.engine.ctx, rig.tenant)
        cpu, wall = cpu_s() - cpu_before, time.perf_counter() - wall_before
        states = await links.count_by_state(store, rig.tenant.tenant_id)
        result = meter.finish(
            name,
            f"first push of {count:,} invalid learners (an alert and a link state each)",
            records=count,
            records_label="learners",
            details={
                "blocked": summary.blocked,
                "invalid_links": states.get("invalid", 0),
                "cpu_s": round(cpu, 2),
                "cpu_ms_per_learner": round(1000 * cpu / max(1, count), 3),
                "wall_ms_per_learner": round(1000 * wall / max(1, count), 3),
            },
        )
    return [result]
