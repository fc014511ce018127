"""A big initial sync under every real limit (Xero 60/min and 5,000/day, Wisenet 10/s).

Running it in real time would mostly be waiting, so it runs in virtual time: the elapsed time
reported is virtual seconds the rate limits imposed, next to the lower bound computed from the
call count.
"""

from __future__ import annotations

from bench import initial_sync
from bench.measure import PhaseResult
from bench.rig import RigOptions


async def run(learners: int = 5000) -> list[PhaseResult]:
    """The initial-sync scenario with real limits on a virtual clock."""
    results = await initial_sync.run(learners, options=RigOptions(virtual=True, real_limits=True))
    for result in results:
        result.scenario = f"real-limits-{learners}"
    return results
