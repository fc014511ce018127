"""Xero models: exact aliases, money as Decimal/JSON numbers, dates, unknown fields, writes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import get_args
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from xerowatch.xero import models_base
from xerowatch.xero.models import (
    Address,
    AddressType,
    Contact,
    ContactStatus,
    CreditNote,
    DocumentStatus,
    Invoice,
    InvoiceType,
    LineItem,
    Overpayment,
    Pagination,
    Payment,
    Phone,
    Prepayment,
    XeroEnum,
    XeroModel,
    money_to_json,
    unknown_enum_values,
)

CONTACT_ID = "5cc8cf28-567e-4d43-b287-687cfcaec47c"

# Shaped like the spec's GET /Contacts example, plus fields Xero may add later.
CONTACT_JSON = {
    "ContactID": CONTACT_ID,
    "ContactNumber": "WN-1001",
    "ContactStatus": "ACTIVE",
    "Name": "Katherine Warren",
    "FirstName": "Katherine",
    "LastName": "Warren",
    "EmailAddress": "kat.warren@example.com",
    "Addresses": [
        {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
        {"AddressType": "POBOX", "AddressLine1": "PO Box 7", "City": "Palo Alto", "Region": "CA"},
    ],
    "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "847-1294", "PhoneAreaCode": "(626)"}],
    "UpdatedDateUTC": "/Date(1573755038314+1300)/",
    "IsSupplier": False,
    "IsCustomer": True,
    "HasValidationErrors": False,
    "Balances": {"AccountsReceivable": {"Outstanding": 10.5}},
    "SomeFieldXeroAddsNextYear": {"x": 1},
}


def test_contact_parses_with_exact_aliases_and_ignores_unknown_fields() -> None:
    contact = Contact.model_validate(CONTACT_JSON)
    assert contact.contact_id == UUID(CONTACT_ID)
    assert contact.contact_number == "WN-1001"
    assert contact.contact_status is ContactStatus.ACTIVE
    assert contact.is_customer is True
    po_box = contact.address(AddressType.POBOX)
    assert po_box is not None and po_box.city == "Palo Alto"
    assert contact.phones is not None and contact.phones[0].phone_area_code == "(626)"
    assert not hasattr(contact, "SomeFieldXeroAddsNextYear")
    assert "SomeFieldXeroAddsNextYear" not in contact.to_xero()


def test_updated_date_keeps_the_instant_and_the_rendered_offset() -> None:
    contact = Contact.model_validate(CONTACT_JSON)
    assert contact.updated_date_utc is not None
    assert contact.updated_date_utc == datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert contact.updated_date_utc.utcoffset() == timedelta(hours=13)


def test_names_and_aliases_both_populate() -> None:
    by_name = Contact(name="A", contact_number="N1")
    by_alias = Contact.model_validate({"Name": "A", "ContactNumber": "N1"})
    assert by_name == by_alias
    assert by_name.to_xero() == {"Name": "A", "ContactNumber": "N1"}


def test_write_body_leaves_out_response_only_fields() -> None:
    contact = Contact.model_validate(
        CONTACT_JSON
        | {
            "ValidationErrors": [{"Message": "x"}],
            "StatusAttributeString": "OK",
            "MergedToContactID": CONTACT_ID,
        }
    )
    body = contact.to_xero_write()
    for field in (
        "UpdatedDateUTC",
        "IsSupplier",
        "IsCustomer",
        "HasValidationErrors",
        "ValidationErrors",
        "StatusAttributeString",
        "MergedToContactID",
    ):
        assert field not in body
        assert field in contact.to_xero()
    assert body["ContactID"] == CONTACT_ID
    assert body["Addresses"][1] == {
        "AddressType": "POBOX",
        "AddressLine1": "PO Box 7",
        "City": "Palo Alto",
        "Region": "CA",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("ContactNumber", "x" * 51), ("Name", "n" * 256), ("EmailAddress", "e" * 256)],
)
def test_spec_max_lengths_are_enforced(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Contact.model_validate({field: value})


def _enum_fields() -> list[tuple[type[XeroModel], str, type[XeroEnum]]]:
    """Every (model, alias, enum) whose field holds a Xero enum, found by introspection."""
    found: list[tuple[type[XeroModel], str, type[XeroEnum]]] = []
    for model in (Contact, Address, Phone, Invoice, CreditNote, Overpayment, Prepayment, Payment):
        for name, field in model.model_fields.items():
            for arg in get_args(field.annotation):
                if isinstance(arg, type) and issubclass(arg, XeroEnum):
                    found.append((model, field.alias or name, arg))
    return found


ENUM_FIELDS = _enum_fields()


def test_every_enum_field_is_covered() -> None:
    covered = {(model.__name__, alias) for model, alias, _ in ENUM_FIELDS}
    assert {("Invoice", "Status"), ("Invoice", "Type"), ("Payment", "Status")} <= covered
    assert ("Invoice", "LineAmountTypes") in covered and ("Contact", "ContactStatus") in covered


def test_an_enum_value_xero_adds_later_parses_as_an_unknown_member(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models_base, "_unknown_values", {})  # other tests' values fill the cap
    with caplog.at_level(logging.WARNING):
        first = Invoice.model_validate(INVOICE_JSON | {"Status": "REVIEW-PENDING-XYZ"})
        second = Invoice.model_validate(INVOICE_JSON | {"Status": "REVIEW-PENDING-XYZ"})
    for invoice in (first, second):
        assert invoice.status is not None and invoice.status == "REVIEW-PENDING-XYZ"
        assert invoice.status.value == "REVIEW-PENDING-XYZ"
        assert isinstance(invoice.status, DocumentStatus) and not invoice.status.known
        assert invoice.status not in set(DocumentStatus)
        assert invoice.total == Decimal("1358.02")  # the rest of the record is intact
    assert DocumentStatus.AUTHORISED.known
    assert Invoice.model_validate(INVOICE_JSON).status is DocumentStatus.AUTHORISED
    assert "REVIEW-PENDING-XYZ" in unknown_enum_values()["DocumentStatus"]
    logged = [r for r in caplog.records if "REVIEW-PENDING-XYZ" in r.getMessage()]
    assert len(logged) == 1  # once per value, not once per record


def test_a_non_string_in_an_enum_field_is_still_a_shape_error() -> None:
    with pytest.raises(ValidationError):
        Invoice.model_validate({"Status": 5})


@pytest.mark.parametrize(
    ("model", "alias", "enum"),
    ENUM_FIELDS,
    ids=[f"{model.__name__}.{alias}" for model, alias, _ in ENUM_FIELDS],
)
@given(value=st.text(max_size=40))
def test_any_string_in_an_enum_field_parses(
    model: type[XeroModel], alias: str, enum: type[XeroEnum], value: str
) -> None:
    parsed = model.model_validate({alias: value})
    name = next(name for name, field in model.model_fields.items() if field.alias == alias)
    held = getattr(parsed, name)
    assert isinstance(held, enum) and held == value
    assert held.known == (value in {member.value for member in enum})


def test_a_write_refuses_an_enum_value_the_spec_does_not_list() -> None:
    contact = Contact.model_validate(
        {"Name": "A", "Addresses": [{"AddressType": "DELIVERY", "City": "Perth"}]}
    )
    assert contact.to_xero()["Addresses"] == [{"AddressType": "DELIVERY", "City": "Perth"}]
    with pytest.raises(ValueError, match="AddressType 'DELIVERY'"):
        contact.to_xero_write()
    with pytest.raises(ValueError, match="ContactStatus 'MERGED'"):
        Contact.model_validate({"Name": "A", "ContactStatus": "MERGED"}).to_xero_write()
    assert Contact(name="A", contact_status=ContactStatus.ACTIVE).to_xero_write() == {
        "Name": "A",
        "ContactStatus": "ACTIVE",
    }


INVOICE_JSON = {
    "Type": "ACCREC",
    "InvoiceID": "243216c5-369e-4056-ac67-05388f86dc81",
    "InvoiceNumber": "INV-0001",
    "Contact": {"ContactID": CONTACT_ID, "Name": "Katherine Warren"},
    "Date": "/Date(1573689600000+0000)/",
    "DueDate": "2019-12-14",
    "Status": "AUTHORISED",
    "LineAmountTypes": "Exclusive",
    "LineItems": [
        {"Description": "Course fee", "Quantity": 1.0, "UnitAmount": 1234.56, "LineAmount": 1234.56}
    ],
    "SubTotal": 1234.56,
    "TotalTax": 123.46,
    "Total": 1358.02,
    "AmountDue": 0.1,
    "AmountPaid": 1357.92,
    "Payments": [
        {
            "PaymentID": "0d666415-cf77-43fa-80c7-56775591d426",
            "Date": "/Date(1573776000000+0000)/",
            "Amount": 1357.92,
            "Invoice": {"InvoiceNumber": "INV-0001"},
        }
    ],
    "UpdatedDateUTC": "/Date(1573755038314)/",
    "CurrencyCode": "AUD",
}


def test_invoice_money_is_decimal_exactly_as_written() -> None:
    invoice = Invoice.model_validate(INVOICE_JSON)
    assert invoice.type is InvoiceType.ACCREC
    assert invoice.status is DocumentStatus.AUTHORISED
    assert invoice.total == Decimal("1358.02")
    assert invoice.amount_due == Decimal("0.1")  # not 0.1000000000000000055511151231257827
    assert invoice.line_items is not None and invoice.line_items[0].unit_amount == Decimal(
        "1234.56"
    )
    assert invoice.payments is not None
    payment = invoice.payments[0]
    assert payment.amount == Decimal("1357.92")
    assert payment.invoice is not None and payment.invoice.invoice_number == "INV-0001"


def test_invoice_dates_are_dates_and_not_shifted() -> None:
    invoice = Invoice.model_validate(INVOICE_JSON)
    assert invoice.date == date(2019, 11, 14)
    assert invoice.due_date == date(2019, 12, 14)
    assert invoice.payments is not None and invoice.payments[0].date == date(2019, 11, 15)
    shifted = Invoice.model_validate({"Date": "/Date(1573689600000+1300)/"})
    assert shifted.date == date(2019, 11, 14)  # rendered in +13:00, still the 14th there


def test_money_dumps_as_json_numbers() -> None:
    invoice = Invoice.model_validate(INVOICE_JSON)
    text = json.dumps(invoice.to_xero())
    assert '"Total": 1358.02' in text
    assert '"AmountDue": 0.1' in text
    assert '"Quantity": 1,' in text
    assert '"1358.02"' not in text
    assert invoice.to_xero()["Date"] == "2019-11-14"


def test_money_that_a_json_number_cannot_carry_is_refused() -> None:
    line = LineItem(unit_amount=Decimal("0.12345678901234567891"))
    with pytest.raises(ValueError, match="losing precision"):
        line.to_xero()
    with pytest.raises(ValidationError):
        LineItem.model_validate({"UnitAmount": "NaN"})


@given(
    st.decimals(
        min_value=Decimal("-99999999999.9999"),
        max_value=Decimal("99999999999.9999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_money_survives_a_json_round_trip(amount: Decimal) -> None:
    wire = json.dumps(LineItem(line_amount=amount).to_xero())
    back = LineItem.model_validate(json.loads(wire))
    assert back.line_amount == amount
    assert isinstance(money_to_json(amount), int | float)


def test_credit_notes_overpayments_prepayments_and_allocations_parse() -> None:
    allocation = {
        "AllocationID": "b12335f4-a1e5-4431-aeb4-488e5547558e",
        "Amount": 50.25,
        "Date": "2026-03-01",
        "Invoice": {"InvoiceID": "243216c5-369e-4056-ac67-05388f86dc81"},
    }
    credit_note = CreditNote.model_validate(
        {
            "CreditNoteID": "aea95d78-ea48-456b-9b08-6bc012600072",
            "Type": "ACCRECCREDIT",
            "Status": "PAID",
            "Total": 50.25,
            "RemainingCredit": 0,
            "Allocations": [allocation],
        }
    )
    assert credit_note.allocations is not None
    first = credit_note.allocations[0]
    assert first.amount == Decimal("50.25") and first.date == date(2026, 3, 1)
    assert first.invoice is not None and first.invoice.invoice_id is not None
    overpayment = Overpayment.model_validate(
        {"OverpaymentID": "ed7f6041-c915-4667-bd1d-a2d6c5da9a7a", "Type": "RECEIVE-OVERPAYMENT"}
    )
    assert overpayment.type is not None and overpayment.type.value == "RECEIVE-OVERPAYMENT"
    prepayment = Prepayment.model_validate(
        {"PrepaymentID": "ed7f6041-c915-4667-bd1d-a2d6c5da9a7b", "Type": "ARPREPAYMENT"}
    )
    assert prepayment.prepayment_id is not None
    payment = Payment.model_validate({"Status": "DELETED", "UpdatedDateUTC": "/Date(0+0000)/"})
    assert payment.updated_date_utc == datetime(1970, 1, 1, tzinfo=UTC)


def test_pagination_uses_xero_lower_camel_names() -> None:
    paging = Pagination.model_validate(
        {"page": 2, "pageSize": 1000, "pageCount": 5, "itemCount": 4321}
    )
    assert (paging.page, paging.page_size, paging.page_count, paging.item_count) == (
        2,
        1000,
        5,
        4321,
    )


def test_pre_1970_and_offset_dates() -> None:
    payment = Payment.model_validate({"UpdatedDateUTC": "/Date(-86400000-0500)/"})
    assert payment.updated_date_utc is not None
    assert payment.updated_date_utc == datetime(1969, 12, 31, tzinfo=UTC)
    assert payment.updated_date_utc.tzinfo == timezone(timedelta(hours=-5))
