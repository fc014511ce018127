"""Xero transaction → Wisenet Invoice: every kind and status, signs, types, formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from xerowatch.records import SourceLineItem, SourcePayment, SourceTransaction, TransactionKind
from xerowatch.source.wisenet.writeback import (
    CREDIT_KINDS,
    STATUSES_BY_KIND,
    WriteBackError,
    to_wisenet_invoice,
)
from xerowatch.sync.mapping import to_source_transaction
from xerowatch.xero.models import CreditNote, Payment


def tx(
    kind: TransactionKind = "invoice", status: str = "AUTHORISED", **overrides: Any
) -> SourceTransaction:
    values: dict[str, Any] = {
        "xero_id": "243216c5-369e-4056-ac67-05388f86dc81",
        "kind": kind,
        "learner_source_id": "1042",
        "ref_internal": "DAU0001042",
        "number": "INV-0042",
        "reference": "Cert IV intake 3",
        "status": status,
        "date": date(2026, 11, 2),
        "due_date": date(2026, 11, 30),
        "currency": "AUD",
        "line_items": [
            SourceLineItem(
                item_code="CERT4",
                description="Cert IV in Training",
                quantity=Decimal("2"),
                unit_amount=Decimal("500.00"),
                account_code="200",
                tax_type="OUTPUT",
                tax_amount=Decimal("100.00"),
                line_amount=Decimal("1000.00"),
            )
        ],
        "total": Decimal("1100.00"),
        "amount_due": Decimal("600.00"),
        "amount_paid": Decimal("500.00"),
        "amount_credited": Decimal("0"),
        "payments": [
            SourcePayment(type="ACCRECPAYMENT", date=date(2026, 11, 5), amount=Decimal("500.00"))
        ],
        "updated_utc": datetime(2026, 11, 5, 3, 4, 5, tzinfo=UTC),
        "online_invoice_url": "https://in.xero.com/abc",
    }
    values.update(overrides)
    return SourceTransaction(**values)


ALL_CASES = [
    (kind, status) for kind, statuses in STATUSES_BY_KIND.items() for status in sorted(statuses)
]


@pytest.mark.parametrize(("kind", "status"), ALL_CASES)
def test_every_kind_and_status_maps(kind: TransactionKind, status: str) -> None:
    body = to_wisenet_invoice(tx(kind, status.lower()))
    sign = -1 if kind in CREDIT_KINDS else 1
    assert body["InvoiceId"] == "243216c5-369e-4056-ac67-05388f86dc81"
    assert body["LearnerId"] == 1042
    assert body["SourceAppKey"] == "xerowatch"
    assert body["Status"] == status
    assert body["AmountTotal"] == sign * 1100.0
    assert body["AmountDue"] == sign * 600.0
    assert body["AmountPaid"] == sign * 500.0
    assert body["AmountCredited"] == 0.0 and str(body["AmountCredited"]) == "0.0"  # never -0.0
    line = body["LineItems"][0]
    assert line["Quantity"] == 2.0  # quantities keep their sign
    assert (line["UnitAmount"], line["TaxAmount"], line["LineAmount"]) == (
        sign * 500.0,
        sign * 100.0,
        sign * 1000.0,
    )
    assert body["Payments"] == [
        {"Type": "PAYMENT", "Date": "2026-11-05T00:00:00", "Amount": sign * 500.0}
    ]


def test_field_formats_and_omissions() -> None:
    body = to_wisenet_invoice(tx())
    assert body["Date"] == "2026-11-02T00:00:00"
    assert body["DueDate"] == "2026-11-30T00:00:00"
    assert body["UpdateDateUtc"] == "2026-11-05T03:04:05Z"
    assert body["InvoiceNumber"] == "INV-0042" and body["InvoiceReference"] == "Cert IV intake 3"
    assert "online_invoice_url" not in str(body) and "AUD" not in body.values()


def test_none_fields_are_left_out() -> None:
    body = to_wisenet_invoice(
        tx(
            "overpayment",
            number=None,
            reference=None,
            date=None,
            due_date=None,
            line_items=[],
            total=Decimal("50"),
            amount_due=None,
            amount_paid=None,
            amount_credited=None,
            payments=[],
            updated_utc=None,
        )
    )
    assert body == {
        "InvoiceId": "243216c5-369e-4056-ac67-05388f86dc81",
        "LearnerId": 1042,
        "SourceAppKey": "xerowatch",
        "Status": "AUTHORISED",
        "LineItems": [],
        "AmountTotal": -50.0,
        "Payments": [],
    }


def test_naive_update_time_is_taken_as_utc() -> None:
    body = to_wisenet_invoice(tx(updated_utc=datetime(2026, 11, 5, 3, 4, 5)))
    assert body["UpdateDateUtc"] == "2026-11-05T03:04:05Z"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ACCRECPAYMENT", "PAYMENT"),
        ("payment", "PAYMENT"),
        ("ARCREDITPAYMENT", "REFUND"),
        ("AROVERPAYMENTPAYMENT", "REFUND"),
        ("ARPREPAYMENTPAYMENT", "REFUND"),
        ("credit_note", "CREDIT_NOTE"),
        ("Credit Note", "CREDIT_NOTE"),
        ("overpayment", "OVERPAYMENT"),
        ("prepayment", "PREPAYMENT"),
    ],
)
def test_payment_types(given: str, expected: str) -> None:
    payments = [SourcePayment(type=given, amount=Decimal("1"))]
    assert to_wisenet_invoice(tx(payments=payments))["Payments"][0]["Type"] == expected


@pytest.mark.parametrize(
    ("transaction", "message"),
    [
        (
            tx("payment", "PAID"),
            "payment INV-0042: Xero status 'PAID' is not one of AUTHORISED, DELETED",
        ),
        (tx("overpayment", "DRAFT"), "Xero status 'DRAFT' is not one of AUTHORISED, PAID, VOIDED"),
        (tx(status="BOGUS"), "Xero status 'BOGUS'"),
        (tx(learner_source_id="DAU1"), "learner id 'DAU1' is not a Wisenet LearnerId"),
        (
            tx(payments=[SourcePayment(type="ACCPAYPAYMENT", amount=Decimal("1"))]),
            "payment type 'ACCPAYPAYMENT' has no Wisenet mapping",
        ),
    ],
)
def test_unmappable_transactions_are_permanent_errors(
    transaction: SourceTransaction, message: str
) -> None:
    with pytest.raises(WriteBackError, match=message.replace("(", r"\(")) as info:
        to_wisenet_invoice(transaction)
    assert info.value.transient is False


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("credit_note", "CREDIT_NOTE"), ("overpayment", "OVERPAYMENT"), ("prepayment", "PREPAYMENT")],
)
def test_an_allocation_is_typed_by_the_credit_it_comes_from(
    kind: TransactionKind, expected: str
) -> None:
    allocation = SourcePayment(type="allocation", date=date(2026, 11, 9), amount=Decimal("40"))
    body = to_wisenet_invoice(tx(kind, payments=[allocation]))
    assert body["Payments"] == [{"Type": expected, "Date": "2026-11-09T00:00:00", "Amount": -40.0}]


def test_an_allocation_on_an_invoice_is_refused() -> None:
    allocation = SourcePayment(type="allocation", amount=Decimal("40"))
    with pytest.raises(WriteBackError, match="payment type 'allocation'"):
        to_wisenet_invoice(tx("invoice", payments=[allocation]))


def test_an_allocated_credit_note_pulled_from_xero_writes_back() -> None:
    credit = CreditNote.model_validate(
        {
            "CreditNoteID": "aea95d78-ea48-456b-9b08-6bc012600072",
            "Type": "ACCRECCREDIT",
            "Status": "PAID",
            "Total": 40,
            "RemainingCredit": 0,
            "Allocations": [
                {"Amount": 40, "Date": "2026-11-09", "Invoice": {"InvoiceNumber": "INV-1"}}
            ],
        }
    )
    source_tx = to_source_transaction(credit, learner_source_id="1042", ref_internal="R1")
    body = to_wisenet_invoice(source_tx)
    assert body["AmountTotal"] == -40.0
    assert body["Payments"] == [
        {"Type": "CREDIT_NOTE", "Date": "2026-11-09T00:00:00", "Amount": -40.0}
    ]


@pytest.mark.parametrize(
    "xero_type", ["ARCREDITPAYMENT", "AROVERPAYMENTPAYMENT", "ARPREPAYMENTPAYMENT"]
)
def test_a_refund_is_a_debit_to_the_learner_not_a_payment(xero_type: str) -> None:
    refund = Payment.model_validate(
        {
            "PaymentID": "0d666415-cf77-43fa-80c7-56775591d426",
            "PaymentType": xero_type,
            "Status": "AUTHORISED",
            "Amount": 40,
            "Date": "2026-11-10",
            "CreditNote": {"CreditNoteNumber": "CN-1", "Type": "ACCRECCREDIT"},
        }
    )
    body = to_wisenet_invoice(
        to_source_transaction(refund, learner_source_id="1042", ref_internal="R1")
    )
    # the learner got money back: their balance goes up, the opposite of a payment received
    assert body["AmountTotal"] == 40.0 and body["AmountPaid"] == 40.0
    assert body["Payments"] == [{"Type": "REFUND", "Date": "2026-11-10T00:00:00", "Amount": 40.0}]


def test_a_payment_received_stays_a_credit() -> None:
    received = tx(
        "payment", xero_type="ACCRECPAYMENT", total=Decimal("40"), amount_paid=Decimal("40")
    )
    received = received.model_copy(
        update={"payments": [SourcePayment(type="payment", amount=Decimal("40"))]}
    )
    body = to_wisenet_invoice(received)
    assert body["AmountTotal"] == -40.0
    assert body["Payments"] == [{"Type": "PAYMENT", "Amount": -40.0}]


def test_a_negative_zero_amount_is_sent_as_zero() -> None:
    body = to_wisenet_invoice(tx(amount_due=Decimal("-0.00"), total=Decimal("-0")))
    assert str(body["AmountDue"]) == "0.0" and str(body["AmountTotal"]) == "0.0"
