"""The contact directory of one organisation: reads, and batch writes answered per element.

Rules (spec `Contact`, the spec's duplicate-name 400 example, notes §3-§4):
- POST updates the contact whose ContactID is given, otherwise creates one; Name is needed to
  create. Addresses and Phones are replaced per AddressType / PhoneType, other fields merged.
- Name must be unique across ACTIVE contacts (compared without case or outer blanks).
- ARCHIVED contacts are read-only unless the same write sets ContactStatus ACTIVE; GDPRREQUEST
  contacts are read-only and that status cannot be set through the API.
- Choices the notes leave open, made strict on purpose so a careless client shows up: a
  ContactNumber already on another contact is refused (never silently merged), and an unknown
  ContactID is refused (never turned into a create).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from tests.independent_xero.where import Predicate
from tests.independent_xero.wire import Since
from xerowatch.clock import Clock

DUPLICATE_NAME = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
ARCHIVED_READ_ONLY = "The contact is archived and cannot be edited."
GDPR_READ_ONLY = "The contact has been anonymised (GDPR request) and cannot be edited."
_MAX_LENGTHS = {
    "Name": 255,
    "ContactNumber": 50,
    "AccountNumber": 50,
    "FirstName": 255,
    "LastName": 255,
    "EmailAddress": 255,
    "CompanyNumber": 50,
    "TaxNumber": 50,
}
_ADDRESS_LENGTHS = {
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
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_SCALARS = (*_MAX_LENGTHS, "ContactStatus", "DefaultCurrency")
_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
_LIGHT_FIELDS = (
    "ContactID",
    "ContactNumber",
    "AccountNumber",
    "ContactStatus",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "UpdatedDateUTC",
    "IsSupplier",
    "IsCustomer",
    "MergedToContactID",
)
FIELDS = frozenset((*_SCALARS, "ContactID", "UpdatedDateUTC", "IsSupplier", "IsCustomer"))


def name_key(name: str) -> str:
    """How Name uniqueness is compared."""
    return " ".join(name.split()).casefold()


class ContactBook:
    """Contacts in creation order, with the indexes uniqueness checks need."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._by_id: dict[str, dict[str, Any]] = {}
        self._active_names: dict[str, str] = {}
        self._numbers: dict[str, str] = {}

    # -- reads ----------------------------------------------------------------------------

    def find(self, key: str) -> dict[str, Any] | None:
        """A contact by ContactID (a GUID) or else by ContactNumber, any status."""
        try:
            by_id = self._by_id.get(str(uuid.UUID(key)))
        except ValueError:
            by_id = None
        if by_id is not None:
            return by_id
        found = self._numbers.get(key.strip().casefold())
        return self._by_id.get(found) if found else None

    def select(
        self,
        *,
        since: Since | None,
        include_archived: bool,
        ids: Iterable[str],
        where: Predicate,
        search: str = "",
    ) -> list[dict[str, Any]]:
        """Contacts matching the list filters, in creation order."""
        wanted = {i.lower() for i in ids}
        needle = search.casefold()
        out = []
        for contact in self._by_id.values():
            if contact["ContactStatus"] != "ACTIVE" and not include_archived:
                continue
            if wanted and contact["ContactID"] not in wanted:
                continue
            if since is not None and not since.admits(contact["UpdatedDateUTC"]):
                continue
            if needle and not any(
                needle in str(contact.get(f) or "").casefold()
                for f in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
            ):
                continue
            if where(contact):
                out.append(contact)
        return out

    def render(self, contact: Mapping[str, Any], *, summary_only: bool = False) -> dict[str, Any]:
        """A contact as GET answers it (summaryOnly drops addresses, phones and persons)."""
        if summary_only:
            return {field: contact[field] for field in _LIGHT_FIELDS if field in contact}
        full = {key: value for key, value in contact.items() if not key.startswith("_")}
        full.setdefault("Addresses", [])
        full.setdefault("Phones", [])
        full.update({"ContactGroups": [], "ContactPersons": [], "HasAttachments": False})
        full["HasValidationErrors"] = False
        return full

    def all(self) -> list[dict[str, Any]]:
        """Every contact, rendered in full."""
        return [self.render(contact) for contact in self._by_id.values()]

    # -- writes ---------------------------------------------------------------------------

    def write(self, element: Any) -> tuple[dict[str, Any], bool]:
        """Create or update one element; return its answer and whether it was saved."""
        if not isinstance(element, dict):
            return self._refused({}, ["A contact must be a JSON object."]), False
        errors, target = self._check(element)
        if errors:
            return self._refused(element, errors), False
        saved = self._apply(element, target)
        return {**self.render(saved), "StatusAttributeString": "OK"}, True

    def add(self, **fields: Any) -> dict[str, Any]:
        """Seed a contact through the same rules as a write (raises ValueError if refused)."""
        answer, saved = self.write(fields)
        if not saved:
            raise ValueError("; ".join(e["Message"] for e in answer["ValidationErrors"]))
        return answer

    def set_status(self, contact_id: str, status: str) -> None:
        """Archive or re-activate a contact as a user in Xero would (bumps UpdatedDateUTC)."""
        contact = self._by_id[contact_id]
        self._unindex(contact)
        contact["ContactStatus"] = status
        contact["UpdatedDateUTC"] = self._clock.now()
        self._index(contact)

    def _check(self, element: Mapping[str, Any]) -> tuple[list[str], dict[str, Any] | None]:
        errors = _field_errors(element)
        target: dict[str, Any] | None = None
        raw_id = element.get("ContactID")
        if raw_id:
            target = self.find(str(raw_id)) if _is_guid(raw_id) else None
            if target is None or target["ContactID"] != str(raw_id).lower():
                return [f"The contact with ContactID {raw_id} could not be found."], None
        status = element.get("ContactStatus")
        if status == "GDPRREQUEST":
            errors.append("ContactStatus GDPRREQUEST cannot be set through the API.")
        if target is not None and target["ContactStatus"] == "GDPRREQUEST":
            errors.append(GDPR_READ_ONLY)
        if target is not None and target["ContactStatus"] == "ARCHIVED" and status != "ACTIVE":
            errors.append(ARCHIVED_READ_ONLY)
        name = element.get("Name", target["Name"] if target else None)
        if not isinstance(name, str) or not name.strip():
            errors.append("A contact name must be specified.")
        final_status = status or (target["ContactStatus"] if target else "ACTIVE")
        own_id = target["ContactID"] if target else None
        if isinstance(name, str) and name.strip() and final_status == "ACTIVE":
            holder = self._active_names.get(name_key(name))
            if holder is not None and holder != own_id:
                errors.append(DUPLICATE_NAME.format(name=name))
        number = element.get("ContactNumber")
        if isinstance(number, str) and number.strip():
            holder = self._numbers.get(number.strip().casefold())
            if holder is not None and holder != own_id:
                errors.append(f"The contact number {number} is already used by another contact.")
        return errors, target

    def _apply(self, element: Mapping[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
        if target is None:
            target = {"ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE"}
            target.update({"IsSupplier": False, "IsCustomer": False})
            self._by_id[target["ContactID"]] = target
        else:
            self._unindex(target)
        for field in _SCALARS:
            if field in element:
                target[field] = element[field]
        for field, kind in (("Addresses", "AddressType"), ("Phones", "PhoneType")):
            if isinstance(element.get(field), list):
                target[field] = _merge_by_type(target.get(field, []), element[field], kind)
        target["UpdatedDateUTC"] = self._clock.now()
        self._index(target)
        return target

    def _index(self, contact: Mapping[str, Any]) -> None:
        if contact["ContactStatus"] == "ACTIVE" and contact.get("Name"):
            self._active_names[name_key(contact["Name"])] = contact["ContactID"]
        number = (contact.get("ContactNumber") or "").strip().casefold()
        if number:
            self._numbers[number] = contact["ContactID"]

    def _unindex(self, contact: Mapping[str, Any]) -> None:
        key = name_key(contact.get("Name") or "")
        if self._active_names.get(key) == contact["ContactID"]:
            del self._active_names[key]
        number = (contact.get("ContactNumber") or "").strip().casefold()
        if self._numbers.get(number) == contact["ContactID"]:
            del self._numbers[number]

    @staticmethod
    def _refused(element: Mapping[str, Any], errors: list[str]) -> dict[str, Any]:
        return {
            **element,
            "StatusAttributeString": "ERROR",
            "HasValidationErrors": True,
            "ValidationErrors": [{"Message": message} for message in errors],
        }


def _is_guid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _field_errors(element: Mapping[str, Any]) -> list[str]:
    errors = []
    for field, limit in _MAX_LENGTHS.items():
        value = element.get(field)
        if value is not None and not isinstance(value, str):
            errors.append(f"{field} must be text.")
        elif value is not None and len(value) > limit:
            errors.append(f"{field} must not be longer than {limit} characters.")
    status = element.get("ContactStatus")
    if status is not None and status not in _STATUSES:
        errors.append(f"ContactStatus {status!r} is not one of {', '.join(_STATUSES)}.")
    email = element.get("EmailAddress")
    if isinstance(email, str) and email and not _EMAIL.match(email):
        errors.append("Email address must be valid.")
    for address in element.get("Addresses") or []:
        if not isinstance(address, dict) or address.get("AddressType") not in ("POBOX", "STREET"):
            errors.append("Each address needs an AddressType of POBOX or STREET.")
            continue
        for field, limit in _ADDRESS_LENGTHS.items():
            value = address.get(field)
            if isinstance(value, str) and len(value) > limit:
                errors.append(f"{field} must not be longer than {limit} characters.")
    for phone in element.get("Phones") or []:
        number = phone.get("PhoneNumber") if isinstance(phone, dict) else None
        if isinstance(number, str) and len(number) > 50:
            errors.append("PhoneNumber must not be longer than 50 characters.")
    return errors


def _merge_by_type(
    current: list[dict[str, Any]], incoming: list[dict[str, Any]], kind: str
) -> list[dict[str, Any]]:
    by_type = {item.get(kind): item for item in current}
    for item in incoming:
        by_type[item.get(kind)] = dict(item)
    return list(by_type.values())
