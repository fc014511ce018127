"""Several billing locations, each to its own Xero organisation (`[connectwise] locations`):
both simulators on loopback, the organisations connected through one authorisation."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.connectwise.conftest import cw_settings
from tests.connectwise.stream_world import MAPPING
from tests.sync.conftest import sim_settings
from xerowatch.clock import FakeClock
from xerowatch.config import SourceSettings
from xerowatch.oauth.token_client import TokenResponse
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.connectwise.data import SimInvoice
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.store import alerts
from xerowatch.store.tenants import upsert_tenants
from xerowatch.sync.engine import CycleSummary
from xerowatch.wiring import Runtime, open_runtime
from xerowatch.xero.connections import XeroConnectionsClient

CUSTOMERS, INVOICES = 40, 240
LOCATIONS = (1, 2, 3)


@dataclass
class Orgs:
    """ConnectWise with invoices in three billing locations; Xero with organisations by name."""

    xero: XeroSim
    cw: ConnectWiseSim
    clock: FakeClock
    path: Path
    ids: dict[str, str]

    def invoices_at(self, *locations: int) -> list[SimInvoice]:
        """ConnectWise's invoices of these billing locations."""
        return [i for i in self.cw.records.invoices.values() if i.location_id in locations]

    def xero_invoices(self, org: str) -> list[dict[str, Any]]:
        """One organisation's invoices, as Xero JSON."""
        return self.xero.records(self.ids[org], "Invoices")

    def calls(self, org: str) -> Counter[str]:
        """Requests the organisation's Xero received, by method and endpoint."""
        tid = self.ids[org]
        return Counter(f"{r.method} {r.path}" for r in self.xero.requests if r.tenant_id == tid)

    @asynccontextmanager
    async def runtime(self, locations: dict[str, list[int]]) -> AsyncIterator[Runtime]:
        """A runtime (same store each time) mapping organisations by name to locations."""
        by_id = {self.ids[org]: ids for org, ids in locations.items()}
        settings = sim_settings(self.path / "x.db").model_copy(
            update={
                "source": SourceSettings(kind="connectwise"),
                "connectwise": cw_settings(**MAPPING, locations=by_id),
            }
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.cw.app)) as http:
            client = ConnectWiseClient(settings.connectwise, clock=self.clock, http=http)
            accounting = ConnectWiseAccounting(client, settings.connectwise, self.clock)
            async with open_runtime(
                settings,
                clock=self.clock,
                xero_transport=httpx.ASGITransport(app=self.xero.app),
                source=ConnectWiseSource(accounting),
            ) as rt:
                yield rt


async def connect(rt: Runtime, xero: XeroSim, tenant_ids: list[str]) -> None:
    """What `xerowatch connect --all-tenants` stores after one consent to these organisations."""
    tokens = TokenResponse.model_validate(xero.grant_authorization(tenant_ids))
    connection_id = await rt.tokens.store_authorization(tokens)
    client = XeroConnectionsClient(http=rt.http, settings=rt.settings.xero, tokens=rt.tokens)
    found = await client.list_connections(connection_id)
    await upsert_tenants(rt.store, connection_id, [c.to_tenant_info() for c in found])


def orgs(tmp_path: Path, *names: str) -> Orgs:
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    xero = XeroSim(XeroSimConfig(seed=7), clock=clock)
    ids = {name: xero.add_tenant(name) for name in names}
    cw = ConnectWiseSim(clock=clock)
    cw.seed(
        customers=CUSTOMERS,
        invoices=INVOICES,
        lines=4,
        expenses=0,
        purchases=0,
        locations=LOCATIONS,
    )
    return Orgs(xero, cw, clock, tmp_path, ids)


def assert_org_has_exactly(world: Orgs, org: str, invoices: list[SimInvoice]) -> None:
    """Its invoices to the cent, each once; its contacts exactly those invoices' customers."""
    in_xero = world.xero_invoices(org)
    assert Counter(i["InvoiceNumber"] for i in in_xero) == Counter({i.number: 1 for i in invoices})
    totals = {i["InvoiceNumber"]: Decimal(str(i["Total"])) for i in in_xero}
    assert [(i.number, i.total) for i in invoices if totals[i.number] != i.total] == []
    assert sum(totals.values()) == sum(i.total for i in invoices)
    numbers = Counter(c["ContactNumber"] for c in world.xero.contacts(world.ids[org]))
    assert numbers == Counter({str(c): 1 for c in {i.company_id for i in invoices}})


def minimum_calls(invoices: list[SimInvoice]) -> Counter[str]:
    """One directory read, ceil(n/50) writes per kind, payments back's one read of changes."""
    companies = {i.company_id for i in invoices}
    return Counter(
        {
            "GET /Contacts": 1,
            "POST /Contacts": math.ceil(len(companies) / 50),
            "POST /Invoices": math.ceil(len(invoices) / 50),
            "GET /Invoices": 1,
        }
    )


async def cycle(rt: Runtime) -> CycleSummary:
    return await rt.engine.run_cycle()


async def test_each_organisation_gets_exactly_its_locations_invoices_and_contacts(
    tmp_path: Path,
) -> None:
    world = orgs(tmp_path, "MSP North", "MSP South")
    north, south = world.invoices_at(1), world.invoices_at(2, 3)
    assert north and south and len(north) + len(south) == INVOICES
    both = {i.company_id for i in north} & {i.company_id for i in south}
    assert both  # some customers buy in both locations: a contact in each organisation
    async with world.runtime({"MSP North": [1], "MSP South": [2, 3]}) as rt:
        await connect(rt, world.xero, list(world.ids.values()))
        summary = await cycle(rt)
        assert summary.failures == [], summary.failures
        assert_org_has_exactly(world, "MSP North", north)
        assert_org_has_exactly(world, "MSP South", south)
        assert world.calls("MSP North") == minimum_calls(north)
        assert world.calls("MSP South") == minimum_calls(south)
        n, s = (summary.connectwise[world.ids[o]] for o in ("MSP North", "MSP South"))
        assert (n.read, n.created, n.posted) == (len(north), len(north), len(north))
        assert (s.read, s.created, s.posted) == (len(south), len(south), len(south))
        assert world.cw.accounting.posted_ids() == set(world.cw.records.invoices)
        numbers = [i["InvoiceNumber"] for o in world.ids for i in world.xero_invoices(o)]
        assert len(numbers) == len(set(numbers)) == INVOICES  # no record in both

        before = Counter(f"{r.method} {r.path}" for r in world.xero.requests)
        again = await cycle(rt)  # nothing new: payments-back reads only, per organisation
        assert again.failures == []
        after = Counter(f"{r.method} {r.path}" for r in world.xero.requests) - before
        assert after == Counter({"GET /Invoices": 2})  # one read of changes per organisation


async def test_a_connected_organisation_left_out_of_the_mapping_gets_nothing_and_says_so(
    tmp_path: Path,
) -> None:
    world = orgs(tmp_path, "MSP North", "MSP South", "Old Books", "Never Connected")
    stranger = world.ids["Never Connected"]
    async with world.runtime({"MSP North": [1], "MSP South": [2], "Never Connected": [4]}) as rt:
        await connect(rt, world.xero, [t for t in world.ids.values() if t != stranger])
        summary = await cycle(rt)
        old = world.ids["Old Books"]
        assert world.calls("Old Books") == Counter()  # not one request in its name
        assert world.xero_invoices("Old Books") == []
        assert summary.connectwise[old].problems == [
            f"Xero organisation Old Books ({old}) is not in [connectwise] locations: "
            f"nothing is sent to it (it lists {stranger}, which is not connected)"
        ]
        [alert] = [
            a for a in await alerts.open_alerts(rt.store) if a.type == "cw_organisation_unmapped"
        ]
        assert alert.tenant_id == old and "Old Books" in alert.message
        assert "[connectwise] locations" in alert.fix and "xerowatch disconnect" in alert.fix
        # the mapped ones are not held back; location 3 goes nowhere and stays unposted
        assert_org_has_exactly(world, "MSP North", world.invoices_at(1))
        assert_org_has_exactly(world, "MSP South", world.invoices_at(2))
        posted = world.cw.accounting.posted_ids()
        assert posted == {i.id for i in world.invoices_at(1, 2)}

    async with world.runtime({"MSP North": [1], "MSP South": [2], "Old Books": [3]}) as rt:
        summary = await cycle(rt)  # mapped now: its alert is resolved, its invoices go
        assert summary.failures == []
        assert not [
            a for a in await alerts.open_alerts(rt.store) if a.type == "cw_organisation_unmapped"
        ]
        assert_org_has_exactly(world, "Old Books", world.invoices_at(3))


async def test_a_location_added_to_an_organisation_is_read_from_the_start(
    tmp_path: Path,
) -> None:
    """The cursor belongs to a location set: a location moved in later is read whole, even its
    invoices changed long before the organisation's cursor."""
    world = orgs(tmp_path, "MSP North", "MSP South")
    async with world.runtime({"MSP North": [1], "MSP South": [2]}) as rt:
        await connect(rt, world.xero, list(world.ids.values()))
        assert (await cycle(rt)).failures == []
    world.clock.advance(3600)
    async with world.runtime({"MSP North": [1], "MSP South": [2, 3]}) as rt:
        summary = await cycle(rt)
        assert summary.failures == []
        assert_org_has_exactly(world, "MSP South", world.invoices_at(2, 3))
        assert_org_has_exactly(world, "MSP North", world.invoices_at(1))
        assert world.cw.accounting.posted_ids() == set(world.cw.records.invoices)


async def test_two_organisations_without_a_mapping_still_stop_with_the_fix(
    tmp_path: Path,
) -> None:
    world = orgs(tmp_path, "MSP North", "MSP South")
    async with world.runtime({}) as rt:
        await connect(rt, world.xero, list(world.ids.values()))
        summary = await cycle(rt)
        assert [r for r in world.xero.requests if r.tenant_id] == []  # nothing to any org
        [failure] = summary.failures
        assert "2 Xero organisations are connected" in failure
        assert "[connectwise] locations" in failure
