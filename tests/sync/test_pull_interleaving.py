"""A contact linked while a pull is still reading is matched on the pages read after the link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sync.conftest import sim_settings
from tests.sync.memory_source import MemorySource, learner
from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim
from xerowatch.store import alerts
from xerowatch.sync.housekeeping import check_stranded
from xerowatch.sync.pull import pull_transactions
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.client import XeroClient
from xerowatch.xero.transport import TenantRef

INVOICES = 1_050  # two pages of 1,000


def link_after_first_page(rt: Runtime, tenant: TenantRef) -> None:
    """Make the pull's page iterator run a push (which links the contact) after page 1."""
    xero: XeroClient = rt.engine.ctx.xero
    original = xero.iter_pages

    async def iter_pages(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        pages = 0
        async for page in original(*args, **kwargs):
            if pages == 1:
                await rt.engine.push(tenant)  # the push loop got in between two pages
            pages += 1
            yield page

    xero.iter_pages = iter_pages  # type: ignore[method-assign]


@pytest.fixture
async def adoptable(
    tmp_path: Path, sim: XeroSim, clock: FakeClock
) -> AsyncIterator[tuple[Runtime, MemorySource, TenantRef, list[str]]]:
    """A pre-integration contact with two pages of invoices, and its learner not yet pushed."""
    tenant_id = sim.tenant_ids()[0]
    contact = sim.add_contact(tenant_id, Name="Ada Learner1 R1")
    ids = [
        sim.add_invoice(tenant_id, contact["ContactID"], Total=10 + n)["InvoiceID"]
        for n in range(INVOICES)
    ]
    settings = sim_settings(tmp_path / "a.db", adopt_name_matches=True)
    source = MemorySource()
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        [t] = await connect_custom_connection(rt)
        tenant = TenantRef(t.tenant_id, t.connection_id)
        source.put(learner("R1"))
        await rt.engine.ingest_source()
        clock.advance(60)
        yield rt, source, tenant, ids


async def test_pages_read_after_a_push_linked_the_contact_are_matched_and_written_back(
    adoptable: tuple[Runtime, MemorySource, TenantRef, list[str]],
) -> None:
    rt, source, tenant, ids = adoptable
    link_after_first_page(rt, tenant)

    pulled = await pull_transactions(rt.engine.ctx, tenant, kinds=("invoice",))
    await rt.engine.write_back()

    assert pulled.total("read") == INVOICES
    assert sorted(tx.xero_id for tx in source.written) == sorted(ids)
    assert {tx.ref_internal for tx in source.written} == {"R1"}
    assert await rt.store.fetchall("SELECT xero_id FROM transactions WHERE matched = 0") == []


async def test_housekeeping_repairs_a_stranded_transaction_and_raises_an_alert(
    adoptable: tuple[Runtime, MemorySource, TenantRef, list[str]],
) -> None:
    rt, source, tenant, ids = adoptable
    # nothing linked yet: all unmatched
    await pull_transactions(rt.engine.ctx, tenant, kinds=("invoice",))
    await rt.engine.push(tenant)  # links the contact and re-matches what is stored
    # An older xerowatch (or a bug) left one of them unmatched though its contact is linked.
    await rt.store.execute("UPDATE transactions SET matched = 0 WHERE xero_id = ?", (ids[0],))

    repaired = await check_stranded(rt.store)
    await rt.engine.write_back()

    assert repaired == 1
    [alert] = await alerts.open_alerts(rt.store, type_="transaction_stranded")
    assert "1 transaction" in alert.message
    assert sorted(tx.xero_id for tx in source.written) == sorted(ids)
    assert await check_stranded(rt.store) == 0
