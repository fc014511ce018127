"""ConnectWise → Xero mapping: totals equal to the cent or held, time summarised, stable keys."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models import Company, CompanyContact, GLInvoice, Reference
from xerowatch.sync.connectwise_mapping import (
    Held,
    MappedInvoice,
    contact_key,
    map_contact,
    map_invoice,
)
from xerowatch.xero.models_documents import line_amount_of

CENT = Decimal("0.01")
RULES = ConnectWiseSettings(
    tax_types={"GST": "OUTPUT"},
    tax_rates={"OUTPUT": Decimal(10)},
    rounding_account_code="860",
)
STRICT = RULES.model_copy(update={"rounding_account_code": ""})

money = st.decimals(min_value=Decimal("-500"), max_value=Decimal("5000"), places=4)
hours = st.decimals(min_value=Decimal("0.25"), max_value=Decimal("12"), places=2)
line = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["product", "time", "agreement", "credit"]),
        "quantity": st.decimals(min_value=Decimal("0"), max_value=Decimal("250"), places=3),
        "hours": hours,
        "price": st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=4),
        "taxable": st.booleans(),
        "account": st.sampled_from(["4000", "4100", "4200"]),
        "klass": st.sampled_from(["Support", "Projects", None]),
        "item": st.sampled_from(["LAPTOP-14", "CAT6-3M", "M365-BP"]),
    }
)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def gl_invoice(lines: list[dict[str, Any]], *, tax_code: str = "GST") -> GLInvoice:
    """A GLExport transaction as ConnectWise builds one: credit lines, tax on the invoice."""
    detail: list[dict[str, Any]] = []
    taxable = Decimal(0)
    net = Decimal(0)
    for n, spec in enumerate(lines):
        kind = spec["kind"]
        quantity = spec["hours"] if kind == "time" else spec["quantity"]
        price = -spec["price"] / 4 if kind == "credit" else spec["price"]
        total = cents(quantity * price)
        net += total
        taxable += total if spec["taxable"] else 0
        detail.append(
            {
                "id": str(n),
                "glTypeId": {"product": "RP", "time": "R", "agreement": "RA", "credit": "RA"}[kind],
                "accountNumber": spec["account"],
                "glClass": spec["klass"],
                "description": f"line {n}",
                "quantity": -quantity,
                "total": -total,
                "itemPrice": price,
                "item": {"id": 1, "identifier": spec["item"]} if kind == "product" else None,
                "timeEntry": 1000 + n if kind == "time" else None,
                "taxableFlag": spec["taxable"],
            }
        )
    tax = cents(taxable * Decimal("0.1"))
    if tax:
        detail.append({"id": "t", "glTypeId": "ST", "quantity": -1, "total": -tax})
    return GLInvoice.model_validate(
        {
            "id": "1",
            "documentNumber": "INV-1",
            "documentDate": "2026-11-02T00:00:00Z",
            "dueDays": 14,
            "total": net + tax,
            "taxCode": tax_code,
            "currency": "AUD",
            "purchaseOrder": "PO-77",
            "glEntryIds": "1,2,3",
            "detail": detail,
        }
    )


def _positive(lines: list[dict[str, Any]]) -> bool:
    return gl_invoice(lines).total >= 0


@settings(max_examples=150, deadline=None)
@given(st.lists(line, min_size=1, max_size=25).filter(_positive))
def test_a_mapped_invoice_equals_connectwise_to_the_cent(lines: list[dict[str, Any]]) -> None:
    gl = gl_invoice(lines)
    mapped = map_invoice(gl, "251", RULES)
    assert isinstance(mapped, MappedInvoice), mapped
    draft = mapped.draft
    assert draft.lines_total() + mapped.xero_tax == gl.total
    # Xero's own rule on every line: LineAmount = Quantity * UnitAmount rounded to the cent
    for out in draft.line_items:
        assert out.quantity is not None and out.unit_amount is not None
        assert line_amount_of(out.quantity, out.unit_amount) == out.line_amount
    non_time = [d for d in gl.detail if d.time_entry is None and d.gl_type_id != "ST"]
    sent = [x for x in draft.line_items if not (x.description or "").startswith("Professional")]
    sent = [x for x in sent if x.account_code != "860"]
    assert [x.line_amount for x in sent] == [-d.total for d in non_time]
    assert [x.item_code for x in sent if x.item_code] == [
        d.item.identifier for d in non_time if d.item is not None
    ]
    groups = {(d.account_number, d.taxable_flag) for d in gl.detail if d.time_entry is not None}
    time_lines = [x for x in draft.line_items if (x.description or "").startswith("Professional")]
    assert len(time_lines) == len(groups)
    assert abs(mapped.rounding) <= CENT * len(draft.line_items)
    assert draft.contact.contact_number == "251"
    assert draft.reference == "PO-77" and draft.due_date == dt.date(2026, 11, 16)


@settings(max_examples=100, deadline=None)
@given(st.lists(line, min_size=1, max_size=25).filter(_positive))
def test_without_a_rounding_account_it_is_exact_or_held(lines: list[dict[str, Any]]) -> None:
    gl = gl_invoice(lines)
    mapped = map_invoice(gl, "251", STRICT)
    if isinstance(mapped, Held):
        assert "rounding_account_code" in mapped.reason and "INV-1" in mapped.reason
    else:
        assert mapped.rounding == 0
        assert mapped.draft.lines_total() + mapped.xero_tax == gl.total


@settings(max_examples=50, deadline=None)
@given(
    st.lists(line, min_size=1, max_size=10).filter(_positive),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2),
)
def test_a_total_that_does_not_add_up_is_held(lines: list[dict[str, Any]], off: Decimal) -> None:
    gl = gl_invoice(lines)
    broken = gl.model_copy(update={"total": gl.total + off})
    held = map_invoice(broken, "251", RULES)
    assert isinstance(held, Held)
    assert "do not add up" in held.reason


@settings(max_examples=150, deadline=None)
@given(
    quantity=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=6),
    amount=st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2),
)
def test_any_quantity_and_amount_become_a_line_xero_accepts(
    quantity: Decimal, amount: Decimal
) -> None:
    gl = GLInvoice.model_validate(
        {
            "id": "1",
            "documentNumber": "INV-2",
            "documentDate": "2026-11-02T00:00:00Z",
            "total": abs(amount),
            "detail": [
                {
                    "glTypeId": "RP",
                    "accountNumber": "4100",
                    "quantity": -quantity,
                    "total": -abs(amount),
                    "item": {"identifier": "X"},
                    "description": "odd",
                }
            ],
        }
    )
    mapped = map_invoice(gl, "9", RULES)
    assert isinstance(mapped, MappedInvoice), mapped
    assert mapped.draft.line_items[0].amount() == abs(amount)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"document_type": "CREDITMEMO"}, "credit memos are not synced yet"),
        ({"tax_code": "VAT"}, "no Xero TaxType for ConnectWise tax code 'VAT'"),
        ({"document_number": " "}, "has no invoice number"),
        ({"document_date": None}, "has no date"),
    ],
)
def test_what_cannot_be_mapped_is_held_with_its_fix(change: dict[str, Any], expected: str) -> None:
    gl = gl_invoice(
        [
            {
                "kind": "product",
                "quantity": Decimal(2),
                "hours": Decimal(1),
                "price": Decimal("10.00"),
                "taxable": True,
                "account": "4100",
                "klass": None,
                "item": "CAT6-3M",
            }
        ]
    )
    held = map_invoice(gl.model_copy(update=change), "1", RULES)
    assert isinstance(held, Held) and expected in held.reason


def test_unknown_gl_types_missing_accounts_and_unrated_tax_types_are_held() -> None:
    base = {
        "id": "1",
        "documentNumber": "INV-3",
        "documentDate": "2026-11-02T00:00:00Z",
        "total": 10,
    }
    odd = {"glTypeId": "AP", "accountNumber": "2000", "quantity": -1, "total": -10}
    held = map_invoice(GLInvoice.model_validate({**base, "detail": [odd]}), "1", RULES)
    assert isinstance(held, Held) and "GL type 'AP'" in held.reason
    bare = {"glTypeId": "RP", "quantity": -1, "total": -10, "description": "x"}
    held = map_invoice(GLInvoice.model_validate({**base, "detail": [bare]}), "1", RULES)
    assert isinstance(held, Held) and "fix the GL mapping in ConnectWise" in held.reason
    taxed = {**bare, "accountNumber": "4100", "taxableFlag": True, "taxCode": "GST"}
    unrated = RULES.model_copy(update={"tax_rates": {}})
    held = map_invoice(GLInvoice.model_validate({**base, "detail": [taxed]}), "1", unrated)
    assert isinstance(held, Held) and "add it to [connectwise] tax_rates" in held.reason


def test_account_codes_and_agreement_item_code_come_from_config() -> None:
    rules = RULES.model_copy(
        update={"account_codes": {"4200": "210"}, "agreement_item_code": "MSP"}
    )
    gl = gl_invoice(
        [
            {
                "kind": "agreement",
                "quantity": Decimal(1),
                "hours": Decimal(1),
                "price": Decimal("990"),
                "taxable": False,
                "account": "4200",
                "klass": None,
                "item": "",
            }
        ]
    )
    mapped = map_invoice(gl, "1", rules)
    assert isinstance(mapped, MappedInvoice)
    only = mapped.draft.line_items[0]
    assert (only.account_code, only.item_code, only.tax_type) == ("210", "MSP", "EXEMPTOUTPUT")


def _company(**changes: Any) -> Company:
    values: dict[str, Any] = {
        "id": 251,
        "identifier": "ACME251",
        "name": "Acme  Dental",
        "accountNumber": "C00251",
        "addressLine1": "12 George St",
        "city": "Sydney",
        "state": "NSW",
        "zip": "2000",
        "country": {"id": 1, "name": "Australia"},
        "phoneNumber": "02 9123 4567",
    }
    values.update(changes)
    return Company.model_validate(values)


@given(st.text(min_size=1, max_size=60).filter(str.strip))
def test_a_renamed_company_keeps_its_contact_number(name: str) -> None:
    before = map_contact(_company(), RULES)
    after = map_contact(_company(name=name), RULES)
    assert not isinstance(before, Held) and not isinstance(after, Held)
    assert before.contact_number == after.contact_number == "251"


def test_the_contact_carries_name_people_email_address_phone_and_account() -> None:
    primary = CompanyContact.model_validate({"id": 1, "firstName": "Ana", "lastName": "Smith"})
    billing = CompanyContact.model_validate(
        {
            "id": 2,
            "firstName": "Ben",
            "communicationItems": [
                {"communicationType": "Email", "value": "old@acme.test"},
                {"communicationType": "Email", "value": "ap@acme.test", "defaultFlag": True},
            ],
        }
    )
    contact = map_contact(_company(), RULES, primary=primary, billing=billing)
    assert not isinstance(contact, Held)
    assert (contact.name, contact.contact_number, contact.account_number) == (
        "Acme Dental",
        "251",
        "C00251",
    )
    assert (contact.first_name, contact.last_name, contact.email_address) == (
        "Ana",
        "Smith",
        "ap@acme.test",
    )
    assert contact.addresses and contact.addresses[0].city == "Sydney"
    assert contact.phones and contact.phones[0].phone_number == "02 9123 4567"
    # the billing contact's name is not lost: it is a contact person (already the account email)
    [person] = contact.contact_persons or []
    who = (person.first_name, person.last_name, person.email_address)
    assert who == ("Ben", None, "ap@acme.test")
    assert person.include_in_emails is False


def test_the_billing_contact_is_a_person_only_when_it_is_someone_else() -> None:
    ana = CompanyContact.model_validate({"id": 1, "firstName": "Ana", "lastName": "Smith"})
    same = map_contact(_company(), RULES, primary=ana, billing=ana)
    assert not isinstance(same, Held) and same.contact_persons is None
    ben = CompanyContact.model_validate(
        {
            "id": 2,
            "firstName": "Ben",
            "lastName": "Ng",
            "communicationItems": [{"communicationType": "Email", "value": "ben@acme.test"}],
        }
    )
    company = _company(invoiceToEmailAddress="accounts@acme.test")
    other = map_contact(company, RULES, primary=ana, billing=ben)
    assert not isinstance(other, Held)
    [person] = other.contact_persons or []
    who = (person.first_name, person.last_name, person.email_address)
    assert who == ("Ben", "Ng", "ben@acme.test")
    # invoices already go to the account email, which is the billing contact's: not twice
    assert other.email_address == "ben@acme.test" and person.include_in_emails is False
    bad = ben.model_copy(
        update={
            "communication_items": (
                ben.communication_items[0].model_copy(update={"value": "bén@acme"}),
            )
        }
    )
    refused = map_contact(company, RULES, primary=ana, billing=bad)
    assert not isinstance(refused, Held)
    [kept] = refused.contact_persons or []
    assert (kept.last_name, kept.email_address) == ("Ng", None)
    assert refused.email_address == "bén@acme"  # refused later by the contacts step, alerted


def test_the_contact_key_follows_config_and_a_missing_one_is_held() -> None:
    by_identifier = RULES.model_copy(update={"contact_key": "identifier"})
    assert contact_key(_company(), by_identifier) == "ACME251"
    by_account = RULES.model_copy(update={"contact_key": "account_number"})
    held = map_contact(_company(accountNumber=None), by_account)
    assert isinstance(held, Held) and "has no account_number" in held.reason


def test_a_product_line_names_its_unit_of_measure_where_configured() -> None:
    product = {
        "kind": "product",
        "quantity": Decimal(3),
        "hours": Decimal(1),
        "price": Decimal("12.50"),
        "taxable": False,
        "account": "4100",
        "klass": None,
        "item": "M365-BP",
    }
    gl = gl_invoice([product])
    detail = [gl.detail[0].model_copy(update={"unit_of_measure": Reference(name="Month")})]
    gl = gl.model_copy(update={"detail": detail})
    plain = map_invoice(gl, "1", RULES)
    per_unit = map_invoice(gl, "1", RULES.model_copy(update={"invoice_unit_in_description": True}))
    assert isinstance(plain, MappedInvoice) and isinstance(per_unit, MappedInvoice)
    assert plain.draft.line_items[0].description == "line 0"
    assert per_unit.draft.line_items[0].description == "line 0 (per Month)"
    assert per_unit.draft.line_items[0].line_amount == plain.draft.line_items[0].line_amount
