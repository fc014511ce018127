"""The sync's steps, each with its one failure policy: what the daemon's loops and `sync --once`
both run (the daemon on its schedules, `sync --once` once each, in order).

A step either handles a failure (alert and carry on) or, after its alert, lets the error out so
its runner retries later: the daemon's loop backs off, `sync --once` reports the line.
"""

from __future__ import annotations

import logging

from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, learners, resyncs, runtime_state, webhook_events
from xerowatch.store.tenants import active_tenants
from xerowatch.sync import connectwise_locations
from xerowatch.sync.connectwise_payments import PaymentsSummary
from xerowatch.sync.connectwise_stream import ConnectWiseStream, StreamSummary
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.failures import (
    SOURCE_DOWN_ALERT,
    XeroFailure,
    source_error_fix,
    xero_auth_failed,
    xero_failed,
    xero_worked,
)
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
from xerowatch.xero.errors import XeroAuthError, XeroError
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

CONTACT_EVENTS = ("CONTACT",)
TRANSACTION_EVENTS = ("INVOICE", "CREDITNOTE")


class SyncSteps:
    """The steps of a sync against one runtime's store, Xero and source."""

    def __init__(self, ctx: EngineDeps) -> None:
        self.ctx = ctx
        self.source_failure: str | None = None
        """Why the last source read failed, with the fix (None: it worked)."""
        self._connectwise: ConnectWiseStream | None = None
        self._connectwise_in: dict[str, ConnectWiseStream] = {}

    async def tenants(self) -> list[TenantRef]:
        """Active Xero tenants, from the store."""
        return [TenantRef(tid, cid) for tid, cid in await active_tenants(self.ctx.store)]

    async def is_paused(self, tenant_id: str = "") -> bool:
        """Whether the operator paused syncing (everywhere, or for this tenant)."""
        return await runtime_state.is_paused(self.ctx.store, tenant_id)

    # ---- source ------------------------------------------------------------------------------

    async def ingest_source(self) -> IngestSummary:
        """Read source changes into the store (no failure policy: see `poll_source`)."""
        tenants = [t.tenant_id for t in await self.tenants()]
        return await ingest(self.ctx.store, self.ctx.source, tenants)

    async def source_failed(self, exc: SourceError) -> None:
        """The one policy for a failed source read: one alert, one log line per problem."""
        name = self.ctx.source_label
        if isinstance(exc, SourceAuthError):
            failure = f"{name} refused the credential: {exc}"
        else:
            fix = source_error_fix(self.ctx.source.name, exc)
            what = "reach" if self.connectwise is not None else "read learners from"
            failure = f"could not {what} {name}: {exc} — {fix}"
        if failure != self.source_failure:  # once per problem, not once per poll
            log.warning("%s", failure)
        self.source_failure = failure
        if isinstance(exc, SourceAuthError):
            await source_auth_failed(self.ctx, exc)
            return
        await alerts.raise_alert(
            self.ctx.store,
            SOURCE_DOWN_ALERT,
            f"Could not {what} {name}: {exc}",
            fix=fix[0].upper() + fix[1:],
        )

    async def poll_source(self) -> IngestSummary:
        """Step: read the source; if it is down, alert and carry on with what is already known."""
        try:
            summary = await self.ingest_source()
        except SourceError as exc:
            await self.source_failed(exc)
            return IngestSummary()
        if self.source_failure is not None:
            log.warning("reading learners from %s works again", self.ctx.source_label)
        self.source_failure = None
        await alerts.resolve_alerts(
            self.ctx.store, record="", types=(SOURCE_DOWN_ALERT, SOURCE_AUTH_ALERT)
        )
        return summary

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

    async def poke_learners(self) -> int:
        """Step: fetch the learners Wisenet webhooks poked; return how many pokes were done.

        A source outage (or a refused credential) alerts and raises with the poke still pending;
        a learner unreadable for good is logged and its poke dropped, so it blocks no other.
        """
        pokes = await webhook_events.pending_pokes(self.ctx.store)
        for poke in pokes:
            try:
                await self.poke_learner(poke.resource_id)
            except SourceError as exc:
                if exc.transient or isinstance(exc, SourceAuthError):
                    await self.source_failed(exc)
                    raise
                # Unreadable for good (bad data, a 400): the next poll alerts on what is wrong.
                log.warning(
                    "learner %s from a Wisenet webhook cannot be read: %s", poke.resource_id, exc
                )
            await webhook_events.mark_processed(self.ctx.store, [poke.id])
        return len(pokes)

    # ---- Xero, per tenant ----------------------------------------------------------------------

    async def xero_failed(self, tenant_id: str, exc: XeroError) -> XeroFailure:
        """The one policy for a Xero error in any tenant step (see `failures.xero_failed`)."""
        return await xero_failed(self.ctx, tenant_id, exc)

    async def xero_auth_failed(self, tenant_id: str, exc: XeroAuthError) -> None:
        """The one alert for Xero refusing a tenant's token."""
        await xero_auth_failed(self.ctx, tenant_id, exc)

    async def push(self, tenant: TenantRef) -> PushSummary:
        """Step: write due learners of one tenant to Xero."""
        return await push_contacts(self.ctx, tenant)

    async def pull_contacts(self, tenant: TenantRef) -> bool:
        """Step: after a CONTACT webhook (an archive or merge in Xero), refresh the directory."""
        store = self.ctx.store
        ids = await webhook_events.pending_xero_events(store, tenant.tenant_id, CONTACT_EVENTS)
        if not ids:
            return False
        await refresh_directory(self.ctx, tenant)
        await webhook_events.mark_processed(self.ctx.store, ids)
        return True

    async def pull(self, tenant: TenantRef) -> PullSummary:
        """Step: pull changed transactions of one tenant; its success proves the token works.

        The tenant's pending invoice and credit note webhooks are done once the pull succeeded.
        """
        ids = await webhook_events.pending_xero_events(
            self.ctx.store, tenant.tenant_id, TRANSACTION_EVENTS
        )
        summary = await pull_transactions(self.ctx, tenant)
        await xero_worked(self.ctx, tenant.tenant_id)
        await webhook_events.mark_processed(self.ctx.store, ids)
        return summary

    async def online_urls(self, tenant: TenantRef) -> int:
        """Step: fetch missing online-invoice links from spare budget."""
        if not self.ctx.settings.fetch_online_invoice_urls:
            return 0
        return await fetch_spare_online_urls(self.ctx, tenant)

    # ---- ConnectWise (source → Xero) ---------------------------------------------------------

    @property
    def connectwise(self) -> ConnectWiseStream | None:
        """The ConnectWise stream when `[source] kind = "connectwise"` (None otherwise)."""
        source = self.ctx.source
        if self._connectwise is None and isinstance(source, ConnectWiseSource):
            accounting = source.accounting
            self._connectwise = ConnectWiseStream(self.ctx, accounting, accounting.settings)
        return self._connectwise

    async def connectwise_in(self, tenant: TenantRef) -> ConnectWiseStream | None:
        """The ConnectWise stream of one organisation, reading only its billing locations
        (`[connectwise] locations`); None when the mapping leaves it out."""
        stream = self.connectwise
        if stream is None:
            raise SourceError("source.kind is not connectwise", transient=False)
        tid = tenant.tenant_id
        locations = stream.settings.tenant_locations(tid)
        if locations is None:
            return None
        if tid not in self._connectwise_in:
            await connectwise_locations.mapped(self.ctx, tenant, stream.settings)
            if stream.settings.locations:  # several organisations, each its own stream
                scoped = stream.accounting.for_locations(locations)
                stream = ConnectWiseStream(self.ctx, scoped, stream.settings)
            self._connectwise_in[tid] = stream
        return self._connectwise_in[tid]

    async def connectwise_cycle(self, tenant: TenantRef) -> StreamSummary:
        """Step: the ConnectWise stream in one organisation — read, send, post.

        A ConnectWise failure alerts once (source_unavailable) and is raised for the runner;
        a Xero failure is raised to the steps' Xero policy.
        """
        if self.connectwise is None:
            raise SourceError("source.kind is not connectwise", transient=False)
        try:
            connected = await self.tenants()
            if len(connected) > 1 and not self.connectwise.settings.locations:
                raise SourceError(
                    connectwise_locations.several_without_mapping(len(connected)),
                    transient=False,
                )
            stream = await self.connectwise_in(tenant)
            if stream is None:  # left out of [connectwise] locations: nothing is sent to it
                problem = await connectwise_locations.unmapped(
                    self.ctx, tenant, self.connectwise.settings
                )
                return StreamSummary(problems=[problem])
            summary = await stream.cycle(tenant)
        except SourceError as exc:
            await self.source_failed(exc)
            raise
        self.source_failure = None
        await alerts.resolve_alerts(
            self.ctx.store, record="", types=(SOURCE_DOWN_ALERT, SOURCE_AUTH_ALERT)
        )
        return summary

    async def connectwise_payments(self, tenant: TenantRef) -> PaymentsSummary:
        """Step: Xero payments on synced invoices posted to ConnectWise (same failure policy)."""
        if self.connectwise is None:
            raise SourceError("source.kind is not connectwise", transient=False)
        try:
            stream = await self.connectwise_in(tenant)
            if stream is None:  # left out of [connectwise] locations: nothing is sent to it
                return PaymentsSummary()
            return await stream.payments.run(tenant)
        except SourceError as exc:
            await self.source_failed(exc)
            raise

    # ---- everything else ----------------------------------------------------------------------

    async def write_back(self) -> WritebackSummary:
        """Step: write changed matched transactions to the source."""
        return await write_back(self.ctx)

    async def run_resyncs(self) -> list[str]:
        """Step: carry out pending (or budget-paused) resync runs, not those an operator held."""
        held = await resyncs.held(self.ctx.store)
        return [
            await run_resync(self.ctx, run)
            for run in await resyncs.active(self.ctx.store)
            if run.id not in held
        ]

    async def housekeeping(self) -> int:
        """Step: drop Xero events no loop takes, repair stranded transactions; return repairs."""
        dropped = await webhook_events.drop_events_of_strangers(self.ctx.store)
        if dropped:
            log.info(
                "ignored %d Xero webhook event(s) of organisations not connected here", dropped
            )
        return await check_stranded(self.ctx.store)
