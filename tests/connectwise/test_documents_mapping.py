"""Expenses → bills, purchase orders → Xero POs and packing-slip bills: totals to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models import Reference
from xerowatch.source.connectwise.models_documents import (
    GLPurchaseTransaction,
    PurchaseOrderLine,
    UnpostedExpense,
    UnpostedProcurement,
)
from xerowatch.sync.connectwise_documents import (
    HeldRecord,
    MappedBill,
    MappedCredit,
    MappedPurchaseOrder,
    map_expenses,
    xero_total,
)
from xerowatch.sync.connectwise_purchases import (
    classes_of,
    map_packing_slip_bills,
    map_purchase,
    map_purchase_order,
)
from xerowatch.xero.models_documents import (
    CreditNoteDraft,
    CreditNoteKind,
    InvoiceKind,
)
from xerowatch.xero.models_transactions import LineAmountTypes

from .conftest import cw_settings

CENT = Decimal("0.01")
DAY = dt.datetime(2026, 11, 4, 3, 0, tzinfo=dt.UTC)  # a Wednesday


def mapping_settings(**overrides: Any) -> ConnectWiseSettings:
    values: dict[str, Any] = {
        "expense_account_codes": {"Reimbursable": "493", "NonReimbursable": "494"},
        "purchase_account_code": "300",
    }
    values.update(overrides)
    return cw_settings(**values)


def expense(
    id: int,
    total: str | Decimal,
    *,
    member: str = "jsmith",
    classification: str = "Reimbursable",
    when: dt.datetime = DAY,
) -> UnpostedExpense:
    return UnpostedExpense.model_validate(
        {
            "id": id,
            "member": {"id": 1, "identifier": member},
            "company": {"id": 9, "name": "Acme Pty Ltd"},
            "dateExpense": when.isoformat(),
            "classification": classification,
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": str(total),
        }
    )


def po_line(
    id: int,
    qty: str,
    unit: str,
    *,
    received: str = "0",
    slip: str | None = None,
    n: int = 1,
    warehouse: str | None = None,
) -> PurchaseOrderLine:
    ext = (Decimal(qty) * Decimal(unit)).quantize(CENT, rounding=ROUND_HALF_UP)
    return PurchaseOrderLine.model_validate(
        {
            "id": id,
            "lineNumber": n,
            "product": {"id": id, "identifier": "CAT6-3M"},
            "description": "Cat6 patch lead 3m",
            "quantity": qty,
            "unitOfMeasure": {"id": 1, "name": "ea"},
            "unitCost": unit,
            "extCost": str(ext),
            "receivedQuantity": received,
            "packingSlip": slip,
            "warehouse": {"id": 1, "name": warehouse} if warehouse else None,
        }
    )


def procurement(id: int, total: Decimal, kind: str = "Purchase") -> UnpostedProcurement:
    return UnpostedProcurement.model_validate(
        {
            "id": id,
            "procurementType": kind,
            "purchaseOrder": {"id": id, "identifier": f"PO{id:05d}"},
            "purchaseDate": DAY.isoformat(),
            "vendor": {"id": 77, "name": "Ironbark Supplies"},
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": str(total),
        }
    )


def test_one_bill_per_expense_to_the_member_tax_inclusive() -> None:
    [bill] = map_expenses([expense(41, "123.45")], mapping_settings())
    assert isinstance(bill, MappedBill)
    draft = bill.draft
    assert draft.type is InvoiceKind.ACCPAY and draft.invoice_number == "EXP-41"
    assert draft.contact.contact_number == "CWM-jsmith"
    assert draft.reference == "ConnectWise expense 41" and draft.date == DAY.date()
    assert draft.due_date == DAY.date() + dt.timedelta(days=30)
    assert draft.line_amount_types is LineAmountTypes.INCLUSIVE
    [line] = draft.line_items
    assert (line.account_code, line.tax_type, line.unit_amount) == (
        "493",
        "INPUT",
        Decimal("123.45"),
    )
    assert draft.currency_code == "AUD" and bill.connectwise_total == xero_total([line])


def test_personal_unknown_class_bad_amounts_and_no_member_are_held_with_the_fix() -> None:
    records = [
        expense(1, "10.00", classification="Personal"),
        expense(2, "10.00", classification="Mileage"),
        expense(3, "10.005"),
        expense(4, "-5.00"),
        UnpostedExpense.model_validate({"id": 5, "total": "1", "classification": "Reimbursable"}),
    ]
    held = map_expenses(records, mapping_settings())
    assert all(isinstance(h, HeldRecord) for h in held)
    reasons = [h.reason for h in held if isinstance(h, HeldRecord)]
    assert "Personal" in reasons[0] and reasons[0].endswith("expense_account_codes.Personal")
    assert "expense_account_codes.Mileage" in reasons[1]
    assert "more than 2 decimals" in reasons[2]
    assert "not positive" in reasons[3]
    assert "no date" in reasons[4]
    assert all("\n" not in r for r in reasons)


def test_weekly_grouping_makes_one_bill_per_member_and_iso_week() -> None:
    next_week = DAY + dt.timedelta(days=7)
    records = [
        expense(10, "1.10"),
        expense(11, "2.20", when=DAY + dt.timedelta(days=4)),  # Sunday: same ISO week
        expense(12, "3.30", member="apatel"),
        expense(13, "4.40", when=next_week),
    ]
    bills = map_expenses(records, mapping_settings(expense_grouping="weekly"))
    assert all(isinstance(b, MappedBill) for b in bills)
    by_number = {b.draft.invoice_number: b for b in bills if isinstance(b, MappedBill)}
    assert set(by_number) == {
        "EXP-jsmith-2026W45-10",
        "EXP-apatel-2026W45-12",
        "EXP-jsmith-2026W46-13",
    }
    first = by_number["EXP-jsmith-2026W45-10"]
    assert first.source_ids == (10, 11) and first.connectwise_total == Decimal("3.30")
    assert first.draft.reference == "Expenses for 2026-11-02 - 2026-11-08"
    assert first.draft.date == (DAY + dt.timedelta(days=4)).date()


def test_a_purchase_order_keeps_codes_units_quantities_and_unit_prices() -> None:
    lines = [po_line(2, "3", "5.1331", n=2), po_line(1, "12", "1049.30", n=1)]
    total = sum((ln.ext_cost or Decimal(0) for ln in lines), Decimal("0.00"))
    mapped = map_purchase_order(procurement(300, total), lines, mapping_settings())
    assert isinstance(mapped, MappedPurchaseOrder)
    draft = mapped.draft
    assert draft.purchase_order_number == "PO00300" and draft.contact.contact_number == "77"
    first, second = draft.line_items
    assert (first.item_code, first.quantity, first.unit_amount) == (
        "CAT6-3M",
        Decimal(12),
        Decimal("1049.30"),
    )
    assert first.description == "Cat6 patch lead 3m (per ea)" and first.account_code == "300"
    # Xero's purchase orders take unit amounts of 2 places (no unitdp): no 2-place price times
    # 3 is 15.40, so the line goes as 1 at ConnectWise's amount, the quantity in its text
    assert (second.quantity, second.unit_amount, second.line_amount) == (
        Decimal(1),
        Decimal("15.40"),
        Decimal("15.40"),
    )
    assert second.description is not None and "(3 x 5.1331)" in second.description
    assert xero_total(draft.line_items) == total == mapped.connectwise_total


def test_purchase_orders_that_cannot_be_exact_are_held() -> None:
    lines = [po_line(1, "2", "10.00")]
    s = mapping_settings()
    wrong = map_purchase_order(procurement(5, Decimal("25.00")), lines, s)
    assert isinstance(wrong, HeldRecord) and "add up to 20.00" in wrong.reason
    assert "25.00" in wrong.reason
    adjust = map_purchase_order(procurement(6, Decimal("20.00"), "Adjustment"), lines, s)
    assert isinstance(adjust, HeldRecord) and "not mapped yet" in adjust.reason
    unset = map_purchase_order(procurement(7, Decimal("20.00")), lines, cw_settings())
    assert isinstance(unset, HeldRecord) and "purchase_account_code" in unset.reason
    empty = map_purchase_order(procurement(8, Decimal("0.00")), [], s)
    assert isinstance(empty, HeldRecord) and "no line items" in empty.reason


def test_one_bill_per_packing_slip_from_the_received_lines() -> None:
    lines = [
        po_line(1, "4", "7.333", received="4", slip="PS1"),
        po_line(2, "6", "10.00", received="3", slip="PS2", n=2),
        po_line(3, "1", "99.00", n=3),  # not received yet: on no bill
    ]
    total = sum((ln.ext_cost or Decimal(0) for ln in lines), Decimal("0.00"))
    bills = map_packing_slip_bills(procurement(9, total), lines, mapping_settings())
    assert all(isinstance(b, MappedBill) for b in bills)
    by_number = {b.draft.invoice_number: b for b in bills if isinstance(b, MappedBill)}
    assert set(by_number) == {"PO00009/PS1", "PO00009/PS2"}
    assert by_number["PO00009/PS1"].connectwise_total == Decimal("29.33")
    assert by_number["PO00009/PS2"].connectwise_total == Decimal("30.00")
    assert by_number["PO00009/PS2"].draft.line_items[0].quantity == 3


def test_purchases_go_to_their_warehouse_s_inventory_account_where_enabled() -> None:
    lines = [
        po_line(1, "4", "7.333", received="4", slip="PS1", warehouse="Sydney"),
        po_line(2, "2", "10.00", received="2", slip="PS1", n=2, warehouse="Melbourne"),
        po_line(3, "1", "99.00", n=3),  # no warehouse: the purchase account
    ]
    total = sum((ln.ext_cost or Decimal(0) for ln in lines), Decimal("0.00"))
    record = procurement(11, total)
    stock = {"Sydney": "630", "Melbourne": "631"}
    plain = map_purchase_order(record, lines, mapping_settings(warehouse_inventory_accounts=stock))
    assert isinstance(plain, MappedPurchaseOrder)
    assert {ln.account_code for ln in plain.draft.line_items} == {"300"}
    enabled = mapping_settings(warehouse_inventory_accounts=stock, purchase_to_inventory=True)
    order = map_purchase_order(record, lines, enabled)
    assert isinstance(order, MappedPurchaseOrder)
    assert [ln.account_code for ln in order.draft.line_items] == ["630", "631", "300"]
    [bill] = map_packing_slip_bills(record, lines, enabled)
    assert isinstance(bill, MappedBill)
    assert [ln.account_code for ln in bill.draft.line_items] == ["630", "631"]
    perth = [*lines[:2], po_line(4, "1", "5.00", n=4, warehouse="Perth")]
    total = sum((ln.ext_cost or Decimal(0) for ln in perth), Decimal("0.00"))
    held = map_purchase_order(procurement(12, total), perth, enabled)
    assert isinstance(held, HeldRecord)
    assert "warehouse_inventory_accounts.Perth" in held.reason


def test_a_personal_expense_is_a_supplier_credit_note_to_its_member_on_the_personal_account() -> (
    None
):
    codes = {"Reimbursable": "493", "Personal": "815"}
    [note] = map_expenses(
        [expense(41, "123.45", classification="Personal")],
        mapping_settings(expense_account_codes=codes),
    )
    assert isinstance(note, MappedCredit)
    draft = note.draft
    assert (draft.type, draft.credit_note_number) == (CreditNoteKind.ACCPAYCREDIT, "EXP-41")
    assert draft.contact.contact_number == "CWM-jsmith" and draft.date == DAY.date()
    assert draft.reference is None  # the spec keeps Reference for ACCRECCREDIT only
    assert draft.line_amount_types is LineAmountTypes.INCLUSIVE
    [line] = draft.line_items
    assert (line.account_code, line.tax_type, line.unit_amount) == (
        "815",
        "INPUT",
        Decimal("123.45"),
    )
    assert line.description is not None and "Expense 41" in line.description
    assert note.source_ids == (41,) and note.connectwise_total == Decimal("123.45")
    body = draft.to_xero_write()
    assert body["Type"] == "ACCPAYCREDIT" and "Reference" not in body and "DueDate" not in body


def test_weekly_personal_expenses_of_a_member_go_on_their_own_credit_note() -> None:
    codes = {"Reimbursable": "493", "Personal": "815"}
    records = [
        expense(1, "10.00"),
        expense(2, "20.00", classification="Personal"),
        expense(3, "30.00", classification="Personal", when=DAY + dt.timedelta(days=1)),
        expense(4, "40.00"),
    ]
    out = map_expenses(
        records, mapping_settings(expense_account_codes=codes, expense_grouping="weekly")
    )
    [note] = [o for o in out if isinstance(o, MappedCredit)]
    assert note.draft.credit_note_number == "EXPCR-jsmith-2026W45-2"
    assert note.source_ids == (2, 3) and note.connectwise_total == Decimal("50.00")
    [bill] = [o for o in out if isinstance(o, MappedBill)]
    assert bill.draft.invoice_number == "EXP-jsmith-2026W45-1" and bill.source_ids == (1, 4)
    assert len(out) == 2


def test_an_expense_line_names_its_type_client_ticket_agreement_and_notes() -> None:
    detailed = expense(77, "42.50").model_copy(
        update={
            "expense_type": Reference(id=1, name="Mileage"),
            "ticket": Reference(id=5012, name="Printer offline"),
            "agreement": Reference(id=7, name="Managed Services"),
            "charge_description": "  42 km   return ",
        }
    )
    [bill] = map_expenses([detailed], mapping_settings())
    assert isinstance(bill, MappedBill)
    assert bill.draft.line_items[0].description == (
        "Expense 77 2026-11-04 Mileage · Acme Pty Ltd · ticket #5012 Printer offline · "
        "agreement Managed Services · 42 km return"
    )
    [plain] = map_expenses([expense(78, "5.00")], mapping_settings())
    assert isinstance(plain, MappedBill)
    assert plain.draft.line_items[0].description == "Expense 78 2026-11-04 · Acme Pty Ltd"


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
members = st.sampled_from(["jsmith", "apatel", "mnguyen"])
classes = st.sampled_from(["Reimbursable", "NonReimbursable", "Personal"])
days = st.integers(min_value=0, max_value=60)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(money, members, classes, days), min_size=1, max_size=40),
    grouping=st.sampled_from(["none", "weekly"]),
    personal_account=st.booleans(),
)
def test_bills_and_credit_notes_equal_connectwise_to_the_cent_and_grouping_conserves_amounts(
    rows: list[tuple[Decimal, str, str, int]], grouping: str, personal_account: bool
) -> None:
    records = [
        expense(i + 1, total, member=m, classification=c, when=DAY + dt.timedelta(days=d))
        for i, (total, m, c, d) in enumerate(rows)
    ]
    codes = {"Reimbursable": "493", "NonReimbursable": "494"}
    if personal_account:
        codes["Personal"] = "815"
    out = map_expenses(
        records, mapping_settings(expense_grouping=grouping, expense_account_codes=codes)
    )
    mapped = [b for b in out if isinstance(b, MappedBill | MappedCredit)]
    held = {h.key for h in out if isinstance(h, HeldRecord)}
    for doc in mapped:
        assert xero_total(doc.draft.line_items) == doc.connectwise_total
        members_in = {records[i - 1].member.identifier for i in doc.source_ids}  # type: ignore[union-attr]
        assert len(members_in) == 1
        personal = {records[i - 1].classification == "Personal" for i in doc.source_ids}
        assert personal == {isinstance(doc.draft, CreditNoteDraft)}  # never mixed
        if isinstance(doc.draft, CreditNoteDraft):
            assert doc.draft.type is CreditNoteKind.ACCPAYCREDIT
            prefix = "EXP-" if grouping == "none" else "EXPCR-"
            assert doc.draft.credit_note_number.startswith(prefix)
    covered = [i for b in mapped for i in b.source_ids]
    assert len(covered) == len(set(covered))
    is_personal = {r.id: r.classification == "Personal" for r in records}
    want_held = set() if personal_account else {i for i, p in is_personal.items() if p}
    assert held == {f"expense {i}" for i in want_held}
    assert set(covered) | want_held == set(is_personal)
    for credit in (False, True):
        kind = MappedCredit if credit else MappedBill
        got = sum((b.connectwise_total for b in mapped if isinstance(b, kind)), Decimal(0))
        expected = sum(
            (r.total or 0 for r in records if is_personal[r.id] == credit and r.id in covered),
            Decimal(0),
        )
        assert got == expected
    if grouping == "none":
        assert len(mapped) == len(covered)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=500),
            st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_purchase_orders_equal_connectwise_to_the_cent(rows: list[tuple[int, Decimal]]) -> None:
    lines = [po_line(i + 1, str(q), str(u), n=i + 1) for i, (q, u) in enumerate(rows)]
    total = sum((ln.ext_cost or Decimal(0) for ln in lines), Decimal("0.00"))
    mapped = map_purchase_order(procurement(1, total), lines, mapping_settings())
    assert isinstance(mapped, MappedPurchaseOrder), mapped
    assert xero_total(mapped.draft.line_items) == total
    for line, source in zip(mapped.draft.line_items, lines, strict=True):
        assert line.line_amount == source.ext_cost
        # /PurchaseOrders takes no unitdp: a unit amount of more than 2 places is refused
        assert line.unit_amount is not None and line.unit_amount == round(line.unit_amount, 2)


def test_packing_slip_bills_come_with_the_order_only_when_configured() -> None:
    lines = [po_line(1, "2", "10.00", received="2", slip="PS1")]
    record = procurement(12, Decimal("20.00"))
    [order] = map_purchase(record, lines, mapping_settings())
    assert isinstance(order, MappedPurchaseOrder)
    both = map_purchase(record, lines, mapping_settings(purchase_bills_per_packing_slip=True))
    assert [type(m) for m in both] == [MappedPurchaseOrder, MappedBill]
    unset = map_purchase(record, lines, cw_settings(purchase_bills_per_packing_slip=True))
    assert [type(m) for m in unset] == [HeldRecord]  # a held order makes no bills either


def purchase_transaction(
    po: str, slip: str, rows: list[tuple[int, str]], header: str | None
) -> GLPurchaseTransaction:
    return GLPurchaseTransaction.model_validate(
        {
            "id": f"PO #{po}, Packing Slip: {slip}",
            "documentNumber": po,
            "packingSlip": slip,
            "purchaseClass": header,
            "purchaseDetail": [{"id": str(n), "lineNumber": n, "glClass": c} for n, c in rows],
        }
    )


def test_po_and_packing_slip_lines_carry_the_tracking_of_their_gl_class() -> None:
    lines = [
        po_line(1, "4", "7.333", received="4", slip="PS1"),
        po_line(2, "6", "10.00", received="3", slip="PS2", n=2),
        po_line(3, "1", "99.00", n=3),  # not received: the PO's class (purchaseClass)
    ]
    total = sum((ln.ext_cost or Decimal(0) for ln in lines), Decimal("0.00"))
    exported = [
        purchase_transaction("PO00009", "PS1", [(1, "Hardware")], "Hardware"),
        purchase_transaction("PO00009", "PS2", [(2, "Networking")], "Hardware"),
        purchase_transaction("PO00010", "PS1", [(1, "Networking")], "Networking"),
    ]
    classes = classes_of("PO00009", exported)
    s = mapping_settings(
        class_tracking={"Hardware": "Division:Hardware", "Networking": "Division:Network"},
        purchase_bills_per_packing_slip=True,
    )
    mapped = map_purchase(procurement(9, total), lines, s, classes)
    order = mapped[0]
    assert isinstance(order, MappedPurchaseOrder), order
    options = [[t.option for t in ln.tracking or []] for ln in order.draft.line_items]
    assert options == [["Hardware"], ["Network"], ["Hardware"]]
    bills = {b.draft.invoice_number: b for b in mapped[1:] if isinstance(b, MappedBill)}
    assert [t.option for t in bills["PO00009/PS2"].draft.line_items[0].tracking or []] == [
        "Network"
    ]
    # an unknown class is never a hold, even when tracking is required; a listed-out one is
    strict = mapping_settings(class_tracking={"Hardware": "Division:Hardware"})
    strict = strict.model_copy(update={"class_tracking_required": True})
    unknown = map_purchase_order(procurement(9, total), lines, strict, classes_of("PO1", []))
    assert isinstance(unknown, MappedPurchaseOrder)
    held = map_purchase_order(procurement(9, total), lines, strict, classes)
    assert isinstance(held, HeldRecord) and "'Networking'" in held.reason
