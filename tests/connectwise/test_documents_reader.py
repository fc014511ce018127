"""Typed readers for unposted expenses, procurement and PO lines, checked against openapi.yaml."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
from openapi_core import OpenAPI

from xerowatch.clock import FakeClock
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader, po_lines_path
from xerowatch.source.connectwise.models_documents import ExpenseClass, ProcurementKind
from xerowatch.source.port import SourceError

from .conftest import MakeAccounting
from .test_contract import BASE, RecordingTransport, as_mock_request, as_mock_response, spec

__all__ = ["spec"]  # the module-scoped OpenAPI fixture, shared with test_contract


async def test_expenses_procurement_and_lines_are_read_typed_and_match_the_document(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    sim.seed(customers=4, invoices=0, expenses=23, purchases=12)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    reader = ConnectWiseDocumentReader(make_accounting(recorder, page_size=10, location_id=1))

    expenses = [e async for page in reader.unposted_expenses(None) for e in page]
    purchases = [
        p async for page in reader.unposted_procurement(None, kind="Purchase") for p in page
    ]
    lines = {p.id: await reader.purchase_order_lines(p.id) for p in purchases}

    assert [e.id for e in expenses] == sorted(sim.records.expenses)
    for expense in expenses:
        source = sim.records.expenses[expense.id]
        assert expense.total == source.amount and expense.member is not None
        assert expense.member.identifier == source.member
        assert expense.classification in set(ExpenseClass)
        assert expense.currency is not None and expense.currency.code == "AUD"
    assert [p.id for p in purchases] == sorted(sim.records.purchases)
    assert {p.kind for p in purchases} == {ProcurementKind.PURCHASE}
    for purchase in purchases:
        bought = sim.records.purchases[purchase.id]
        assert purchase.total == bought.total
        assert [ln.id for ln in lines[purchase.id]] == [ln.id for ln in bought.lines]
        assert sum(ln.ext_cost or 0 for ln in lines[purchase.id]) == bought.total
    # 23 expenses at 10 a page = 3 pages; 12 purchases = 2; one page of lines per PO
    paths = [e.request.url.path.removeprefix(BASE) for e in recorder.exchanges]
    assert paths.count("/finance/accounting/unpostedexpenses") == 3
    assert paths.count("/finance/accounting/unpostedprocurement") == 2
    assert sorted(p for p in paths if p.endswith("/lineitems")) == sorted(
        po_lines_path(p.id) for p in purchases
    )
    queries = [e.request.url.params.get("conditions", "") for e in recorder.exchanges]
    assert all(
        "locationId = 1" in q for q, p in zip(queries, paths, strict=True) if "unposted" in p
    )
    assert any('procurementType = "Purchase"' in q for q in queries)
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))


async def test_a_missing_purchase_order_is_one_line_naming_it(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    reader = ConnectWiseDocumentReader(make_accounting())
    with pytest.raises(SourceError) as caught:
        await reader.purchase_order_lines(999_999)
    assert "/procurement/purchaseorders/999999/lineitems" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_a_malformed_expense_names_the_field(make_accounting: MakeAccounting) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/finance/accounting/unpostedexpenses")
        return httpx.Response(200, json=[{"id": 5, "total": "twelve"}])

    reader = ConnectWiseDocumentReader(make_accounting(httpx.MockTransport(answer)))
    with pytest.raises(SourceError) as caught:
        async for _ in reader.unposted_expenses(None):
            pass
    assert "GET /finance/accounting/unpostedexpenses" in str(caught.value)
    assert "'total'" in str(caught.value)
    assert caught.value.transient is False


def test_line_totals_in_the_simulator_are_connectwise_cents(sim: ConnectWiseSim) -> None:
    sim.seed(customers=2, invoices=0, expenses=0, purchases=20)
    for purchase in sim.records.purchases.values():
        assert purchase.lines
        for line in purchase.lines:
            assert line.ext_cost == (line.quantity * line.unit_cost).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )


async def test_adjustments_and_their_details_are_read_and_match_the_document(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=2, invoices=0, expenses=0, purchases=3, adjustments=7)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    reader = ConnectWiseDocumentReader(make_accounting(recorder, page_size=5))

    every = [p async for page in reader.unposted_procurement(None) for p in page]
    assert len(every) == 10 and [p.id for p in every] == sorted(p.id for p in every)
    adjustments = [
        p async for page in reader.unposted_procurement(None, kind="Adjustment") for p in page
    ]
    assert [a.id for a in adjustments] == sorted(sim.records.adjustments)
    for adjustment in adjustments:
        source = sim.records.adjustments[adjustment.id]
        assert adjustment.kind == ProcurementKind.ADJUSTMENT
        assert adjustment.adjustment is not None
        assert adjustment.adjustment.identifier == source.identifier
        assert adjustment.total == source.total
        details = await reader.adjustment_details(adjustment.id)
        assert [(d.quantity, d.unit_cost) for d in details] == [
            (d.quantity, d.unit_cost) for d in source.details
        ]
        assert all(d.warehouse is not None and d.warehouse.name for d in details)
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))


async def test_transfers_are_listed_and_their_items_come_from_the_export(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    sim.seed(customers=2, invoices=3, expenses=0, purchases=4, adjustments=3, transfers=6)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    reader = ConnectWiseDocumentReader(make_accounting(recorder, location_id=1), clock)

    transfers = [
        p async for page in reader.unposted_procurement(None, kind="Transfer") for p in page
    ]
    assert [t.id for t in transfers] == sorted(sim.records.transfers)
    assert all(t.kind == ProcurementKind.TRANSFER and t.unposted_product_id for t in transfers)
    exported = await reader.export_procurement(transfers, batch="XW-EXPORT-T")

    by_transfer: dict[int, list[Decimal]] = {}
    for row in exported.transfers:
        assert row.transfer_id is not None and row.total is not None
        by_transfer.setdefault(row.transfer_id, []).append(row.total)
    for transfer in transfers:
        source = sim.records.transfers[transfer.id]
        assert transfer.total == source.total == sum(by_transfer[transfer.id])
    rows = {r.transfer_id: r for r in exported.transfers}
    source = sim.records.transfers[transfers[0].id]
    first = rows[transfers[0].id]
    assert (first.from_xref, first.to_xref) == (source.from_warehouse, source.to_warehouse)
    assert first.gl_class == source.gl_class
    # only the transfers asked for: no purchase or adjustment parts, no invoices
    assert exported.purchases == () and exported.adjustments == ()
    export = recorder.exchanges[-1]
    assert export.request.url.path.endswith("/finance/accounting/export")
    assert sim.accounting.posted_ids() == set()  # an export posts nothing
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))


async def test_the_export_gives_received_po_lines_and_adjustments_their_gl_class(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    sim.seed(customers=2, invoices=0, expenses=0, purchases=10, adjustments=4)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    reader = ConnectWiseDocumentReader(make_accounting(recorder), clock)
    every = [p async for page in reader.unposted_procurement(None) for p in page]
    exported = await reader.export_procurement(every, batch="XW-EXPORT-P")

    assert {int(a.id) for a in exported.adjustments} == set(sim.records.adjustments)
    for adjustment in exported.adjustments:
        assert adjustment.gl_class == sim.records.adjustments[int(adjustment.id)].gl_class
    received = {
        (p.po_number, ln.line_number): p.gl_class
        for p in sim.records.purchases.values()
        for ln in p.lines
        if ln.received > 0
    }
    seen = {
        (t.document_number, d.line_number): d.gl_class for t in exported.purchases for d in t.detail
    }
    assert seen == received and received
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))
