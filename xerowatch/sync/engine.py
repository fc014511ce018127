"""The sync engine: one cycle = source changes → contact push → transaction pull → write-back."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, learners, resyncs, runtime
from xerowatch.store.db import utc_now_iso
from xerowatch.store.overview import LAST_CYCLE_KEY
from xerowatch.sync.commands import process_pending
from xerowatch.sync.context import EngineContext
from xerowatch.sync.housekeeping import check_stranded
from xerowatch.sync.ingest import IngestSummary, apply_learner, ingest
from xerowatch.sync.online_urls import fetch_spare_online_urls
from xerowatch.sync.pull import PullSummary, pull_transactions
from xerowatch.sync.push import PushSummary, push_contacts
from xerowatch.sync.resync import run_resync
from xerowatch.sync.writeback import (
    SOURCE_AUTH_ALERT,
    WritebackSummary,
    source_auth_failed,
    write_back,
)
from xerowatch.xero.errors import XeroAuthError, XeroError, XeroRateLimited
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

SOURCE_DOWN_ALERT = "source_unavailable"
XERO_AUTH_ALERT = "xero_auth"
XERO_ERROR_ALERT = "xero_error"


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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        data = asdict(self)
        data["source"].pop("refs_changed", None)
        data["total_calls"] = sum(self.calls.values())
        return data


XERO_STATUS_PAGE = "https://status.developer.xero.com"


def xero_error_fix(exc: XeroError) -> str:
    """What to do about a Xero error that stopped a cycle: the setting when Xero was unreachable."""
    if exc.config_key:
        return (
            f"check {exc.config_key} in xerowatch.toml (the URL above could not be reached); "
            "retried on the next cycle"
        )
    return f"retried on the next cycle; if it persists, check {XERO_STATUS_PAGE}"


def source_error_fix(source_name: str, exc: SourceError) -> str:
    """What to do about a source read that failed, in the words of the source in use."""
    if source_name == "file":
        return "check [file_source] inbox and the learner CSV named above; retried on the next poll"
    if exc.transient:
        return (
            "retried on the next poll; if it persists check [wisenet] base_url, the API key "
            "or `xerowatch wisenet-status`, and the licence's daily quota"
        )
    return (
        "check [wisenet] api_key and base_url (or run `xerowatch wisenet-connect` for OAuth), "
        "then `xerowatch retry --all`"
    )


class SyncEngine:
    """Runs the sync rules against the store, Xero and the source."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.source_failure: str | None = None
        """Why the last source read failed, with the fix (None: it worked)."""

    async def tenants(self) -> list[TenantRef]:
        """Active Xero tenants, from the store."""
        rows = await self.ctx.store.fetchall(
            "SELECT tenant_id, connection_id FROM tenants WHERE active = 1 ORDER BY tenant_id"
        )
        return [TenantRef(row[0], row[1]) for row in rows]

    async def ingest_source(self) -> IngestSummary:
        """Read source changes into the store."""
        tenants = [t.tenant_id for t in await self.tenants()]
        return await ingest(self.ctx.store, self.ctx.source, tenants)

    async def push(self, tenant: TenantRef) -> PushSummary:
        """Write due learners of one tenant to Xero."""
        return await push_contacts(self.ctx, tenant)

    async def pull(self, tenant: TenantRef) -> PullSummary:
        """Pull changed transactions of one tenant (its success proves the token works)."""
        summary = await pull_transactions(self.ctx, tenant)
        await alerts.resolve_alerts(
            self.ctx.store, record="", tenant_id=tenant.tenant_id, types=(XERO_AUTH_ALERT,)
        )
        return summary

    async def xero_auth_failed(self, tenant_id: str, exc: XeroAuthError) -> None:
        """The one alert for Xero refusing a tenant's token; its writes wait without cost."""
        log.warning("Xero refused the token of %s: %s", tenant_id, exc)
        await alerts.raise_alert(
            self.ctx.store,
            XERO_AUTH_ALERT,
            str(exc),
            fix=(
                "Run `xerowatch connect` to reconnect this organisation; pending writes wait "
                "and resume by themselves"
            ),
            tenant_id=tenant_id,
        )

    async def write_back(self) -> WritebackSummary:
        """Write changed matched transactions to the source."""
        return await write_back(self.ctx)

    async def online_urls(self, tenant: TenantRef) -> int:
        """Fetch missing online-invoice links from spare budget."""
        if not self.ctx.settings.fetch_online_invoice_urls:
            return 0
        return await fetch_spare_online_urls(self.ctx, tenant)

    async def poke_learner(self, source_id: str) -> str:
        """Fetch one learner from the source now (a webhook poke or an operator request)."""
        learner = await self.ctx.source.get_learner(source_id)
        if learner is None:
            await learners.mark_deleted(self.ctx.store, [source_id])
            return f"learner {source_id} is gone from {self.ctx.source_label}"
        tenants = [t.tenant_id for t in await self.tenants()]
        summary = IngestSummary()
        await apply_learner(self.ctx.store, learner, tenants, summary)
        changed = "changed" if summary.changed else "unchanged"
        return f"learner {learner.ref_internal} fetched ({changed})"

    async def run_resyncs(self) -> list[str]:
        """Carry out pending (or budget-paused) resync runs."""
        held = await resyncs.held(self.ctx.store)
        return [
            await run_resync(self.ctx, run)
            for run in await resyncs.active(self.ctx.store)
            if run.id not in held
        ]

    async def _tenant_cycle(self, tenant: TenantRef) -> TenantCycle:
        result = TenantCycle()
        if await runtime.is_paused(self.ctx.store, tenant.tenant_id):
            result.error = "paused"
            return result
        try:
            result.push = await self.push(tenant)
            result.pull = await self.pull(tenant)
            result.online_urls = await self.online_urls(tenant)
        except XeroAuthError as exc:
            result.error = f"auth: {exc}"
            result.fix = "run `xerowatch connect` to reconnect this organisation"
            await self.xero_auth_failed(tenant.tenant_id, exc)
        except XeroRateLimited as exc:
            result.error = f"rate limited ({exc.problem}): {exc}"
            result.fix = "wait for the limit to reset; the next cycle carries on"
        except XeroError as exc:
            result.error = str(exc)
            result.fix = xero_error_fix(exc)
            log.warning("cycle for %s stopped: %s", tenant.tenant_id, exc)
            await alerts.raise_alert(
                self.ctx.store,
                XERO_ERROR_ALERT,
                f"Sync with Xero stopped for this cycle: {exc}",
                fix=result.fix[0].upper() + result.fix[1:],
                tenant_id=tenant.tenant_id,
            )
        return result

    async def ingest_or_alert(self) -> IngestSummary:
        """Read the source; if it is down, alert and carry on with what is already known."""
        name = self.ctx.source_label
        try:
            summary = await self.ingest_source()
        except SourceAuthError as exc:
            failure = f"{name} refused the credential: {exc}"
            if failure != self.source_failure:  # once per problem, not once per poll
                log.warning("%s", failure)
            self.source_failure = failure
            await source_auth_failed(self.ctx, exc)
            return IngestSummary()
        except SourceError as exc:
            fix = source_error_fix(self.ctx.source.name, exc)
            failure = f"could not read learners from {name}: {exc} — {fix}"
            if failure != self.source_failure:  # once per problem, not once per poll
                log.warning("%s", failure)
            self.source_failure = failure
            await alerts.raise_alert(
                self.ctx.store,
                SOURCE_DOWN_ALERT,
                f"Could not read learners from {name}: {exc}",
                fix=fix[0].upper() + fix[1:],
            )
            return IngestSummary()
        if self.source_failure is not None:
            log.warning("reading learners from %s works again", name)
        self.source_failure = None
        await alerts.resolve_alerts(
            self.ctx.store, record="", types=(SOURCE_DOWN_ALERT, SOURCE_AUTH_ALERT)
        )
        return summary

    async def run_cycle(self) -> CycleSummary:
        """One full cycle; errors in one tenant do not stop the others."""
        started = utc_now_iso()
        start_calls = self.ctx.calls.snapshot()
        summary = CycleSummary()
        summary.commands = await process_pending(self)
        start_unreached = self.ctx.calls.unreached_total
        summary.paused = await runtime.is_paused(self.ctx.store)
        if not summary.paused:
            summary.source = await self.ingest_or_alert()
            if self.source_failure is not None:
                summary.failures.append(self.source_failure)
            tenants = await self.tenants()
            if not tenants:
                summary.failures.append(
                    "no Xero organisation is connected — run `xerowatch connect`"
                )
            for tenant in tenants:
                cycle = summary.tenants[tenant.tenant_id] = await self._tenant_cycle(tenant)
                if cycle.error and cycle.error != "paused":
                    summary.failures.append(
                        f"xero {tenant.tenant_id}: {cycle.error} — {cycle.fix or 'see the alerts'}"
                    )
            summary.resyncs = await self.run_resyncs()
            await check_stranded(self.ctx.store)
            summary.writeback = await self.write_back()
        end_calls = self.ctx.calls.snapshot()
        summary.calls = {
            k: v - start_calls.get(k, 0) for k, v in end_calls.items() if v - start_calls.get(k, 0)
        }
        summary.unreached_calls = self.ctx.calls.unreached_total - start_unreached
        summary.open_alerts = await alerts.count_open(self.ctx.store)
        summary.new_alerts = await alerts.count_opened_since(self.ctx.store, started)
        finished = {**summary.to_dict(), "finished_at": self.ctx.clock.now().isoformat()}
        await runtime.put(self.ctx.store, LAST_CYCLE_KEY, finished)
        return summary
