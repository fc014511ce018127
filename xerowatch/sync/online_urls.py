"""Online-invoice links cost a call each: fetched on demand, or from spare daily budget."""

from __future__ import annotations

import logging
from uuid import UUID

from xerowatch.store import transactions
from xerowatch.store.history import HistoryEntry, record
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.errors import XeroError, XeroRateLimited
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)


async def fetch_online_url(
    ctx: EngineDeps, tenant: TenantRef, invoice_id: str, *, lane: Lane = Lane.OPERATOR
) -> str | None:
    """Fetch and store one invoice's online link (it is then written back with the invoice)."""
    key = f"invoice:{invoice_id}"
    try:
        url, correlation_id = await ctx.xero.online_invoice(
            UUID(invoice_id), tenant=tenant, lane=lane
        )
    except XeroRateLimited:
        raise  # budget, not an answer about this invoice: nothing to record
    except XeroError as exc:
        entry = HistoryEntry(
            key,
            "online_url",
            "error",
            "from_xero",
            tenant.tenant_id,
            str(exc),
            http_status=exc.status,
            correlation_id=exc.correlation_id,
        )
        await record(ctx.store, entry)
        raise
    await transactions.set_online_url(ctx.store, tenant.tenant_id, invoice_id, url)
    await record(
        ctx.store,
        HistoryEntry(
            key,
            "online_url",
            "ok" if url else "info",
            "from_xero",
            tenant.tenant_id,
            url or "Xero has no online invoice for it",
            http_status=200 if url else None,
            correlation_id=correlation_id,
        ),
    )
    return url


async def fetch_spare_online_urls(ctx: EngineDeps, tenant: TenantRef, *, limit: int = 50) -> int:
    """Background: fill in missing links while the day's spare budget lasts; return how many."""
    fetched = 0
    for invoice_id in await transactions.needing_online_url(ctx.store, tenant.tenant_id, limit):
        try:
            await fetch_online_url(ctx, tenant, invoice_id, lane=Lane.BACKGROUND)
        except XeroRateLimited as exc:
            log.info("online links for %s paused: %s", tenant.tenant_id, exc.problem)
            break
        fetched += 1
    return fetched
