"""Read one element of a document batch answer into a `DocumentResult`.

An element counts as saved only when Xero gave it a real ID and echoes the draft's key (its
number, or its narration for journals): "no errors" with nothing saved, or answers out of
order, become FAILED (outcome unknown) rather than a wrong link. Saved documents whose totals
are not the draft's to the cent are OK but carry `totals_differ`, so the caller can hold them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from xerowatch.xero.errors import XeroResponseError, XeroValidationError
from xerowatch.xero.models_base import ValidationMessage
from xerowatch.xero.models_documents import (
    CreditNoteDraft,
    DocumentKind,
    DocumentResult,
    Draft,
    InvoiceDraft,
    PurchaseOrderDraft,
    draft_key,
)
from xerowatch.xero.models_saved import SavedManualJournal, SavedPurchaseOrder
from xerowatch.xero.models_transactions import CreditNote, Invoice, LineAmountTypes
from xerowatch.xero.write_results import WriteStatus

NIL_ID = UUID(int=0)
"""The ID Xero puts on an element it did not save."""

_KEY_FIELDS = {
    DocumentKind.INVOICE: "InvoiceNumber",
    DocumentKind.CREDIT_NOTE: "CreditNoteNumber",
    DocumentKind.PURCHASE_ORDER: "PurchaseOrderNumber",
    DocumentKind.MANUAL_JOURNAL: "Narration",
}


def read_element(kind: DocumentKind, draft: Draft, element: Any) -> DocumentResult:
    """Return the result for `draft` from its answer element (index 0: the caller sets it)."""
    key = draft_key(draft)
    try:
        xero_id, saved_key, messages, warnings, totals = _parse(kind, element)
    except ValidationError:
        error = XeroResponseError(f"the answer for {key!r} is unreadable")
        return DocumentResult(0, key, WriteStatus.FAILED, error=error)
    if messages:
        return DocumentResult(0, key, WriteStatus.REJECTED, messages=messages)
    if xero_id is None or xero_id == NIL_ID:
        error = XeroResponseError(f"Xero reported success for {key!r} but returned no ID")
        return DocumentResult(0, key, WriteStatus.FAILED, error=error)
    if (saved_key or "").casefold() != key.casefold():
        error = XeroResponseError(f"the answer for {key!r} carries {saved_key!r} (out of order)")
        return DocumentResult(0, key, WriteStatus.FAILED, error=error)
    total, differ = _check_totals(draft, totals)
    return DocumentResult(
        0,
        key,
        WriteStatus.OK,
        xero_id=xero_id,
        messages=warnings,
        total=total,
        totals_differ=differ,
    )


_Totals = tuple[Decimal | None, Decimal | None]


def _parse(
    kind: DocumentKind, element: Any
) -> tuple[UUID | None, str | None, tuple[str, ...], tuple[str, ...], _Totals]:
    """(ID, echoed key, validation messages, warnings, (SubTotal, Total)) of an element."""
    errors: list[ValidationMessage] | None
    if kind is DocumentKind.INVOICE:
        invoice = Invoice.model_validate(element)
        ident, echoed = invoice.invoice_id, invoice.invoice_number
        errors, warned, status = (
            invoice.validation_errors,
            invoice.warnings,
            invoice.status_attribute_string,
        )
        totals: _Totals = (invoice.sub_total, invoice.total)
        flagged = bool(invoice.has_errors)
    elif kind is DocumentKind.CREDIT_NOTE:
        note = CreditNote.model_validate(element)
        ident, echoed = note.credit_note_id, note.credit_note_number
        errors, warned, status = note.validation_errors, note.warnings, note.status_attribute_string
        totals, flagged = (note.sub_total, note.total), bool(note.has_errors)
    elif kind is DocumentKind.PURCHASE_ORDER:
        order = SavedPurchaseOrder.model_validate(element)
        ident, echoed = order.purchase_order_id, order.purchase_order_number
        errors, warned, status = (
            order.validation_errors,
            order.warnings,
            order.status_attribute_string,
        )
        totals, flagged = (order.sub_total, order.total), False
    else:
        journal = SavedManualJournal.model_validate(element)
        ident, echoed = journal.manual_journal_id, journal.narration
        errors, warned, status = (
            journal.validation_errors,
            journal.warnings,
            journal.status_attribute_string,
        )
        totals, flagged = (None, None), False
    messages = tuple(m.message for m in errors or [] if m.message)
    if not messages and (flagged or status == "ERROR"):
        messages = ("Xero reported an error without a message",)
    warnings = tuple(m.message for m in warned or [] if m.message)
    return ident, echoed, messages, warnings, totals


def _check_totals(draft: Draft, totals: _Totals) -> tuple[Decimal | None, str | None]:
    """(Xero's Total, why it disagrees with the draft or None)."""
    sub_total, total = totals
    if not isinstance(draft, InvoiceDraft | CreditNoteDraft | PurchaseOrderDraft):
        return None, None
    expected = draft.lines_total()
    # lines exclude tax under Exclusive (compare SubTotal); otherwise they add up to Total
    exclusive = draft.line_amount_types is LineAmountTypes.EXCLUSIVE
    field, got = ("SubTotal", sub_total) if exclusive else ("Total", total)
    if got is None:
        return total, f"Xero's answer has no {field} to check against {expected}"
    if got != expected:
        return total, f"Xero's {field} is {got}, the lines add up to {expected}"
    return total, None


def rejected_by_request(
    keys: Sequence[str], exc: XeroValidationError, kind: DocumentKind | None = None
) -> dict[int, tuple[str, ...]]:
    """Messages per position in `keys` for a whole-request 400 whose elements echo a key.

    A 400 body may list only the failing elements, so an element is matched by the number or
    narration it echoes, and only when exactly one draft of the request carries it.
    """
    fields = [_KEY_FIELDS[kind]] if kind is not None else list(_KEY_FIELDS.values())
    found: dict[int, tuple[str, ...]] = {}
    for element_error in exc.elements:
        echoed = [str(element_error.element.get(f, "")).casefold() for f in fields]
        matches = [p for p, key in enumerate(keys) if key.casefold() in echoed]
        if len(matches) == 1 and element_error.messages:
            found[matches[0]] = tuple(element_error.messages)
    return found
