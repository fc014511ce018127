"""Simulated document writes: invoices and bills, credit notes, purchase orders, manual journals,
tracking.

Validates each element like Xero: required fields, the contact exists and is active, line
amounts are Quantity * UnitAmount rounded half away from zero to the cent (UnitAmount kept to
4 dp only with `unitdp=4`), tracking names exist, journals balance, and an invoice's or credit
note's number is unique per type (a bill's or a supplier credit note's per supplier). Every
element gets its own errors; with `summarizeErrors=false` the good ones are saved and the
answer is HTTP 200.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from xerowatch.sim.xero.contacts import ContactBook
from xerowatch.sim.xero.state import Record, Tenant, to_date

CENT = Decimal("0.01")
UNIT_4DP = Decimal("0.0001")
NIL_ID = "00000000-0000-0000-0000-000000000000"
PURCHASE_ORDERS = "PurchaseOrders"
MANUAL_JOURNALS = "ManualJournals"
TRACKING = "TrackingCategories"
_INVOICE_TYPES = ("ACCREC", "ACCPAY")
_INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
_CREDIT_TYPES = ("ACCPAYCREDIT", "ACCRECCREDIT")
_PO_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
_JOURNAL_STATUSES = ("DRAFT", "POSTED")
_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
_CLOSED = ("DELETED", "VOIDED")


def _round(value: Decimal, step: Decimal = CENT) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


@dataclass
class Checked:
    """One element after validation: its cleaned fields, or the messages that refuse it."""

    element: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class DocumentBook:
    """One tenant's documents written through the API, validated like Xero validates them."""

    def __init__(self, tenant: Tenant, contacts: ContactBook, new_id: Callable[[], str]) -> None:
        self.tenant = tenant
        self.contacts = contacts
        self.new_id = new_id
        for kind in (PURCHASE_ORDERS, MANUAL_JOURNALS, TRACKING):
            tenant.records.setdefault(kind, {})

    # ---- tracking ---------------------------------------------------------------------------

    def add_tracking(self, name: str, options: list[str], now: datetime) -> Record:
        """Create an ACTIVE tracking category with ACTIVE options (simulator back door)."""
        category_id = self.new_id()
        data = {
            "TrackingCategoryID": category_id,
            "Name": name,
            "Status": "ACTIVE",
            "Options": [
                {"TrackingOptionID": self.new_id(), "Name": option, "Status": "ACTIVE"}
                for option in options
            ],
        }
        record = Record(category_id, self.tenant.next_seq(), data, now)
        self.tenant.of(TRACKING)[category_id] = record
        return record

    def _tracking_errors(self, tracking: Any) -> list[str]:
        if tracking is None:
            return []
        if not isinstance(tracking, list):
            return ["Tracking must be a list."]
        errors = []
        active = {
            r.data["Name"].casefold(): r.data
            for r in self.tenant.all_of(TRACKING)
            if r.data["Status"] == "ACTIVE"
        }
        for item in tracking:
            name = str(item.get("Name", "")) if isinstance(item, dict) else ""
            option = str(item.get("Option", "")) if isinstance(item, dict) else ""
            category = active.get(name.casefold())
            if category is None:
                errors.append(f"Tracking category '{name}' does not exist.")
            elif option.casefold() not in {
                o["Name"].casefold() for o in category["Options"] if o["Status"] == "ACTIVE"
            }:
                errors.append(f"Tracking option '{option}' does not exist for category '{name}'.")
        return errors

    # ---- shared checks ----------------------------------------------------------------------

    def _contact(self, checked: Checked) -> None:
        raw = checked.element.get("Contact")
        reference = None
        if isinstance(raw, dict):
            reference = raw.get("ContactID") or raw.get("ContactNumber")
        if not reference:
            checked.errors.append("A Contact with a ContactID or ContactNumber must be specified.")
            return
        record = self.contacts.find(str(reference))
        if record is None:
            checked.errors.append(f"The contact '{reference}' could not be found.")
        elif record.data.get("ContactStatus") != "ACTIVE":
            checked.errors.append("The contact is archived and cannot be used on a document.")
        else:
            checked.fields["ContactID"] = record.id

    def _date(self, checked: Checked, key: str, *, required: bool, today: date) -> None:
        value = checked.element.get(key)
        if value in (None, ""):
            if required:
                checked.errors.append(f"{key} must be specified.")
            elif key == "Date":
                checked.fields[key] = today
            return
        try:
            checked.fields[key] = to_date(value)
        except ValueError:
            checked.errors.append(f"{key} is not a valid date.")

    def _choice(self, checked: Checked, key: str, allowed: tuple[str, ...], default: str) -> None:
        value = checked.element.get(key, default)
        if value not in allowed:
            checked.errors.append(f"{key} must be one of {', '.join(allowed)}.")
        else:
            checked.fields[key] = value

    def _lines(self, checked: Checked, *, unit_dp: int) -> None:
        raw = checked.element.get("LineItems")
        if not isinstance(raw, list) or not raw:
            checked.errors.append("At least one line item must be specified.")
            return
        lines = []
        for position, line in enumerate(raw, start=1):
            if not isinstance(line, dict):
                checked.errors.append(f"Line {position} is not an object.")
                continue
            lines.append(self._line(checked, position, line, unit_dp))
        checked.fields["LineItems"] = lines

    def _line(
        self, checked: Checked, position: int, line: dict[str, Any], unit_dp: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: line[k] for k in ("ItemCode", "Description", "AccountCode", "TaxType") if k in line
        }
        if not out.get("Description") and not out.get("ItemCode"):
            checked.errors.append(f"Line {position}: Description must be specified.")
        quantity = _number(line.get("Quantity", 1))
        unit = _number(line["UnitAmount"]) if "UnitAmount" in line else None
        stated = _number(line["LineAmount"]) if "LineAmount" in line else None
        if quantity is None or ("UnitAmount" in line and unit is None):
            checked.errors.append(f"Line {position}: Quantity and UnitAmount must be numbers.")
            return out
        if unit is None:
            if stated is None:
                checked.errors.append(f"Line {position}: UnitAmount or LineAmount must be given.")
                return out
            unit = stated / quantity if quantity else stated
        unit = _round(unit, UNIT_4DP if unit_dp >= 4 else CENT)
        amount = _round(quantity * unit)
        if stated is not None and _round(stated) != amount:
            checked.errors.append(
                f"Line {position}: LineAmount {stated} does not equal Quantity * UnitAmount "
                f"({amount})."
            )
        checked.errors.extend(self._tracking_errors(line.get("Tracking")))
        out.update({"Quantity": quantity, "UnitAmount": unit, "LineAmount": amount})
        if line.get("Tracking"):
            out["Tracking"] = [dict(t) for t in line["Tracking"]]
        return out

    # ---- invoices ---------------------------------------------------------------------------

    def check_invoice(
        self,
        element: dict[str, Any],
        today: date,
        unit_dp: int,
        seen: set[tuple[str, str, str]],
    ) -> Checked:
        """Validate one invoice element; `seen` holds the number keys earlier in the batch.

        A sales invoice number is unique in the organisation; a bill number only per supplier
        (suppliers' numbers collide). This is the simulator's reading of Xero's rule.
        """
        checked = Checked(element)
        self._choice(checked, "Type", _INVOICE_TYPES, "")
        self._choice(checked, "Status", _INVOICE_STATUSES, "DRAFT")
        self._choice(checked, "LineAmountTypes", _AMOUNT_TYPES, "Exclusive")
        self._contact(checked)
        self._date(checked, "Date", required=False, today=today)
        approved = checked.fields.get("Status", "DRAFT") != "DRAFT"
        self._date(checked, "DueDate", required=approved, today=today)
        self._lines(checked, unit_dp=unit_dp)
        number = str(element.get("InvoiceNumber") or "")
        kind = str(element.get("Type", ""))
        if number and "ContactID" in checked.fields:
            scope = checked.fields["ContactID"] if kind == "ACCPAY" else ""
            unique = (kind, scope, number.casefold())
            if unique in seen or self._number_taken("Invoices", "InvoiceNumber", *unique):
                checked.errors.append("Invoice # must be unique.")
            seen.add(unique)
        for key in ("Reference", "CurrencyCode"):
            if key in element:
                checked.fields[key] = element[key]
        checked.fields["InvoiceNumber"] = number or self.tenant.next_number("INV")
        return checked

    def _number_taken(
        self, collection: str, field: str, kind: str, contact_id: str, folded: str
    ) -> bool:
        """Whether an open document of `kind` (for this contact) already has this number."""
        return any(
            r.data.get("Type") == kind
            and (not contact_id or r.data.get("ContactID") == contact_id)
            and str(r.data.get(field, "")).casefold() == folded
            and r.data.get("Status") not in _CLOSED
            for r in self.tenant.all_of(collection)
        )

    def save_invoice(self, checked: Checked, now: datetime) -> Record:
        """Store a valid invoice in the ledger's collection (so GET /Invoices shows it)."""
        data = {"SentToContact": False, "Reference": "", "CurrencyCode": "AUD", **checked.fields}
        for line in data["LineItems"]:
            line.setdefault("LineItemID", self.new_id())
        record_id = self.new_id()
        data["InvoiceID"] = record_id
        record = Record(record_id, self.tenant.next_seq(), data, now)
        self.tenant.of("Invoices")[record_id] = record
        role = "IsCustomer" if data["Type"] == "ACCREC" else "IsSupplier"
        self.contacts.touch(data["ContactID"], {role: True})
        return record

    # ---- credit notes -----------------------------------------------------------------------

    def check_credit_note(
        self,
        element: dict[str, Any],
        today: date,
        unit_dp: int,
        seen: set[tuple[str, str, str]],
    ) -> Checked:
        """Validate one credit note (PUT/POST /CreditNotes); `seen`: numbers earlier in the batch.

        Numbers are unique like invoices': a customer credit note's in the organisation, a
        supplier's per supplier. Reference is kept for ACCRECCREDIT only (the spec's rule).
        """
        checked = Checked(element)
        self._choice(checked, "Type", _CREDIT_TYPES, "")
        self._choice(checked, "Status", _INVOICE_STATUSES, "DRAFT")
        self._choice(checked, "LineAmountTypes", _AMOUNT_TYPES, "Exclusive")
        self._contact(checked)
        self._date(checked, "Date", required=False, today=today)
        self._lines(checked, unit_dp=unit_dp)
        number = str(element.get("CreditNoteNumber") or "")
        kind = str(element.get("Type", ""))
        if number and "ContactID" in checked.fields:
            scope = checked.fields["ContactID"] if kind == "ACCPAYCREDIT" else ""
            unique = (kind, scope, number.casefold())
            if unique in seen or self._number_taken("CreditNotes", "CreditNoteNumber", *unique):
                checked.errors.append("Credit Note # must be unique.")
            seen.add(unique)
        if kind == "ACCRECCREDIT" and "Reference" in element:
            checked.fields["Reference"] = element["Reference"]
        if "CurrencyCode" in element:
            checked.fields["CurrencyCode"] = element["CurrencyCode"]
        if not number and kind == "ACCRECCREDIT":
            number = self.tenant.next_number("CN")
        checked.fields["CreditNoteNumber"] = number
        return checked

    def save_credit_note(self, checked: Checked, now: datetime) -> Record:
        """Store a valid credit note in the ledger's collection (so GET /CreditNotes shows it)."""
        data = {"Reference": "", "CurrencyCode": "AUD", "Allocations": [], **checked.fields}
        for line in data["LineItems"]:
            line.setdefault("LineItemID", self.new_id())
        record_id = self.new_id()
        data["CreditNoteID"] = record_id
        record = Record(record_id, self.tenant.next_seq(), data, now)
        self.tenant.of("CreditNotes")[record_id] = record
        role = "IsSupplier" if data["Type"] == "ACCPAYCREDIT" else "IsCustomer"
        self.contacts.touch(data["ContactID"], {role: True})
        return record

    # ---- purchase orders --------------------------------------------------------------------

    def check_purchase_order(self, element: dict[str, Any], today: date) -> Checked:
        """Validate one purchase order (numbers need not be unique, as in Xero)."""
        checked = Checked(element)
        self._choice(checked, "Status", _PO_STATUSES, "DRAFT")
        self._choice(checked, "LineAmountTypes", _AMOUNT_TYPES, "Exclusive")
        self._contact(checked)
        self._date(checked, "Date", required=False, today=today)
        self._date(checked, "DeliveryDate", required=False, today=today)
        self._lines(checked, unit_dp=2)  # /PurchaseOrders takes no unitdp
        for key in ("Reference", "CurrencyCode", "DeliveryAddress", "AttentionTo"):
            if key in element:
                checked.fields[key] = element[key]
        number = element.get("PurchaseOrderNumber")
        checked.fields["PurchaseOrderNumber"] = number or self.tenant.next_number("PO")
        return checked

    def save_purchase_order(self, checked: Checked, now: datetime) -> Record:
        """Store a valid purchase order."""
        record_id = self.new_id()
        data = {"PurchaseOrderID": record_id, "CurrencyCode": "AUD", **checked.fields}
        record = Record(record_id, self.tenant.next_seq(), data, now)
        self.tenant.of(PURCHASE_ORDERS)[record_id] = record
        return record

    # ---- manual journals --------------------------------------------------------------------

    def check_journal(self, element: dict[str, Any], today: date) -> Checked:
        """Validate one manual journal: narration, at least two lines, debits equal credits."""
        checked = Checked(element)
        narration = element.get("Narration")
        if not isinstance(narration, str) or not narration.strip():
            checked.errors.append("Narration must be specified.")
        else:
            checked.fields["Narration"] = narration
        self._choice(checked, "Status", _JOURNAL_STATUSES, "DRAFT")
        self._choice(checked, "LineAmountTypes", _AMOUNT_TYPES, "NoTax")
        self._date(checked, "Date", required=False, today=today)
        raw = element.get("JournalLines")
        if not isinstance(raw, list) or len(raw) < 2:
            checked.errors.append("A manual journal needs at least two journal lines.")
            return checked
        lines, total = [], Decimal(0)
        for position, line in enumerate(raw, start=1):
            amount = _number(line.get("LineAmount")) if isinstance(line, dict) else None
            if amount is None or amount == 0 or not line.get("AccountCode"):
                checked.errors.append(
                    f"Journal line {position} needs a non-zero LineAmount and an AccountCode."
                )
                continue
            total += _round(amount)
            checked.errors.extend(self._tracking_errors(line.get("Tracking")))
            lines.append({**line, "LineAmount": _round(amount)})
        if total != 0:
            checked.errors.append("The total debits must equal the total credits.")
        checked.fields["JournalLines"] = lines
        return checked

    def save_journal(self, checked: Checked, now: datetime) -> Record:
        """Store a valid manual journal."""
        record_id = self.new_id()
        data = {"ManualJournalID": record_id, **checked.fields}
        record = Record(record_id, self.tenant.next_seq(), data, now)
        self.tenant.of(MANUAL_JOURNALS)[record_id] = record
        return record
