"""A world for the ConnectWise procurement streams: 300 purchase orders (some received on one
or two packing slips) and a month of inventory adjustments and transfers across two
warehouses, both simulators on loopback, every Xero request kept for the contract tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.connectwise.conftest import cw_settings
from tests.connectwise.stream_world import (
    CUSTOMERS,
    INVOICES,
    MAPPING,
    CapturingTransport,
    World,
)
from tests.sync.conftest import sim_settings
from xerowatch.clock import FakeClock
from xerowatch.config import SourceSettings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.sim.xero.document_routes import add_tracking_category
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.wiring import connect_custom_connection, open_runtime
from xerowatch.xero.transport import TenantRef

PURCHASES, ADJUSTMENTS, TRANSFERS = 300, 60, 60
"""A month: 300 POs, two adjustments and two transfers a day."""
PROCUREMENT: dict[str, Any] = {
    "purchase_account_code": "300",
    "purchase_bills_per_packing_slip": True,
    "warehouse_inventory_accounts": {"Sydney": "630", "Melbourne": "631"},
    "inventory_adjustment_account": "455",
    "class_tracking": {"Hardware": "Division:Hardware", "Networking": "Division:Network"},
    "page_size": 1000,
}


def stored(w: World, kind: str) -> list[dict[str, Any]]:
    """What the Xero simulator holds of a document kind (PurchaseOrders, ManualJournals)."""
    return w.xero.documents(w.tenant.tenant_id, kind)


@asynccontextmanager
async def open_world(
    tmp_path: Path, seed: dict[str, Any], mapping: dict[str, Any]
) -> AsyncIterator[World]:
    """Both simulators (ConnectWise seeded with `seed`) and a runtime with `mapping`."""
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    xero = XeroSim(XeroSimConfig(seed=7), clock=clock)
    tenant_id = xero.add_tenant("MSP Pty")
    add_tracking_category(xero, tenant_id, "Division", ["Hardware", "Network"])
    cw = ConnectWiseSim(clock=clock)
    cw.seed(**seed)
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
                xero,
                cw,
                rt,
                TenantRef(tenant.tenant_id, tenant.connection_id),
                tmp_path,
                transport,
                {"clock": clock},
            )


@pytest.fixture
async def procurement_world(tmp_path: Path) -> AsyncIterator[World]:
    """The procurement month in ConnectWise, an empty Xero organisation with the tracking."""
    seed = {
        "customers": 0,
        "invoices": 0,
        "expenses": 0,
        "purchases": PURCHASES,
        "adjustments": ADJUSTMENTS,
        "transfers": TRANSFERS,
    }
    async with open_world(tmp_path, seed, PROCUREMENT) as world:
        yield world


@pytest.fixture
async def cost_world(tmp_path: Path) -> AsyncIterator[World]:
    """The invoice stream's 50 customers and 300 invoices, with cost-of-sale journals on."""
    seed = {"customers": CUSTOMERS, "invoices": INVOICES, "expenses": 0, "purchases": 0}
    mapping = {**MAPPING, "cost_of_sale": True, "account_codes": {"5000": "310"}}
    async with open_world(tmp_path, seed, mapping) as world:
        yield world
