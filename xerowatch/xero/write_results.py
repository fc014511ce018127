"""Per-input outcomes of a contact batch write, read from Xero's `summarizeErrors=false` answer.

Xero answers element by element, in input order. Each element is checked before it counts as
saved: validation errors make it REJECTED; a missing ContactID, or a ContactID/ContactNumber
that is not the one sent, makes it FAILED (Xero-NetStandard#324: "no errors" yet nothing saved).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from xerowatch.xero.errors import XeroError, XeroResponseError, XeroValidationError
from xerowatch.xero.models import Contact, ValidationMessage


class WriteStatus(StrEnum):
    """What happened to one element of a batch write."""

    OK = "ok"
    """Saved; `contact` is Xero's copy (with its ContactID)."""
    REJECTED = "rejected"
    """Xero (or a local limit) refused the element; `messages` say why. Fix the data."""
    FAILED = "failed"
    """Its request failed or its answer was unusable; `error` says why. Outcome unknown."""
    NOT_SENT = "not_sent"
    """Never sent: an earlier request hit an error that stops the batch (auth, rate limit)."""


@dataclass(frozen=True)
class ContactWriteResult:
    """The outcome for one input of `upsert_contacts`, by its index in the input."""

    index: int
    submitted: Contact
    status: WriteStatus
    contact: Contact | None = None
    messages: tuple[str, ...] = ()
    """Validation messages when REJECTED; Xero's warnings when OK."""
    error: XeroError | None = None
    correlation_id: str | None = None
    """Xero-Correlation-Id of the answer this outcome was read from (None: no answer)."""

    @property
    def ok(self) -> bool:
        """True when Xero saved the contact."""
        return self.status is WriteStatus.OK


def contact_result(
    contacts: Sequence[Contact],
    index: int,
    status: WriteStatus,
    *,
    contact: Contact | None = None,
    messages: tuple[str, ...] = (),
    error: XeroError | None = None,
) -> ContactWriteResult:
    """Build the result for input `index`."""
    return ContactWriteResult(index, contacts[index], status, contact, messages, error)


def rejected_request_results(
    contacts: Sequence[Contact], indexes: list[int], exc: XeroValidationError
) -> dict[int, ContactWriteResult]:
    """A whole request answered 400: REJECTED where an error element names one input, else FAILED.

    A 400 body may list only the failing elements, so positions in `Elements` say nothing about
    inputs; an element is matched by the ContactID, ContactNumber or Name it echoes, and only
    when exactly one input of the request carries it.
    """
    messages_for: dict[int, tuple[str, ...]] = {}
    for element_error in exc.elements:
        matches = [i for i in indexes if _echoes(contacts[i], element_error.element)]
        if len(matches) == 1:
            messages_for[matches[0]] = tuple(element_error.messages)
    results = {}
    for index in indexes:
        messages = messages_for.get(index)
        if messages:
            results[index] = contact_result(
                contacts, index, WriteStatus.REJECTED, messages=messages, error=exc
            )
        else:
            results[index] = contact_result(contacts, index, WriteStatus.FAILED, error=exc)
    return results


def _echoes(contact: Contact, element: Mapping[str, Any]) -> bool:
    """Whether an error element echoes this input (by ContactID, else ContactNumber, else Name)."""
    if contact.contact_id is not None:
        return str(element.get("ContactID", "")).lower() == str(contact.contact_id)
    if contact.contact_number:
        return str(element.get("ContactNumber", "")).casefold() == contact.contact_number.casefold()
    return bool(contact.name) and element.get("Name") == contact.name


def answer_results(
    contacts: Sequence[Contact], indexes: list[int], body: Any
) -> dict[int, ContactWriteResult]:
    """Map a `summarizeErrors=false` answer back to the inputs, element by element."""
    raw = body.get("Contacts") if isinstance(body, Mapping) else None
    if not isinstance(raw, list) or len(raw) != len(indexes):
        got = len(raw) if isinstance(raw, list) else "no"
        error = XeroResponseError(f"POST /Contacts: sent {len(indexes)} contacts, got {got} back")
        return {i: contact_result(contacts, i, WriteStatus.FAILED, error=error) for i in indexes}
    return {
        index: _answer(contacts, index, element)
        for index, element in zip(indexes, raw, strict=True)
    }


def _answer(contacts: Sequence[Contact], index: int, element: Any) -> ContactWriteResult:
    submitted = contacts[index]
    try:
        saved = Contact.model_validate(element)
    except ValidationError:
        error = XeroResponseError(f"POST /Contacts: element {index} of the answer is unreadable")
        return contact_result(contacts, index, WriteStatus.FAILED, error=error)
    messages = saved.validation_messages()
    if saved.has_validation_errors or messages or saved.status_attribute_string == "ERROR":
        reason = tuple(messages) or ("Xero reported an error without a message",)
        return contact_result(contacts, index, WriteStatus.REJECTED, contact=saved, messages=reason)
    problem = _mismatch(submitted, saved)
    if problem:
        error = XeroResponseError(f"POST /Contacts: element {index}: {problem}")
        return contact_result(contacts, index, WriteStatus.FAILED, contact=saved, error=error)
    warnings = _warnings(element)
    return contact_result(contacts, index, WriteStatus.OK, contact=saved, messages=warnings)


def _mismatch(submitted: Contact, saved: Contact) -> str | None:
    """Why `saved` cannot be the answer for `submitted`, or None if it can."""
    if saved.contact_id is None:
        return "Xero reported success but returned no ContactID"
    if submitted.contact_id is not None and saved.contact_id != submitted.contact_id:
        return "the answer is for another ContactID (results out of order)"
    sent_number = (submitted.contact_number or "").casefold()
    if sent_number and (saved.contact_number or "").casefold() != sent_number:
        return "the answer carries another ContactNumber (results out of order)"
    return None


def _warnings(element: Any) -> tuple[str, ...]:
    raw = element.get("Warnings") if isinstance(element, Mapping) else None
    if not isinstance(raw, list):
        return ()
    messages = []
    for item in raw:
        try:
            message = ValidationMessage.model_validate(item).message
        except ValidationError:
            continue
        if message:
            messages.append(message)
    return tuple(messages)
