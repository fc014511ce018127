"""A world for the ConnectWise expense stream: both simulators, expenses only, every Xero request
kept (the same wiring as `stream_world`, with expense bills configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.connectwise.conftest import cw_settings
from tests.connectwise.stream_world import MAPPING, CapturingTransport, World
from tests.sync.conftest import sim_settings
from xerowatch.clock import FakeClock
from xerowatch.config import SourceSettings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.wiring import connect_custom_connection, open_runtime
from xerowatch.xero.transport import TenantRef

EXPENSE_MAPPING: dict[str, Any] = {
    **MAPPING,
    "expense_account_codes": {"Reimbursable": "493", "NonReimbursable": "429", "Personal": "815"},
}


@asynccontextmanager
async def expense_world(
    tmp_path: Path, *, expenses: int, grouping: str = "none", personal: bool = True
) -> AsyncIterator[World]:
    """`expenses` unposted expenses by four members (about a third Personal: credit notes; made
    Reimbursable when not `personal`), no invoices, an empty Xero organisation, connected."""
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    xero = XeroSim(XeroSimConfig(seed=7), clock=clock)
    xero.add_tenant("MSP Pty")
    cw = ConnectWiseSim(clock=clock)
    cw.seed(customers=5, invoices=0, lines=1, expenses=expenses, purchases=0)
    if not personal:
        for expense in cw.records.expenses.values():
            if expense.classification == "Personal":
                expense.classification = "Reimbursable"
    mapping = {**EXPENSE_MAPPING, "expense_grouping": grouping}
    settings = sim_settings(tmp_path / "x.db").model_copy(
        update={"source": SourceSettings(kind="connectwise"), "connectwise": cw_settings(**mapping)}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cw.app)) as http:
        client = ConnectWiseClient(settings.connectwise, clock=clock, http=http)
        source = ConnectWiseSource(ConnectWiseAccounting(client, settings.connectwise, clock))
        transport = CapturingTransport(xero.app)
        async with open_runtime(
            settings, clock=clock, xero_transport=transport, source=source
        ) as rt:
            [tenant] = await connect_custom_connection(rt)
            yield World(
                xero, cw, rt, TenantRef(tenant.tenant_id, tenant.connection_id), tmp_path, transport
            )
