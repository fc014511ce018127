"""How transactions look on the wire, and what their GET lists support."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from xerowatch.sim.xero.dates import ms_json
from xerowatch.sim.xero.listing import KindSpec
from xerowatch.sim.xero.state import line_amounts, money, money_out, ms_json_date
from xerowatch.sim.xero.where import FieldType

if TYPE_CHECKING:
    from xerowatch.sim.xero.state import Record
    from xerowatch.sim.xero.transactions import Ledger

_CONTACT_FIELDS: dict[str, FieldType] = {
    "Contact.ContactID": "guid",
    "Contact.Name": "string",
    "Contact.ContactNumber": "string",
}
_DOCUMENT_FIELDS: dict[str, FieldType] = {
    "Type": "string",
    "Status": "string",
    "Reference": "string",
    "Date": "date",
    "UpdatedDateUTC": "datetime",
    "Total": "number",
    "SubTotal": "number",
    "CurrencyCode": "string",
    **_CONTACT_FIELDS,
}
_TRANSACTION_PARAMS = frozenset({"IDs", "ContactIDs", "Statuses"})

TRANSACTION_SPECS: dict[str, KindSpec] = {
    "Invoices": KindSpec(
        kind="Invoices",
        where_fields={
            "InvoiceID": "guid",
            "InvoiceNumber": "string",
            "DueDate": "date",
            "AmountDue": "number",
            "AmountPaid": "number",
            "AmountCredited": "number",
            **_DOCUMENT_FIELDS,
        },
        search_fields=("InvoiceNumber", "Reference", "Contact.Name"),
        list_params=_TRANSACTION_PARAMS | {"InvoiceNumbers", "summaryOnly", "searchTerm"},
        summary_omit=frozenset(
            {
                "LineItems",
                "Payments",
                "CreditNotes",
                "Prepayments",
                "Overpayments",
                "InvoiceAddresses",
            }
        ),
        unpaged_omit=frozenset({"LineItems"}),
    ),
    "CreditNotes": KindSpec(
        kind="CreditNotes",
        where_fields={
            "CreditNoteID": "guid",
            "CreditNoteNumber": "string",
            "RemainingCredit": "number",
            **_DOCUMENT_FIELDS,
        },
        list_params=_TRANSACTION_PARAMS,
    ),
    "Overpayments": KindSpec(
        kind="Overpayments",
        where_fields={"OverpaymentID": "guid", "RemainingCredit": "number", **_DOCUMENT_FIELDS},
        list_params=_TRANSACTION_PARAMS | {"References"},
    ),
    "Prepayments": KindSpec(
        kind="Prepayments",
        where_fields={"PrepaymentID": "guid", "RemainingCredit": "number", **_DOCUMENT_FIELDS},
        list_params=_TRANSACTION_PARAMS,
    ),
    "Payments": KindSpec(
        kind="Payments",
        where_fields={
            "PaymentID": "guid",
            "Status": "string",
            "PaymentType": "string",
            "Reference": "string",
            "Date": "date",
            "UpdatedDateUTC": "datetime",
            "Amount": "number",
            "IsReconciled": "bool",
            "Invoice.InvoiceID": "guid",
            "Invoice.InvoiceNumber": "string",
            "Invoice.Contact.ContactID": "guid",
        },
        list_params=_TRANSACTION_PARAMS,
        contact_path="Invoice.Contact.ContactID",
    ),
}


def _dates(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = data.get(key)
        if isinstance(value, date):
            out[key] = ms_json_date(value)
            out[f"{key}String"] = value.isoformat() + "T00:00:00"
    return out


def _lines(record: Record) -> list[dict[str, Any]]:
    mode = record.data.get("LineAmountTypes", "Exclusive")
    lines = []
    for line in record.data.get("LineItems", []):
        amount, tax = line_amounts(line, mode)
        lines.append(
            {
                **line,
                "Quantity": float(line.get("Quantity", 1)),
                "UnitAmount": money_out(money(line["UnitAmount"])),
                "LineAmount": money_out(amount),
                "TaxAmount": money_out(tax),
            }
        )
    return lines


def _document(ledger: Ledger, record: Record) -> dict[str, Any]:
    data = record.data
    sub, tax, total = ledger.totals(record)
    body: dict[str, Any] = {
        key: data[key]
        for key in (
            "Type",
            "Status",
            "LineAmountTypes",
            "Reference",
            "CurrencyCode",
            "InvoiceNumber",
            "CreditNoteNumber",
            "SentToContact",
        )
        if key in data
    }
    body.update(
        {
            "Contact": ledger.contacts.summary(data["ContactID"]),
            **_dates(data, "Date", "DueDate", "FullyPaidOnDate"),
            "LineItems": _lines(record),
            "SubTotal": money_out(sub),
            "TotalTax": money_out(tax),
            "Total": money_out(total),
            "CurrencyRate": 1.0,
            "HasAttachments": False,
            "UpdatedDateUTC": ms_json(record.updated_at),
        }
    )
    return body


def _allocations(ledger: Ledger, record: Record) -> list[dict[str, Any]]:
    invoices = ledger.tenant.of("Invoices")
    result = []
    for allocation in record.data.get("Allocations", []):
        invoice = invoices[allocation["InvoiceID"]]
        result.append(
            {
                "AllocationID": allocation["AllocationID"],
                "Amount": money_out(allocation["Amount"]),
                "Date": ms_json_date(allocation["Date"]),
                "Invoice": {
                    "InvoiceID": invoice.id,
                    "InvoiceNumber": invoice.data["InvoiceNumber"],
                },
            }
        )
    return result


def _invoice(ledger: Ledger, record: Record) -> dict[str, Any]:
    body = _document(ledger, record)
    amounts = ledger.invoice_amounts(record)
    body.update(
        {
            "InvoiceID": record.id,
            "AmountDue": money_out(amounts["Due"]),
            "AmountPaid": money_out(amounts["Paid"]),
            "AmountCredited": money_out(amounts["Credited"]),
            "IsDiscounted": False,
            "HasErrors": False,
            "Payments": [
                {
                    "PaymentID": p.id,
                    "Date": ms_json_date(p.data["Date"]),
                    "Amount": money_out(p.data["Amount"]),
                    "Reference": p.data.get("Reference", ""),
                    "CurrencyRate": 1.0,
                    "HasAccount": False,
                    "HasValidationErrors": False,
                }
                for p in ledger.active_payments(record.id)
            ],
            "CreditNotes": [],
            "Overpayments": [],
            "Prepayments": [],
        }
    )
    for kind, source, allocation in ledger.allocations_to(record.id):
        applied = {
            ("CreditNoteID" if kind == "CreditNotes" else kind[:-1] + "ID"): source.id,
            "AppliedAmount": money_out(allocation["Amount"]),
            "Date": ms_json_date(allocation["Date"]),
            "Total": money_out(ledger.totals(source)[2]),
        }
        if kind == "CreditNotes":
            applied["CreditNoteNumber"] = source.data["CreditNoteNumber"]
        body[kind].append(applied)
    return body


def _source(ledger: Ledger, kind: str, record: Record) -> dict[str, Any]:
    body = _document(ledger, record)
    body.update(
        {
            {
                "CreditNotes": "CreditNoteID",
                "Overpayments": "OverpaymentID",
                "Prepayments": "PrepaymentID",
            }[kind]: record.id,
            "RemainingCredit": money_out(ledger.remaining_credit(record)),
            "Allocations": _allocations(ledger, record),
            "Payments": [],
        }
    )
    if kind == "CreditNotes":
        body["HasErrors"] = False
    return body


def _payment(ledger: Ledger, record: Record) -> dict[str, Any]:
    data = record.data
    invoice = ledger.tenant.of("Invoices")[data["InvoiceID"]]
    return {
        "PaymentID": record.id,
        **_dates(data, "Date"),
        "Amount": money_out(data["Amount"]),
        "BankAmount": money_out(data["Amount"]),
        "CurrencyRate": 1.0,
        "Reference": data.get("Reference", ""),
        "IsReconciled": bool(data.get("IsReconciled")),
        "Status": data["Status"],
        "PaymentType": data["PaymentType"],
        "UpdatedDateUTC": ms_json(record.updated_at),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": dict(data["Account"]),
        "Invoice": {
            "Type": invoice.data["Type"],
            "InvoiceID": invoice.id,
            "InvoiceNumber": invoice.data["InvoiceNumber"],
            "Contact": ledger.contacts.summary(invoice.data["ContactID"]),
        },
    }


def render_transaction(ledger: Ledger, kind: str, record: Record) -> dict[str, Any]:
    """Render one stored transaction of any kind."""
    if kind == "Invoices":
        return _invoice(ledger, record)
    if kind == "Payments":
        return _payment(ledger, record)
    return _source(ledger, kind, record)
