"""Drafts and fake Xero answers shared by the document writer, reader and contract tests."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tests.xero.client_rig import stable_id
from xerowatch.xero.models_documents import (
    CreditNoteDraft,
    InvoiceDraft,
    ManualJournalDraft,
    PurchaseOrderDraft,
)


def invoice(
    number: str, *, kind: str = "ACCREC", unit: str = "10.005", **extra: Any
) -> InvoiceDraft:
    """A one-line AUTHORISED NoTax invoice for contact CW-1."""
    body: dict[str, Any] = {
        "Type": kind,
        "Contact": {"ContactNumber": "CW-1"},
        "InvoiceNumber": number,
        "Reference": "PO 77",
        "Date": "2026-11-02",
        "DueDate": "2026-12-02",
        "LineAmountTypes": "NoTax",
        "CurrencyCode": "AUD",
        "LineItems": [
            {
                "ItemCode": "CAB-1",
                "Description": "Cable",
                "Quantity": "2",
                "UnitAmount": unit,
                "AccountCode": "200",
                "TaxType": "NONE",
                "Tracking": [{"Name": "Region", "Option": "North"}],
            }
        ],
    }
    body.update(extra)
    return InvoiceDraft.model_validate(body)


def credit_note(number: str, *, contact: str = "CWM-jsmith", **extra: Any) -> CreditNoteDraft:
    """A one-line AUTHORISED tax-inclusive supplier credit note (ACCPAYCREDIT)."""
    body: dict[str, Any] = {
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactNumber": contact},
        "CreditNoteNumber": number,
        "Date": "2026-11-04",
        "LineAmountTypes": "Inclusive",
        "CurrencyCode": "AUD",
        "LineItems": [
            {
                "Description": "Expense 41 personal charge",
                "Quantity": "1",
                "UnitAmount": "123.45",
                "AccountCode": "815",
                "TaxType": "INPUT",
            }
        ],
    }
    body.update(extra)
    return CreditNoteDraft.model_validate(body)


def purchase_order(number: str, **extra: Any) -> PurchaseOrderDraft:
    """A one-line purchase order for vendor V-1."""
    body: dict[str, Any] = {
        "Contact": {"ContactNumber": "V-1"},
        "PurchaseOrderNumber": number,
        "Date": "2026-11-03",
        "DeliveryDate": "2026-11-10",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Switch", "Quantity": 3, "UnitAmount": "99.95", "AccountCode": "300"}
        ],
    }
    body.update(extra)
    return PurchaseOrderDraft.model_validate(body)


def journal(narration: str, amount: str = "125.40") -> ManualJournalDraft:
    """A balanced two-line journal."""
    return ManualJournalDraft.model_validate(
        {
            "Narration": narration,
            "Date": "2026-11-30",
            "JournalLines": [
                {
                    "LineAmount": amount,
                    "AccountCode": "630",
                    "Description": "Cost of sale",
                    "Tracking": [{"Name": "Region", "Option": "North"}],
                },
                {"LineAmount": f"-{amount}", "AccountCode": "140"},
            ],
        }
    )


ID_FIELDS = {
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "PurchaseOrders": "PurchaseOrderID",
    "ManualJournals": "ManualJournalID",
}
KEY_FIELDS = {
    "Invoices": "InvoiceNumber",
    "CreditNotes": "CreditNoteNumber",
    "PurchaseOrders": "PurchaseOrderNumber",
    "ManualJournals": "Narration",
}


def saved(collection: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What Xero answers for an element it saved (totals from the lines, NoTax/Exclusive)."""
    answer = dict(element)
    answer[ID_FIELDS[collection]] = str(
        stable_id(f"{collection}-{element[KEY_FIELDS[collection]]}")
    )
    answer["StatusAttributeString"] = "OK"
    if collection != "ManualJournals":
        total = sum(_line_amount(line) for line in element["LineItems"])
        answer.update({"SubTotal": float(total), "TotalTax": 0.0, "Total": float(total)})
    answer.update(extra)
    return answer


def _line_amount(line: dict[str, Any]) -> Decimal:
    if "Quantity" in line and "UnitAmount" in line:
        product = Decimal(str(line["Quantity"])) * Decimal(str(line["UnitAmount"]))
        return product.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal(str(line["LineAmount"]))


def echo(collection: str) -> Any:
    """A respx side effect: a Xero that saves every element, answering in input order."""

    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)[collection]
        return httpx.Response(200, json={collection: [saved(collection, e) for e in sent]})

    return respond


def rejected(collection: str, element: dict[str, Any], message: str) -> dict[str, Any]:
    """What Xero answers (summarizeErrors=false) for an element it refused."""
    return {
        **element,
        ID_FIELDS[collection]: "00000000-0000-0000-0000-000000000000",
        "HasErrors": True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": message}],
    }
