"""The models speak the spec's language: every alias is a spec property, every enum matches."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from xerowatch.xero.models import (
    Address,
    AddressType,
    Allocation,
    Contact,
    ContactStatus,
    CreditNote,
    CreditNoteType,
    CreditStatus,
    DocumentStatus,
    Invoice,
    InvoiceType,
    LineAmountTypes,
    LineItem,
    OnlineInvoice,
    Overpayment,
    OverpaymentType,
    Pagination,
    Payment,
    PaymentStatus,
    Phone,
    PhoneType,
    Prepayment,
    PrepaymentType,
    ValidationMessage,
    XeroModel,
)

pytestmark = pytest.mark.contract

MODELS: dict[str, type[XeroModel]] = {
    "Contact": Contact,
    "Address": Address,
    "Phone": Phone,
    "Invoice": Invoice,
    "CreditNote": CreditNote,
    "Overpayment": Overpayment,
    "Prepayment": Prepayment,
    "Payment": Payment,
    "Allocation": Allocation,
    "LineItem": LineItem,
    "Pagination": Pagination,
    "OnlineInvoice": OnlineInvoice,
    "ValidationError": ValidationMessage,
}

ENUMS: list[tuple[str, str | None, type[StrEnum]]] = [
    ("Contact", "ContactStatus", ContactStatus),
    ("Address", "AddressType", AddressType),
    ("Phone", "PhoneType", PhoneType),
    ("Invoice", "Type", InvoiceType),
    ("Invoice", "Status", DocumentStatus),
    ("CreditNote", "Type", CreditNoteType),
    ("CreditNote", "Status", DocumentStatus),
    ("Overpayment", "Type", OverpaymentType),
    ("Overpayment", "Status", CreditStatus),
    ("Prepayment", "Type", PrepaymentType),
    ("Prepayment", "Status", CreditStatus),
    ("Payment", "Status", PaymentStatus),
    ("LineAmountTypes", None, LineAmountTypes),
]


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize(("schema_name", "model"), MODELS.items(), ids=list(MODELS))
def test_every_alias_is_a_spec_property(
    xero_spec: dict[str, Any], schema_name: str, model: type[XeroModel]
) -> None:
    properties = set(_schema(xero_spec, schema_name)["properties"])
    aliases = {field.alias or name for name, field in model.model_fields.items()}
    assert aliases - properties == set(), f"{model.__name__} has aliases the spec lacks"


@pytest.mark.parametrize(
    ("schema_name", "prop", "enum"), ENUMS, ids=[f"{s}.{p}" for s, p, _ in ENUMS]
)
def test_enums_match_the_spec(
    xero_spec: dict[str, Any], schema_name: str, prop: str | None, enum: type[StrEnum]
) -> None:
    schema = _schema(xero_spec, schema_name)
    declared = schema["enum"] if prop is None else schema["properties"][prop]["enum"]
    assert {member.value for member in enum} == set(declared)


def test_read_only_spec_fields_are_response_only(xero_spec: dict[str, Any]) -> None:
    properties = _schema(xero_spec, "Contact")["properties"]
    read_only = {name for name, prop in properties.items() if prop.get("readOnly")}
    aliases = {field.alias: name for name, field in Contact.model_fields.items()}
    for alias in read_only & set(aliases):
        assert aliases[alias] in Contact.response_only, alias


@pytest.mark.parametrize(
    ("schema_name", "model"), [("Contact", Contact), ("Address", Address), ("Phone", Phone)]
)
def test_model_max_lengths_follow_the_spec(
    xero_spec: dict[str, Any], schema_name: str, model: type[XeroModel]
) -> None:
    properties = _schema(xero_spec, schema_name)["properties"]
    for field in model.model_fields.values():
        spec_max = properties[field.alias].get("maxLength")
        ours = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
        assert ours == spec_max, f"{schema_name}.{field.alias}: ours {ours}, spec {spec_max}"
