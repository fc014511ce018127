"""Xero transactions → the source's write-back records: the awkward shapes."""

from __future__ import annotations

from decimal import Decimal

from xerowatch.sync.mapping import is_receivable, to_source_transaction, transaction_contact
from xerowatch.xero.models import Payment

CONTACT = {"ContactID": "7d6a4b64-5d5c-4b8b-9d1e-1a2b3c4d5e6f", "ContactNumber": "R1"}


def test_a_refund_on_a_credit_note_takes_the_credit_notes_number() -> None:
    payment = Payment.model_validate(
        {
            "PaymentID": "0b0e5f52-2a7e-4a8c-9c53-6c2e3b0a1f00",
            "PaymentType": "ARCREDITPAYMENT",
            "Status": "AUTHORISED",
            "Amount": 40,
            "Date": "/Date(1767225600000+0000)/",
            "CreditNote": {
                "CreditNoteID": "5e1f0a3c-0d7f-4a51-8f51-3c1b1c7e9a10",
                "CreditNoteNumber": "CN-0007",
                "Type": "ACCRECCREDIT",
                "Contact": CONTACT,
            },
        }
    )
    assert is_receivable(payment)
    assert transaction_contact(payment) is not None
    tx = to_source_transaction(payment, learner_source_id="src-R1", ref_internal="R1")
    assert (tx.number, tx.total) == ("CN-0007", Decimal(40))
