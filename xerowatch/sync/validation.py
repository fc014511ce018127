"""Learner validation before any Xero call: every failure names the field and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.sync.regions import AUSTRALIA, map_au_state, map_country
from xerowatch.sync.sanitize import clean_learner, describe_cleaned, unsafe_codes

# Xero's field limits (spec maxLength).
NAME_MAX = 255
CONTACT_NUMBER_MAX = 50
PERSON_NAME_MAX = 255
EMAIL_MAX = 255
ADDRESS_LINE_MAX = 500
CITY_MAX = 255
REGION_MAX = 255
POSTCODE_MAX = 50

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_AU_POSTCODE = re.compile(r"^\d{4}$")


def xero_accepts_email(email: str) -> bool:
    """Whether Xero takes this address (plain ASCII, one @, a dotted domain, <= 255 chars)."""
    return email.isascii() and len(email) <= EMAIL_MAX and bool(_EMAIL.match(email))


@dataclass(frozen=True)
class Problem:
    """One reason a learner cannot be synced: the field, what is wrong, and the fix."""

    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CleanAddress:
    """An address that passed validation, in Xero's terms."""

    lines: tuple[str, ...]
    city: str | None
    region: str | None
    postcode: str | None
    country: str


def contact_name(learner: SourceLearner) -> str:
    """Xero needs unique names: "First Last RefInternal" (Wisenet's own rule)."""
    parts = [learner.first_name or "", learner.last_name or "", learner.ref_internal]
    return " ".join(" ".join(parts).split())


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _too_long(field: str, value: str | None, limit: int) -> Problem | None:
    if value is not None and len(value) > limit:
        return Problem(
            field,
            f"{field} too long: {len(value)} characters (Xero allows {limit})",
            f"Shorten the learner's {field.lower()} in the source system to {limit} characters",
        )
    return None


def _check_email(email: str | None) -> list[Problem]:
    fix_where = "in the learner's record in the source system"
    if _blank(email):
        return [Problem("Email", "Email missing", f"Enter a valid email address {fix_where}")]
    assert email is not None
    if any(ch.isspace() for ch in email):
        return [
            Problem(
                "Email",
                f"Email has blanks: {email!r}",
                f"Remove the spaces from the email address {fix_where}",
            )
        ]
    if not email.isascii():
        return [
            Problem(
                "Email",
                f"Email has accented or non-Latin letters, which Xero refuses: {email}",
                f"Use the plain-letter form of the address {fix_where}",
            )
        ]
    if not _EMAIL.match(email):
        return [
            Problem("Email", f"Email invalid: {email}", f"Correct the email address {fix_where}")
        ]
    long = _too_long("Email", email, EMAIL_MAX)
    return [long] if long else []


def clean_address(
    address: SourceAddress, label: str, *, required: bool
) -> tuple[CleanAddress | None, list[Problem]]:
    """Validate one address; states and countries must map exactly."""
    problems: list[Problem] = []
    fix_where = f"Correct the learner's {label.lower()} in the source system"
    country: str | None = AUSTRALIA
    if not _blank(address.country):
        country = map_country(address.country)
        if country is None:
            problems.append(Problem("Country", f"Country unknown: {address.country}", fix_where))
    region: str | None = None
    if _blank(address.state):
        if required:
            problems.append(Problem("State", f"{label} has no state", fix_where))
    elif country is None:
        region = None  # the state cannot be checked until the country is known
    elif country == AUSTRALIA:
        region = map_au_state(address.state)
        if region is None:
            problems.append(Problem("State", f"State unknown: {address.state}", fix_where))
    else:
        region = " ".join((address.state or "").split())
    postcode = (address.postcode or "").strip() or None
    if postcode is None:
        if required:
            problems.append(Problem("Postcode", f"{label} has no postcode", fix_where))
    elif country == AUSTRALIA and not _AU_POSTCODE.match(postcode):
        problems.append(
            Problem("Postcode", f"Postcode invalid for Australia: {postcode}", fix_where)
        )
    lines = tuple(" ".join(line.split()) for line in address.lines if line and line.strip())
    for line in lines:
        long = _too_long("Address line", line, ADDRESS_LINE_MAX)
        if long:
            problems.append(long)
    city = " ".join((address.city or "").split()) or None
    for field_name, value, limit in (
        ("City", city, CITY_MAX),
        ("State", region, REGION_MAX),
        ("Postcode", postcode, POSTCODE_MAX),
    ):
        long = _too_long(field_name, value, limit)
        if long:
            problems.append(long)
    if problems or country is None:
        return None, problems
    return CleanAddress(lines[:4], city, region, postcode, country), []


def _has_content(address: SourceAddress | None) -> bool:
    if address is None:
        return False
    parts = [*address.lines, address.city, address.state, address.postcode]
    return any(part and part.strip() for part in parts)


@dataclass(frozen=True)
class ValidLearner:
    """A learner that passed validation, with its cleaned addresses."""

    learner: SourceLearner
    """The learner as mapped: control and bidi-override characters removed."""
    name: str
    postal: CleanAddress | None
    street: CleanAddress | None
    cleaned: tuple[str, ...] = ()
    """Fields that held control or bidi-override characters (removed before mapping)."""
    cleaned_detail: str = ""
    """Those fields with the characters removed, e.g. "FirstName (U+202E)"."""


def validate(learner: SourceLearner) -> tuple[ValidLearner | None, list[Problem]]:
    """Check a learner against the sync rules and Xero's limits (after removing control and
    bidi-override characters from the fields that are mapped)."""
    problems: list[Problem] = []
    where = "in the learner's record in the source system"
    ref_codes = unsafe_codes(learner.ref_internal)
    if "\ufffd" in learner.ref_internal:  # an unpaired surrogate the source model replaced
        ref_codes.append("U+FFFD")
    learner, cleaned = clean_learner(learner)
    if _blank(learner.ref_internal):
        problems.append(
            Problem("RefInternal", "RefInternal missing", f"Set the RefInternal {where}")
        )
    elif ref_codes:
        problems.append(
            Problem(
                "RefInternal",
                f"RefInternal has control or invalid characters ({' '.join(ref_codes)})",
                f"Retype the RefInternal {where}: it identifies the learner's Xero contact",
            )
        )
    if _blank(learner.first_name):
        problems.append(Problem("FirstName", "First name missing", f"Enter the first name {where}"))
    if _blank(learner.last_name):
        problems.append(Problem("LastName", "Last name missing", f"Enter the last name {where}"))
    problems.extend(_check_email(learner.email))
    for field_name, value, limit in (
        ("RefInternal", learner.ref_internal.strip(), CONTACT_NUMBER_MAX),
        ("First name", learner.first_name, PERSON_NAME_MAX),
        ("Last name", learner.last_name, PERSON_NAME_MAX),
        ("Contact name", contact_name(learner), NAME_MAX),
    ):
        long = _too_long(field_name, value, limit)
        if long:
            problems.append(long)
    postal_present = _has_content(learner.postal_address)
    street_present = _has_content(learner.street_address)
    if not postal_present and not street_present:
        problems.append(
            Problem(
                "Address", "Address missing", f"Enter an address with state and postcode {where}"
            )
        )
    postal = street = None
    if postal_present and learner.postal_address is not None:
        postal, found = clean_address(learner.postal_address, "Postal address", required=True)
        problems.extend(found)
    if street_present and learner.street_address is not None:
        street, found = clean_address(
            learner.street_address, "Street address", required=not postal_present
        )
        problems.extend(found)
    if problems:
        return None, problems
    return (
        ValidLearner(
            learner,
            contact_name(learner),
            postal,
            street,
            cleaned=tuple(cleaned),
            cleaned_detail=describe_cleaned(cleaned),
        ),
        [],
    )
