"""Running engine cycles for a benchmark and flattening their summaries into report details."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bench.measure import Detail, PhaseResult
from xerowatch.store import transactions
from xerowatch.sync.engine import CycleSummary, SyncEngine

if TYPE_CHECKING:
    from bench.rig import Rig


def cycle_details(summary: CycleSummary, tenant_id: str) -> dict[str, Detail]:
    """The counts of one cycle worth reporting (source, push, pull, write-back, alerts)."""
    return dict(_counts([summary], tenant_id))


def cycles_details(summaries: list[CycleSummary], tenant_id: str) -> dict[str, Detail]:
    """The summed counts of several cycles, plus how many cycles ran."""
    details: dict[str, Detail] = {"cycles": len(summaries)}
    details.update(_counts(summaries, tenant_id))
    errors = sorted({t.error for s in summaries for t in s.tenants.values() if t.error})
    if errors:
        details["errors"] = "; ".join(errors)
    return details


def _counts(summaries: list[CycleSummary], tenant_id: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for summary in summaries:
        counts["learners_seen"] += summary.source.seen
        counts["learners_changed"] += summary.source.changed
        counts["learners_invalid"] += summary.source.invalid
        counts["learners_not_synced"] += summary.source.skipped
        counts["new_alerts"] += summary.new_alerts
        tenant = summary.tenants.get(tenant_id)
        if tenant is not None:
            counts["contacts_created"] += tenant.push.created
            counts["contacts_updated"] += tenant.push.updated
            counts["contacts_rejected"] += tenant.push.rejected
            counts["transactions_changed"] += tenant.pull.total("changed")
            counts["transactions_matched"] += tenant.pull.total("matched")
            counts["online_links_fetched"] += tenant.online_urls
        counts["written_back"] += summary.writeback.written
        counts["writeback_failed"] += summary.writeback.failed + summary.writeback.retrying
    return counts


async def run_until_written_back(engine: SyncEngine, *, max_cycles: int) -> list[CycleSummary]:
    """Run cycles until no write-back is pending, or one makes no progress, or `max_cycles`."""
    summaries: list[CycleSummary] = []
    for _ in range(max_cycles):
        summary = await engine.run_cycle()
        summaries.append(summary)
        if not await transactions.pending_writes(engine.ctx.store, limit=1):
            break
        pulled = sum(t.pull.total("changed") for t in summary.tenants.values())
        if summary.writeback.written == 0 and pulled == 0:
            break  # what is left waits on retries or failed for good: no point looping
    return summaries


async def measure_no_change_cycle(rig: Rig, name: str, tenant_id: str) -> PhaseResult:
    """Run one more cycle with nothing changed and measure it (it must write nothing)."""
    meter = rig.meter()
    again = await rig.rt.engine.run_cycle()
    return meter.finish(
        name,
        "no-change cycle",
        records=again.source.seen,
        records_label="learners",
        details=cycle_details(again, tenant_id),
    )
