"""One cycle = the daemon's loops, once: the same steps in order, each with its failure policy.

`sync --once`, the tests and `make bench` run `SyncEngine.run_cycle`; the daemon runs the very
same steps (`xerowatch.sync.steps`) on its own schedules (`xerowatch.daemon.engine_loops`).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from xerowatch.source.port import SourceError
from xerowatch.store import alerts, runtime_state
from xerowatch.store.db import utc_now_iso
from xerowatch.store.overview import LAST_CYCLE_KEY
from xerowatch.sync.commands import process_pending
from xerowatch.sync.connectwise_stream import StreamSummary
from xerowatch.sync.failures import (
    SOURCE_DOWN_ALERT,
    XERO_AUTH_ALERT,
    XERO_ERROR_ALERT,
    source_error_fix,
    xero_error_fix,
)
from xerowatch.sync.ingest import IngestSummary
from xerowatch.sync.pull import PullSummary
from xerowatch.sync.push import PushSummary
from xerowatch.sync.steps import SyncSteps
from xerowatch.sync.writeback import WritebackSummary
from xerowatch.xero.errors import XeroError
from xerowatch.xero.transport import TenantRef

__all__ = [
    "SOURCE_DOWN_ALERT",
    "XERO_AUTH_ALERT",
    "XERO_ERROR_ALERT",
    "CycleSummary",
    "SyncEngine",
    "TenantCycle",
    "source_error_fix",
    "xero_error_fix",
]

log = logging.getLogger(__name__)


@dataclass
class TenantCycle:
    """What a cycle did in one tenant."""

    push: PushSummary = field(default_factory=PushSummary)
    pull: PullSummary = field(default_factory=PullSummary)
    online_urls: int = 0
    error: str | None = None
    fix: str | None = None


@dataclass
class CycleSummary:
    """What one full cycle did: records, calls per endpoint, alerts."""

    source: IngestSummary = field(default_factory=IngestSummary)
    tenants: dict[str, TenantCycle] = field(default_factory=dict)
    writeback: WritebackSummary = field(default_factory=WritebackSummary)
    resyncs: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    open_alerts: int = 0
    new_alerts: int = 0
    paused: bool = False
    unreached_calls: int = 0
    """Attempts that never got an answer from Xero (not counted in `calls`)."""
    failures: list[str] = field(default_factory=list)
    """What stopped the cycle doing its job, each line with the fix (empty: it did its job)."""
    connectwise: dict[str, StreamSummary] = field(default_factory=dict)
    """Per organisation, what the ConnectWise stream did (`[source] kind = "connectwise"`)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        data = asdict(self)
        data["source"].pop("refs_changed", None)
        data["total_calls"] = sum(self.calls.values())
        return data


class SyncEngine(SyncSteps):
    """The sync steps, plus `run_cycle`: every step once, in the order the daemon's loops chain."""

    async def _tenant_cycle(self, tenant: TenantRef) -> TenantCycle:
        """The tenant's loops once: push, contact events, transaction pull, online links."""
        result = TenantCycle()
        if await self.is_paused(tenant.tenant_id):
            result.error = "paused"
            return result
        try:
            result.push = await self.push(tenant)
            await self.pull_contacts(tenant)
            result.pull = await self.pull(tenant)
            result.online_urls = await self.online_urls(tenant)
        except XeroError as exc:
            failure = await self.xero_failed(tenant.tenant_id, exc)
            result.error, result.fix = failure.error, failure.fix
        return result

    async def _source_steps(self, summary: CycleSummary) -> None:
        summary.source = await self.poll_source()
        if self.source_failure is None:
            with suppress(SourceError):  # alerted by the step's policy, which set source_failure
                await self.poke_learners()
        if self.source_failure is not None:
            summary.failures.append(self.source_failure)

    async def _connectwise_steps(self, summary: CycleSummary, tenants: list[TenantRef]) -> None:
        """The ConnectWise stream once per organisation, instead of the learner steps."""
        for tenant in tenants:
            if await self.is_paused(tenant.tenant_id):
                continue
            try:
                summary.connectwise[tenant.tenant_id] = await self.connectwise_cycle(tenant)
                payments = await self.connectwise_payments(tenant)
                summary.connectwise[tenant.tenant_id].payments = payments
            except SourceError:  # alerted by the step's policy, which set source_failure
                summary.failures.append(self.source_failure or "ConnectWise failed")
                return
            except XeroError as exc:
                failure = await self.xero_failed(tenant.tenant_id, exc)
                summary.failures.append(f"xero {tenant.tenant_id}: {failure.error} — {failure.fix}")

    async def run_cycle(self) -> CycleSummary:
        """One full cycle; errors in one tenant do not stop the others."""
        started = utc_now_iso()
        start_calls = self.ctx.calls.snapshot()
        summary = CycleSummary()
        summary.commands = await process_pending(self)
        start_unreached = self.ctx.calls.unreached_total
        summary.paused = await self.is_paused()
        tenants = await self.tenants()
        if not summary.paused and not tenants:
            summary.failures.append("no Xero organisation is connected — run `xerowatch connect`")
        if not summary.paused and self.connectwise is not None:
            await self._connectwise_steps(summary, tenants)
        elif not summary.paused:
            await self._source_steps(summary)
            for tenant in tenants:
                cycle = summary.tenants[tenant.tenant_id] = await self._tenant_cycle(tenant)
                if cycle.error and cycle.error != "paused":
                    summary.failures.append(
                        f"xero {tenant.tenant_id}: {cycle.error} — {cycle.fix or 'see the alerts'}"
                    )
            summary.resyncs = await self.run_resyncs()
            await self.housekeeping()
            summary.writeback = await self.write_back()
        end_calls = self.ctx.calls.snapshot()
        summary.calls = {
            k: v - start_calls.get(k, 0) for k, v in end_calls.items() if v - start_calls.get(k, 0)
        }
        summary.unreached_calls = self.ctx.calls.unreached_total - start_unreached
        summary.open_alerts = await alerts.count_open(self.ctx.store)
        summary.new_alerts = await alerts.count_opened_since(self.ctx.store, started)
        finished = {**summary.to_dict(), "finished_at": self.ctx.clock.now().isoformat()}
        await runtime_state.put(self.ctx.store, LAST_CYCLE_KEY, finished)
        return summary
