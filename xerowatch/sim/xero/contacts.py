"""Contacts: validation, uniqueness rules, archived/GDPR rules and batch writes with rollback."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xerowatch.sim.xero.dates import ms_json
from xerowatch.sim.xero.listing import KindSpec
from xerowatch.sim.xero.state import Record, Tenant

CONTACTS_SPEC = KindSpec(
    kind="Contacts",
    where_fields={
        "ContactID": "guid",
        "Name": "string",
        "ContactNumber": "string",
        "AccountNumber": "string",
        "EmailAddress": "string",
        "ContactStatus": "string",
        "FirstName": "string",
        "LastName": "string",
        "IsCustomer": "bool",
        "IsSupplier": "bool",
        "UpdatedDateUTC": "datetime",
    },
    search_fields=("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"),
    list_params=frozenset({"IDs", "includeArchived", "summaryOnly", "searchTerm"}),
    summary_omit=frozenset(
        {
            "Addresses",
            "Phones",
            "ContactPersons",
            "ContactGroups",
            "Balances",
            "PaymentTerms",
            "BatchPayments",
            "SalesTrackingCategories",
            "PurchasesTrackingCategories",
        }
    ),
    hides_archived=True,
    status_field="ContactStatus",
    contact_path="ContactID",
)

_TEXT_LIMITS: dict[str, int | None] = {
    "Name": 255,
    "ContactNumber": 50,
    "AccountNumber": 50,
    "FirstName": 255,
    "LastName": 255,
    "EmailAddress": 255,
    "CompanyNumber": 50,
    "TaxNumber": 50,
    "BankAccountDetails": None,
    "AccountsReceivableTaxType": None,
    "AccountsPayableTaxType": None,
}
_ADDRESS_LIMITS = {
    "AddressLine1": 500,
    "AddressLine2": 500,
    "AddressLine3": 500,
    "AddressLine4": 500,
    "City": 255,
    "Region": 255,
    "PostalCode": 50,
    "Country": 50,
    "AttentionTo": 255,
}
_PHONE_LIMITS = {"PhoneNumber": 50, "PhoneAreaCode": 10, "PhoneCountryCode": 20}
_PERSON_LIMITS: dict[str, int | None] = {"FirstName": 255, "LastName": 255, "EmailAddress": 255}
_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

ARCHIVED_MESSAGE = "The contact is archived and cannot be edited."


def duplicate_name_message(name: str) -> str:
    """Xero's exact message for a Name used by another active contact."""
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _check_text(
    where: str, values: dict[str, Any], limits: dict[str, int | None], out: dict[str, Any]
) -> list[str]:
    errors: list[str] = []
    for name, limit in limits.items():
        if name not in values or values[name] is None:
            continue
        value = values[name]
        if not isinstance(value, str):
            errors.append(f"{where}{name} must be text.")
        elif limit is not None and len(value) > limit:
            errors.append(f"{where}{name} must not be more than {limit} characters long.")
        else:
            out[name] = value
    return errors


def _check_list(
    item: dict[str, Any], key: str, check: Callable[[dict[str, Any], dict[str, Any]], list[str]]
) -> tuple[list[dict[str, Any]] | None, list[str]]:
    if key not in item:
        return None, []
    if not isinstance(item[key], list) or not all(isinstance(x, dict) for x in item[key]):
        return None, [f"{key} must be a list of objects."]
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for entry in item[key]:
        out: dict[str, Any] = {}
        errors.extend(check(entry, out))
        cleaned.append(out)
    return cleaned, errors


def _address(entry: dict[str, Any], out: dict[str, Any]) -> list[str]:
    errors = _check_text("Address ", entry, dict(_ADDRESS_LIMITS), out)
    kind = entry.get("AddressType")
    if kind not in ("POBOX", "STREET"):
        errors.append("Address AddressType must be POBOX or STREET.")
    else:
        out["AddressType"] = kind
    return errors


def _phone(entry: dict[str, Any], out: dict[str, Any]) -> list[str]:
    errors = _check_text("Phone ", entry, dict(_PHONE_LIMITS), out)
    kind = entry.get("PhoneType")
    if kind not in ("DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE"):
        errors.append("Phone PhoneType must be DEFAULT, DDI, MOBILE, FAX or OFFICE.")
    else:
        out["PhoneType"] = kind
    return errors


def _person(entry: dict[str, Any], out: dict[str, Any]) -> list[str]:
    errors = _check_text("Contact person ", entry, _PERSON_LIMITS, out)
    if isinstance(entry.get("IncludeInEmails"), bool):
        out["IncludeInEmails"] = entry["IncludeInEmails"]
    return errors


def clean_contact(item: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Keep the writable fields that are valid; return them and messages for the invalid ones.

    Read-only and unknown fields are ignored, as Xero ignores them; invalid values are left out
    of the cleaned copy so an echoed element still satisfies the spec.
    """
    cleaned: dict[str, Any] = {}
    errors = _check_text("", item, _TEXT_LIMITS, cleaned)
    email = cleaned.get("EmailAddress")
    if email and not (email.isascii() and _EMAIL.match(email)):
        errors.append("Email address must be valid.")
        del cleaned["EmailAddress"]
    if "ContactStatus" in item:
        if item["ContactStatus"] in _STATUSES:
            cleaned["ContactStatus"] = item["ContactStatus"]
        else:
            errors.append("ContactStatus must be ACTIVE or ARCHIVED.")
    if "ContactID" in item:
        try:
            cleaned["ContactID"] = str(uuid.UUID(str(item["ContactID"])))
        except ValueError:
            errors.append("ContactID must be a GUID.")
    for key, check in (("Addresses", _address), ("Phones", _phone), ("ContactPersons", _person)):
        entries, list_errors = _check_list(item, key, check)
        errors.extend(list_errors)
        if entries is not None and not list_errors:
            cleaned[key] = entries
    if len(cleaned.get("ContactPersons", [])) > 5:
        errors.append("A contact can have at most 5 contact persons.")
        del cleaned["ContactPersons"]
    return cleaned, errors


@dataclass
class ElementOutcome:
    """The result of one element of a batch write, in input order."""

    element: dict[str, Any]
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Render with StatusAttributeString, HasValidationErrors and ValidationErrors."""
        body = dict(self.element)
        body["StatusAttributeString"] = "ERROR" if self.errors else "OK"
        body["HasValidationErrors"] = bool(self.errors)
        if self.errors:
            body["ValidationErrors"] = [{"Message": message} for message in self.errors]
        return body


class ContactBook:
    """One tenant's contacts with the indexes their uniqueness rules need."""

    def __init__(self, tenant: Tenant, new_id: Callable[[], str]) -> None:
        self.tenant = tenant
        self.records = tenant.of("Contacts")
        self.new_id = new_id
        self._by_name: dict[str, set[str]] = {}
        self._by_number: dict[str, str] = {}

    def find(self, reference: str) -> Record | None:
        """Look a contact up by ContactID, else by ContactNumber."""
        try:
            return self.records.get(str(uuid.UUID(reference)))
        except ValueError:
            contact_id = self._by_number.get(reference)
            return self.records.get(contact_id) if contact_id else None

    def render(self, record: Record) -> dict[str, Any]:
        """Render a stored contact as Xero JSON."""
        body = {"ContactID": record.id, **copy.deepcopy(record.data)}
        body["UpdatedDateUTC"] = ms_json(record.updated_at)
        return body

    def summary(self, contact_id: str) -> dict[str, Any]:
        """The short Contact object embedded in transactions."""
        record = self.records.get(contact_id)
        if record is None:
            return {"ContactID": contact_id}
        keys = ("ContactID", "ContactNumber", "Name", "ContactStatus", "EmailAddress")
        return {key: record.data[key] for key in keys if key in record.data}

    def _index(self, record: Record) -> None:
        self._by_name.setdefault(_name_key(record.data.get("Name", "")), set()).add(record.id)
        if record.data.get("ContactNumber"):
            self._by_number[record.data["ContactNumber"]] = record.id

    def _unindex(self, record: Record) -> None:
        self._by_name.get(_name_key(record.data.get("Name", "")), set()).discard(record.id)
        if self._by_number.get(record.data.get("ContactNumber", "")) == record.id:
            del self._by_number[record.data["ContactNumber"]]

    def _store(self, record: Record) -> None:
        old = self.records.get(record.id)
        if old is not None:
            self._unindex(old)
        self.records[record.id] = record
        self._index(record)

    def remove(self, contact_id: str) -> Record:
        """Delete a contact outright (merge simulation)."""
        record = self.records.pop(contact_id)
        self._unindex(record)
        return record

    def _conflicts(self, fields: dict[str, Any], own_id: str | None) -> list[str]:
        errors: list[str] = []
        name = fields.get("Name", "")
        if fields.get("ContactStatus", "ACTIVE") == "ACTIVE" and name:
            for other in self._by_name.get(_name_key(name), set()) - {own_id}:
                if self.records[other].data.get("ContactStatus") == "ACTIVE":
                    errors.append(duplicate_name_message(name))
                    break
        number = fields.get("ContactNumber")
        if number and self._by_number.get(number, own_id) != own_id:
            errors.append(f"The contact number {number} is already assigned to another contact.")
        return errors

    def _resolve_target(
        self, cleaned: dict[str, Any], create_only: bool, target_id: str | None
    ) -> tuple[Record | None, list[str]]:
        if target_id is not None:
            return self.records[target_id], []
        contact_id = cleaned.get("ContactID")
        if create_only:
            if contact_id and contact_id in self.records:
                return None, [f"A contact with ContactID {contact_id} already exists."]
            return None, []
        if contact_id:
            record = self.records.get(contact_id)
            return (record, []) if record else (None, [f"Contact {contact_id} was not found."])
        number = cleaned.get("ContactNumber")
        if number and number in self._by_number:
            return self.records[self._by_number[number]], []
        return None, []

    def apply(
        self,
        item: Any,
        now: datetime,
        *,
        create_only: bool,
        target_id: str | None = None,
        seeding: bool = False,
    ) -> tuple[ElementOutcome, Record | None, Record | None]:
        """Validate and apply one element; returns (outcome, previous record, new record)."""
        if not isinstance(item, dict):
            return ElementOutcome({}, ["A contact must be a JSON object."]), None, None
        cleaned, errors = clean_contact(item)
        if errors:
            return ElementOutcome(cleaned, errors), None, None
        target, errors = self._resolve_target(cleaned, create_only, target_id)
        if target is None and errors:
            return ElementOutcome(cleaned, errors), None, None
        cleaned.pop("ContactID", None)
        status = cleaned.get("ContactStatus")
        if status == "GDPRREQUEST" and not seeding:
            errors.append("ContactStatus GDPRREQUEST cannot be set through the API.")
        if target is not None:
            current = target.data.get("ContactStatus", "ACTIVE")
            if current == "GDPRREQUEST" and not seeding:
                errors.append(
                    "The contact has been anonymised (GDPR request) and cannot be edited."
                )
            elif current == "ARCHIVED" and status != "ACTIVE" and not seeding:
                errors.append(ARCHIVED_MESSAGE)
            merged = {**target.data, **cleaned}
        else:
            merged = {**_new_contact_defaults(), **cleaned}
            if not str(merged.get("Name", "")).strip():
                errors.append("The contact name must be specified.")
        own_id = target.id if target is not None else None
        errors.extend(self._conflicts(merged, own_id))
        if errors:
            echo = {**cleaned, "ContactID": own_id} if own_id else cleaned
            return ElementOutcome(echo, errors), None, None
        contact_id = own_id or self.new_id()
        merged["ContactID"] = contact_id
        seq = target.seq if target is not None else self.tenant.next_seq()
        record = Record(contact_id, seq, merged, now)
        self._store(record)
        return ElementOutcome(self.render(record)), target, record

    def write_batch(
        self,
        items: list[Any],
        now: datetime,
        *,
        create_only: bool,
        target_id: str | None = None,
        atomic: bool,
    ) -> list[ElementOutcome]:
        """Apply elements in order; when `atomic`, any error undoes every element of the batch."""
        outcomes: list[ElementOutcome] = []
        undo: list[tuple[str, Record | None]] = []
        for item in items:
            outcome, previous, record = self.apply(
                item, now, create_only=create_only, target_id=target_id
            )
            outcomes.append(outcome)
            if record is not None:
                undo.append((record.id, previous))
        if atomic and any(outcome.errors for outcome in outcomes):
            for contact_id, previous in reversed(undo):
                self.remove(contact_id)
                if previous is not None:
                    self._store(previous)
        return outcomes

    def set_fields(self, contact_id: str, fields: dict[str, Any], now: datetime) -> Record:
        """Overwrite fields without API validation (simulator back door); bumps UpdatedDateUTC."""
        old = self.records[contact_id]
        record = Record(contact_id, old.seq, {**old.data, **fields, "ContactID": contact_id}, now)
        self._store(record)
        return record

    def touch(self, contact_id: str, fields: dict[str, Any]) -> None:
        """Change fields Xero does not treat as edits (IsCustomer), keeping UpdatedDateUTC."""
        old = self.records.get(contact_id)
        if old is not None:
            old.data.update(fields)


def _new_contact_defaults() -> dict[str, Any]:
    return {
        "ContactStatus": "ACTIVE",
        "Addresses": [{"AddressType": "POBOX"}, {"AddressType": "STREET"}],
        "Phones": [{"PhoneType": kind} for kind in ("DEFAULT", "DDI", "FAX", "MOBILE")],
        "ContactGroups": [],
        "ContactPersons": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
