"""Memory at scale: a first sync of many learners, the simulators in a process of their own.

The peak RSS reported is the xerowatch process alone (the simulators' learners, and the contacts
they are given, live in the child process). Limits are raised and the clock is real, so the run
measures xerowatch's memory and CPU, not Xero's minute windows; what the same sync costs at the
real limits is in the real-limit scenarios.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.cycles import cycle_details
from bench.existing_org import cpu_s, current_rss_mb
from bench.measure import PhaseResult, peak_rss_mb
from bench.rig import RigOptions, rig_settings
from xerowatch.clock import SystemClock
from xerowatch.wiring import connect_custom_connection, open_runtime

REPO_ROOT = Path(__file__).resolve().parents[1]
SIM_START_TIMEOUT_S = 600.0


async def run(learners: int) -> list[PhaseResult]:
    """First sync of `learners` learners; report this process's peak RSS and CPU per learner."""
    name = f"memory-{learners // 1000}k"
    child = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter and module
        [sys.executable, "-m", "bench.sim_process", str(learners)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        urls = json.loads(child.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="xerowatch-bench-") as tmp:
            settings = rig_settings(
                Path(tmp) / "bench.db", urls["xero"], urls["wisenet"], RigOptions()
            )
            async with open_runtime(settings, clock=SystemClock()) as rt:
                [tenant] = await connect_custom_connection(rt)
                rss_before = current_rss_mb()
                cpu_before, wall_before = cpu_s(), time.perf_counter()
                calls_before = rt.calls.snapshot()
                summary = await rt.engine.run_cycle()
                cpu, wall = cpu_s() - cpu_before, time.perf_counter() - wall_before
                calls = {
                    k: v - calls_before.get(k, 0)
                    for k, v in rt.calls.snapshot().items()
                    if v - calls_before.get(k, 0)
                }
                store_mib = settings.store.path.stat().st_size / (1024 * 1024)
                details = cycle_details(summary, tenant.tenant_id)
        child.stdin.close()
        stats = json.loads(child.stdout.readline())
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    details |= {
        "rss_before_cycle_mib": round(rss_before, 1),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_learner": round(1000 * cpu / max(1, learners), 3),
        "store_mib": round(store_mib, 1),
        "contacts_in_xero": stats["contacts_in_xero"],
    }
    result = PhaseResult(
        scenario=name,
        phase=f"first sync of {learners:,} learners, simulators in another process",
        clock="real",
        wall_s=wall,
        virtual_s=None,
        records=summary.source.seen,
        records_label="learners",
        xero_calls=dict(sorted(calls.items())),
        xero_429=stats["xero_429"],
        source_requests={"all": stats["wisenet_requests"]},
        peak_rss_mb=peak_rss_mb(),
        details=details,
        source_429=stats["wisenet_429"],
    )
    return [result]
