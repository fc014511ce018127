"""One organisation's view of ConnectWise (`for_locations`): only its billing locations' unposted
invoices, expenses and procurement are listed and exported."""

from __future__ import annotations

import httpx

from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader

from .conftest import MakeAccounting
from .test_contract import BASE, RecordingTransport


async def test_a_location_set_filters_every_unposted_list_and_the_export(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=6, invoices=30, expenses=12, purchases=9, locations=(1, 2, 3))
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    everything = make_accounting(recorder, page_size=1000)
    assert everything.locations == ()
    ours = everything.for_locations((1, 3))
    assert ours.client is everything.client  # one client, one throttle for every organisation

    invoices = [i async for page in ours.unposted_invoices(None) for i in page]
    expected = {i.id for i in sim.records.invoices.values() if i.location_id in (1, 3)}
    assert {i.id for i in invoices} == expected and len(expected) == 20
    exported = await ours.export_invoices(invoices, batch="XW-EXPORT-test")
    assert {int(t.id) for t in exported.transactions} == expected

    reader = ConnectWiseDocumentReader(ours)
    expenses = [e async for page in reader.unposted_expenses(None) for e in page]
    assert {e.id for e in expenses} == {
        e.id for e in sim.records.expenses.values() if e.location_id in (1, 3)
    }
    bought = [p async for page in reader.unposted_procurement(None, kind="Purchase") for p in page]
    assert {p.id for p in bought} == {
        p.id for p in sim.records.purchases.values() if p.location_id in (1, 3)
    }
    lists = [
        e.request.url.params.get("conditions", "")
        for e in recorder.exchanges
        if "/unposted" in e.request.url.path.removeprefix(BASE)
    ]
    assert len(lists) == 3 and all("locationId in (1,3)" in q for q in lists), lists
    # several locations: the export names its invoices, not one locationId
    [export] = [e for e in recorder.exchanges if e.request.url.path.endswith("/export")]
    assert b"locationId" not in export.request.content


async def test_one_location_is_an_equality_and_names_the_export(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=4, invoices=10, expenses=0, purchases=0, locations=(1, 2))
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    ours = make_accounting(recorder, location_id=7).for_locations((2,))
    invoices = [i async for page in ours.unposted_invoices(None) for i in page]
    assert {i.id for i in invoices} == {
        i.id for i in sim.records.invoices.values() if i.location_id == 2
    }
    await ours.export_invoices(invoices, batch="XW-EXPORT-test")
    [listed, export] = recorder.exchanges
    assert listed.request.url.params["conditions"] == "locationId = 2"
    assert b'"locationId":2' in export.request.content.replace(b" ", b"")
