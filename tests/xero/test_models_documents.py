"""The document drafts refuse what Xero would refuse, and state amounts to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.xero.document_fixtures import credit_note
from xerowatch.xero.models_documents import (
    DocumentKind,
    DocumentLine,
    InvoiceDraft,
    ManualJournalDraft,
    PurchaseOrderDraft,
    draft_key,
    identity_key,
    kind_of,
    line_amount_of,
    round_money,
)


def _invoice(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactNumber": "CW-1"},
        "InvoiceNumber": "INV-1",
        "Date": "2026-11-02",
        "DueDate": "2026-12-02",
        "LineItems": [{"Description": "Widget", "Quantity": "3", "UnitAmount": "1.335"}],
    }
    body.update(overrides)
    return body


def test_an_invoice_serialises_to_xero_json_with_numbers_and_iso_dates() -> None:
    draft = InvoiceDraft.model_validate(_invoice())
    body = draft.to_xero_write()
    assert body["Date"] == "2026-11-02"
    assert body["Status"] == "AUTHORISED"
    assert body["LineAmountTypes"] == "Exclusive"
    assert body["LineItems"] == [{"Description": "Widget", "Quantity": 3, "UnitAmount": 1.335}]
    assert body["Contact"] == {"ContactNumber": "CW-1"}
    assert draft.lines_total() == Decimal("4.01")  # 4.005 rounds half away from zero


def test_rounding_is_half_away_from_zero() -> None:
    assert round_money(Decimal("2.005")) == Decimal("2.01")
    assert round_money(Decimal("-2.005")) == Decimal("-2.01")
    assert line_amount_of(Decimal("3"), Decimal("0.3333")) == Decimal("1.00")


@given(
    quantity=st.decimals(min_value=-1000, max_value=1000, places=4),
    unit=st.decimals(min_value=-10000, max_value=10000, places=4),
)
def test_a_line_with_the_rounded_product_is_accepted_and_amounts_have_two_places(
    quantity: Decimal, unit: Decimal
) -> None:
    amount = line_amount_of(quantity, unit)
    line = DocumentLine(description="x", quantity=quantity, unit_amount=unit, line_amount=amount)
    assert line.amount() == amount
    assert amount == amount.quantize(Decimal("0.01"))
    assert abs(amount - quantity * unit) <= Decimal("0.005")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({"Description": "x", "Quantity": 2, "UnitAmount": 1, "LineAmount": 3}, "rounded"),
        ({"Description": "x", "Quantity": 2}, "Quantity and UnitAmount, or a LineAmount"),
        ({"Quantity": 1, "UnitAmount": 1}, "Description or an ItemCode"),
        ({"Description": "x", "LineAmount": "1.001"}, "more than 2 decimal places"),
        ({"Description": "x", "Quantity": "1.00001", "UnitAmount": 1}, "4 decimal places"),
        (
            {
                "Description": "x",
                "LineAmount": 1,
                "Tracking": [{"Name": "Region", "Option": "N"}, {"Name": "region", "Option": "S"}],
            },
            "same tracking category twice",
        ),
    ],
)
def test_bad_lines_are_refused_with_the_reason(line: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        InvoiceDraft.model_validate(_invoice(LineItems=[line]))


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"Type": "ACCRECCREDIT"}, "Type"),
        ({"Contact": {}}, "exactly one of ContactID or ContactNumber"),
        (
            {
                "Contact": {
                    "ContactNumber": "A",
                    "ContactID": "8c9f1b2a-0000-4000-8000-000000000001",
                }
            },
            "exactly one",
        ),
        ({"DueDate": "2026-11-01"}, "before Date"),
        ({"DueDate": None}, "needs a DueDate"),
        ({"LineItems": []}, "at least 1"),
        ({"CurrencyCode": "nzd"}, "CurrencyCode"),
        ({"InvoiceNumber": ""}, "InvoiceNumber"),
    ],
)
def test_bad_invoices_are_refused(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        InvoiceDraft.model_validate(_invoice(**overrides))


def test_a_draft_invoice_may_omit_the_due_date() -> None:
    draft = InvoiceDraft.model_validate(_invoice(DueDate=None, Status="DRAFT"))
    assert "DueDate" not in draft.to_xero_write()


def test_purchase_orders_cannot_be_created_billed_and_carry_their_number_as_key() -> None:
    body = {
        "Contact": {"ContactNumber": "V-1"},
        "PurchaseOrderNumber": "PO-7",
        "Date": date(2026, 11, 3),
        "LineItems": [{"ItemCode": "CAB-1", "Quantity": 2, "UnitAmount": "9.99"}],
    }
    draft = PurchaseOrderDraft.model_validate(body)
    assert draft_key(draft) == "PO-7"
    assert kind_of(draft) is DocumentKind.PURCHASE_ORDER
    assert draft.lines_total() == Decimal("19.98")
    with pytest.raises(ValidationError, match="cannot be created as BILLED"):
        PurchaseOrderDraft.model_validate({**body, "Status": "BILLED"})


def _journal(lines: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return {"Narration": "CW inventory adj 77", "Date": "2026-11-30", "JournalLines": lines}


def test_a_balanced_journal_is_accepted_and_keyed_by_narration() -> None:
    draft = ManualJournalDraft.model_validate(
        _journal(
            [
                {
                    "LineAmount": "10.50",
                    "AccountCode": "630",
                    "Tracking": [{"Name": "Warehouse", "Option": "Main"}],
                },
                {"LineAmount": "-10.50", "AccountCode": "310"},
            ]
        )
    )
    assert draft_key(draft) == "CW inventory adj 77"
    assert kind_of(draft) is DocumentKind.MANUAL_JOURNAL
    body = draft.to_xero_write()
    assert body["Status"] == "POSTED"
    assert body["JournalLines"][0] == {
        "LineAmount": 10.5,
        "AccountCode": "630",
        "Tracking": [{"Name": "Warehouse", "Option": "Main"}],
    }


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ([{"LineAmount": 10, "AccountCode": "630"}], "at least 2"),
        (
            [{"LineAmount": 10, "AccountCode": "630"}, {"LineAmount": -9.99, "AccountCode": "3"}],
            "sum to zero",
        ),
        ([{"LineAmount": 0, "AccountCode": "630"}, {"LineAmount": 0, "AccountCode": "3"}], "zero"),
    ],
)
def test_unbalanced_journals_are_refused(lines: list[dict[str, Any]], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ManualJournalDraft.model_validate(_journal(lines))


def test_a_supplier_credit_note_has_no_reference_and_its_key_is_supplier_and_number() -> None:
    note = credit_note("EXP-41")
    assert (kind_of(note), identity_key(note)) == (
        DocumentKind.CREDIT_NOTE,
        "accpaycredit:#cwm-jsmith:exp-41",
    )
    customer = credit_note("CN-1", Type="ACCRECCREDIT", Reference="RMA 7")
    assert identity_key(customer) == "accreccredit:cn-1"
    with pytest.raises(ValueError, match="Reference is for ACCRECCREDIT only"):
        credit_note("EXP-41", Reference="ConnectWise expense 41")
