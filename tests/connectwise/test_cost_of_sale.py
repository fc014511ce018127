"""Cost of sale: an invoice's costed product lines → one balanced journal (Dr COGS, Cr stock)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.connectwise.procurement_world import cost_world, stored
from tests.connectwise.stream_world import INVOICES, World
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.connectwise.data import SimLine, cents
from xerowatch.source.connectwise.models import GLInvoice
from xerowatch.store import document_outbox
from xerowatch.sync.connectwise_cost_of_sale import map_cost_of_sale
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_inventory import MappedJournal, NoJournal
from xerowatch.sync.documents import DocumentSender, FlushSummary
from xerowatch.xero.models_documents import DocumentKind, round_money

from .conftest import MakeAccounting, cw_settings

__all__ = ["cost_world"]
DAY = dt.datetime(2026, 11, 4, 3, 0, tzinfo=dt.UTC)


def cos_settings(**overrides: Any) -> ConnectWiseSettings:
    values: dict[str, Any] = {"cost_of_sale": True, "account_codes": {"5000": "310"}}
    values.update(overrides)
    return cw_settings(**values)


def invoice(lines: list[dict[str, Any]], number: str = "000123") -> GLInvoice:
    return GLInvoice.model_validate(
        {
            "id": "51",
            "documentNumber": number,
            "documentDate": DAY.isoformat(),
            "total": 0,
            "detail": [{"glTypeId": "RP", "total": 0, **line} for line in lines],
        }
    )


def product(
    id: int, cost: str | None, *, cogs: str | None = "5000", stock: str | None = "1400", **more: Any
) -> dict[str, Any]:
    return {
        "id": str(id),
        "item": {"id": id, "identifier": "SSD-1TB"},
        "quantity": -2,
        "cost": cost,
        "costAccountNumber": cogs,
        "inventoryAccountNumber": stock,
        **more,
    }


def test_costed_product_lines_make_one_balanced_journal_on_the_mapped_accounts() -> None:
    gl = invoice([product(1, "222.60"), product(2, "10.00", glClass="Hardware"), {"id": "3"}])
    mapped = map_cost_of_sale(gl, cos_settings())
    assert isinstance(mapped, MappedJournal), mapped
    lines = {(ln.account_code, ln.line_amount) for ln in mapped.draft.journal_lines}
    assert lines == {("310", Decimal("232.60")), ("1400", Decimal("-232.60"))}
    assert mapped.draft.narration == "ConnectWise cost of sale 000123 (51)"
    assert mapped.draft.date == DAY.date() and mapped.connectwise_total == Decimal("232.60")


def test_an_invoice_without_costed_lines_needs_no_journal_and_gaps_are_held() -> None:
    none = map_cost_of_sale(invoice([{"id": "1", "glTypeId": "R"}]), cos_settings())
    assert isinstance(none, NoJournal) and "no costed items" in none.reason
    no_stock = map_cost_of_sale(invoice([product(1, "5.00", stock=None)]), cos_settings())
    assert isinstance(no_stock, HeldRecord) and "inventory account" in no_stock.reason
    no_cogs = map_cost_of_sale(invoice([product(1, "5.00", cogs=None)]), cos_settings())
    assert isinstance(no_cogs, HeldRecord) and "cost_of_sale_account" in no_cogs.reason
    fallback = map_cost_of_sale(
        invoice([product(1, "5.00", cogs=None)]), cos_settings(cost_of_sale_account="311")
    )
    assert isinstance(fallback, MappedJournal)
    assert {ln.account_code for ln in fallback.draft.journal_lines} == {"311", "1400"}
    unit = map_cost_of_sale(invoice([product(1, None, itemCost="3.3335")]), cos_settings())
    assert isinstance(unit, MappedJournal) and unit.connectwise_total == Decimal("6.67")


def test_cost_lines_carry_their_class_s_tracking() -> None:
    s = cos_settings(class_tracking={"Hardware": "Division:Hardware"})
    mapped = map_cost_of_sale(invoice([product(1, "5.00", glClass="Hardware")]), s)
    assert isinstance(mapped, MappedJournal)
    assert all(ln.tracking for ln in mapped.draft.journal_lines)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.99"), places=2),
            st.sampled_from(["5000", "5001"]),
            st.sampled_from(["1400", "1401"]),
            st.sampled_from([None, "Hardware", "Networking"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_cost_of_sale_journals_balance_and_carry_connectwise_s_cost(
    rows: list[tuple[Decimal, str, str, str | None]],
) -> None:
    s = cos_settings(
        class_tracking={"Hardware": "Division:Hardware", "Networking": "Division:Network"}
    )
    gl = invoice(
        [product(i + 1, str(c), cogs=a, stock=b, glClass=g) for i, (c, a, b, g) in enumerate(rows)]
    )
    mapped = map_cost_of_sale(gl, s)
    total = sum((c for c, *_ in rows), Decimal("0"))
    if total == 0:
        assert isinstance(mapped, NoJournal)
        return
    assert isinstance(mapped, MappedJournal), mapped
    amounts = [ln.line_amount for ln in mapped.draft.journal_lines]
    assert sum(amounts) == 0 and all(amounts)
    assert sum(a for a in amounts if a > 0) == total == mapped.connectwise_total


async def test_the_simulator_s_product_lines_carry_their_cost_of_sale(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=3, invoices=12, expenses=0, purchases=0)
    accounting = make_accounting()
    listed = [i async for page in accounting.unposted_invoices(None) for i in page]
    exported = await accounting.export_invoices(listed, batch="XW-EXPORT-COS")
    journals = [map_cost_of_sale(gl, cos_settings()) for gl in exported.transactions]
    assert not [j for j in journals if isinstance(j, HeldRecord)]
    for gl, journal in zip(exported.transactions, journals, strict=True):
        source = sim.records.invoices[int(gl.id)]
        expected = sum(
            (
                round_money(
                    line.quantity * (line.price * Decimal("0.7")).quantize(Decimal("0.0001"))
                )
                for line in source.lines
                if line.kind == "product"
            ),
            Decimal("0"),
        )
        if isinstance(journal, MappedJournal):
            assert journal.connectwise_total == expected
        else:
            assert expected == 0


async def test_invoices_reach_xero_with_their_cost_of_sale_and_are_posted_after_both(
    cost_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = cost_world
    invoices = list(w.cw.records.invoices.values())
    costs = {i.id: _cost(i.lines) for i in invoices}
    costed = [i for i in invoices if costs[i.id]]
    real_settle = document_outbox.settle

    class Crash(BaseException):
        pass

    async def journals_lost(*args: Any, **kwargs: Any) -> None:
        if args[2] == "manual_journal" and any(s.state == "done" for s in args[3]):
            raise Crash  # the journals reached Xero, their answer was lost
        await real_settle(*args, **kwargs)

    real_flush = DocumentSender.flush

    async def journals_wait(self: DocumentSender, tenant: Any, kind: DocumentKind) -> Any:
        if kind is DocumentKind.MANUAL_JOURNAL:
            return FlushSummary()  # Xero takes no journal this cycle (e.g. its quota is spent)
        return await real_flush(self, tenant, kind)

    monkeypatch.setattr(DocumentSender, "flush", journals_wait)
    first = await w.cycle()
    assert first.failures == []
    assert len(w.xero_invoices()) == INVOICES  # every invoice is in Xero ...
    uncosted = {i.id for i in invoices if not costs[i.id]}  # no journal: nothing to wait for
    assert w.cw.accounting.posted_ids() == uncosted  # none posted without its journal
    monkeypatch.undo()
    monkeypatch.setattr(document_outbox, "settle", journals_lost)
    with pytest.raises(Crash):
        await w.cycle()
    monkeypatch.undo()
    assert w.cw.accounting.posted_ids() == uncosted

    summary = await w.cycle()
    assert summary.failures == [], summary.failures
    assert w.cw.accounting.posted_ids() == {i.id for i in invoices}
    journals = {j["Narration"]: j["JournalLines"] for j in stored(w, "ManualJournals")}
    assert len(journals) == len(costed)  # once each, no duplicate after the lost answer
    for invoice in costed:
        lines = journals[f"ConnectWise cost of sale {invoice.number} ({invoice.id})"]
        amounts = {ln["AccountCode"]: Decimal(str(ln["LineAmount"])) for ln in lines}
        assert amounts == {"310": costs[invoice.id], "1400": -costs[invoice.id]}
    # the lost batch is looked up, not sent again; the other journals follow; no invoice resent
    assert summary.calls["PUT /ManualJournals"] == math.ceil(len(costed) / 50) - 1
    assert summary.calls["GET /ManualJournals"] >= 1 and "POST /Invoices" not in summary.calls


def _cost(lines: list[SimLine]) -> Decimal:
    """ConnectWise's cost of sale of an invoice's lines (products at 70 % of their price)."""
    return sum(
        (
            cents(line.quantity * (line.price * Decimal("0.7")).quantize(Decimal("0.0001")))
            for line in lines
            if line.kind == "product"
        ),
        Decimal("0"),
    )
