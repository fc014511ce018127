"""Which ConnectWise billing locations each Xero organisation takes (`[connectwise] locations`).

Without a mapping the one connected organisation takes `location_id` (or every location), as
before; with several organisations connected and no mapping the stream stops with the fix
(`SEVERAL_WITHOUT_MAPPING`). With a mapping each organisation's stream reads only its own
locations; a connected organisation the mapping leaves out gets nothing, and an alert says so.

A cursor belongs to the location set it was read with: when an organisation's set changes (a
location added to it), its ConnectWise cursors start again from the beginning, so unposted
records of the new location changed long before the old cursor are still read. Records already
queued, in Xero or posted are not exported again (the stream checks each listed record).
"""

from __future__ import annotations

import logging

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.store import alerts, cursors, runtime_state
from xerowatch.store.tenants import active_tenants, get_tenant
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

UNMAPPED_ALERT = "cw_organisation_unmapped"
SCOPE_KEY = "connectwise_locations:"
"""runtime_state key prefix: the location set an organisation's cursors were read with."""
CURSOR_PREFIX = "connectwise:"
"""ConnectWise streams' cursors (`connectwise:invoices`, …), per organisation."""


def several_without_mapping(count: int) -> str:
    """The stop line when several organisations are connected and none is mapped."""
    return (
        f"{count} Xero organisations are connected and [connectwise] locations does not say "
        "which billing locations each takes — map each organisation's tenant id to its "
        "location ids under [connectwise] locations (docs/connectwise.md), or disconnect the "
        "others (`xerowatch disconnect`)"
    )


async def unmapped(ctx: EngineDeps, tenant: TenantRef, settings: ConnectWiseSettings) -> str:
    """Alert that a connected organisation takes nothing; return the line saying so."""
    tid = tenant.tenant_id
    stored = await get_tenant(ctx.store, tid)
    name = stored.name if stored and stored.name else "(unnamed)"
    problem = (
        f"Xero organisation {name} ({tid}) is not in [connectwise] locations: nothing is sent to it"
    )
    connected = {t.tenant_id for t in await active_tenants(ctx.store)}
    strangers = sorted(set(settings.locations) - connected)
    if strangers:  # most likely a mistyped tenant id
        problem += f" (it lists {', '.join(strangers)}, which is not connected)"
    await alerts.raise_alert(
        ctx.store,
        UNMAPPED_ALERT,
        problem,
        fix=f'Add "{tid}" = [its location ids] under [connectwise] locations, or disconnect '
        f"it (`xerowatch disconnect {tid}`)",
        tenant_id=tid,
    )
    return problem


async def mapped(ctx: EngineDeps, tenant: TenantRef, settings: ConnectWiseSettings) -> None:
    """An organisation that takes locations: resolve its unmapped alert, and start its
    ConnectWise cursors again when its location set is not the one they were read with."""
    tid = tenant.tenant_id
    await alerts.resolve_alerts(ctx.store, record="", tenant_id=tid, types=(UNMAPPED_ALERT,))
    locations = settings.tenant_locations(tid)
    current = sorted(locations) if locations else []
    before = await runtime_state.get(ctx.store, SCOPE_KEY + tid)
    if before == current:
        return
    restarted = [
        stream
        for tenant_id, stream, value, _ in await cursors.all_cursors(ctx.store)
        if tenant_id == tid and stream.startswith(CURSOR_PREFIX) and value is not None
    ]
    for stream in restarted:
        await cursors.set_cursor(ctx.store, stream, None, tid)
    await runtime_state.put(ctx.store, SCOPE_KEY + tid, current)
    if restarted:
        log.info(
            "organisation %s now takes billing locations %s (was %s): ConnectWise is read "
            "from the start",
            tid,
            current or "all",
            before or "all",
        )
