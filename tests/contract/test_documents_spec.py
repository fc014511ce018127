"""The document drafts speak the spec's language: aliases, enums and max lengths."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from xerowatch.xero.models_base import XeroModel
from xerowatch.xero.models_documents import (
    ContactRef,
    CreditNoteDraft,
    CreditNoteKind,
    DocumentLine,
    InvoiceDraft,
    InvoiceDraftStatus,
    InvoiceKind,
    JournalLine,
    ManualJournalDraft,
    ManualJournalStatus,
    PurchaseOrderDraft,
    PurchaseOrderStatus,
    TrackingRef,
)

pytestmark = pytest.mark.contract

MODELS: list[tuple[str, type[XeroModel]]] = [
    ("Invoice", InvoiceDraft),
    ("CreditNote", CreditNoteDraft),
    ("PurchaseOrder", PurchaseOrderDraft),
    ("ManualJournal", ManualJournalDraft),
    ("LineItem", DocumentLine),
    ("ManualJournalLine", JournalLine),
    ("LineItemTracking", TrackingRef),
    ("TrackingCategory", TrackingRef),
    ("Contact", ContactRef),
]


@pytest.mark.parametrize(("schema_name", "model"), MODELS, ids=[name for name, _ in MODELS])
def test_every_alias_is_a_writable_spec_property(
    xero_spec: dict[str, Any], schema_name: str, model: type[XeroModel]
) -> None:
    properties = xero_spec["components"]["schemas"][schema_name]["properties"]
    for name, field in model.model_fields.items():
        alias = field.alias or name
        assert alias in properties, f"{model.__name__}.{alias} is not in {schema_name}"
        assert not properties[alias].get("readOnly"), f"{schema_name}.{alias} is read-only"
        spec_max = properties[alias].get("maxLength")
        ours = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
        if spec_max is not None:
            assert ours is not None and ours <= spec_max, f"{schema_name}.{alias}"


@pytest.mark.parametrize(
    ("schema_name", "prop", "enum"),
    [
        ("Invoice", "Type", InvoiceKind),
        ("CreditNote", "Type", CreditNoteKind),
        ("CreditNote", "Status", InvoiceDraftStatus),
        ("PurchaseOrder", "Status", PurchaseOrderStatus),
        ("ManualJournal", "Status", ManualJournalStatus),
    ],
)
def test_enum_values_are_spec_values(
    xero_spec: dict[str, Any], schema_name: str, prop: str, enum: type[StrEnum]
) -> None:
    declared = set(xero_spec["components"]["schemas"][schema_name]["properties"][prop]["enum"])
    assert {member.value for member in enum} <= declared
