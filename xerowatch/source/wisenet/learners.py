"""Wisenet learner records (`LearnerAuItem` envelopes) → `SourceLearner`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_pascal

from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.source.wisenet.combos import Combos
from xerowatch.source.wisenet.timestamps import TimestampError, parse_timestamp


class LearnerDataError(ValueError):
    """A learner record that cannot become a SourceLearner; `record` names it for an alert."""

    def __init__(self, record: str, message: str) -> None:
        super().__init__(f"{record}: {message}")
        self.record = record
        self.message = message


class _Wire(BaseModel):
    """Wisenet JSON: PascalCase names, unknown fields ignored, numbers accepted as text."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="ignore",
        coerce_numbers_to_str=True,
        frozen=True,
    )


class WisenetAddress(_Wire):
    """`LearnerAuPersonalPostalAddress` / `...StreetAddress`."""

    building_name: str | None = None
    unit_details: str | None = None
    street_number: str | None = None
    street_name: str | None = None
    extra_address_line: str | None = None
    po_box: str | None = None
    suburb_town_city: str | None = None
    state_id: int | None = None
    postcode: str | None = None
    country_id: int | None = None


class WisenetEmails(_Wire):
    """`EmailAddresses`."""

    email: str | None = None
    alternative_email: str | None = None


class WisenetPhones(_Wire):
    """`PhoneNumbers`."""

    phone_home: str | None = None
    phone_work: str | None = None
    mobile: str | None = None


class WisenetPersonal(_Wire):
    """The parts of `Personal` that xerowatch uses."""

    is_active: bool | None = None
    first_name: str | None = None
    last_name: str | None = None
    learner_number: str | None = None
    sync_to_xero: bool | None = None
    phone_numbers: WisenetPhones | None = None
    email_addresses: WisenetEmails | None = None
    street_address: WisenetAddress | None = None
    postal_address: WisenetAddress | None = None


class WisenetLearner(_Wire):
    """`LearnerAu` (the `Data` part of a learner item)."""

    learner_id: int
    last_modified_time_stamp: str | None = None
    personal: WisenetPersonal | None = None


def unwrap(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the `Data` part of an envelope, or the item itself when it is not wrapped."""
    data = item.get("Data")
    return data if isinstance(data, Mapping) else item


def map_learner(item: Mapping[str, Any], combos: Combos, zone: ZoneInfo) -> SourceLearner:
    """Map one learner item to a SourceLearner, or raise LearnerDataError."""
    data = unwrap(item)
    record = f"Wisenet learner {data.get('LearnerId', '?')}"
    try:
        wire = WisenetLearner.model_validate(data)
    except ValidationError as exc:
        raise LearnerDataError(record, _first_error(exc)) from None
    personal = wire.personal or WisenetPersonal()
    ref_internal = _text(personal.learner_number)
    if ref_internal is None:
        raise LearnerDataError(record, "Personal.LearnerNumber (RefInternal) is empty")
    modified_at = None
    if wire.last_modified_time_stamp:
        try:
            modified_at = parse_timestamp(wire.last_modified_time_stamp, zone)
        except TimestampError as exc:
            raise LearnerDataError(record, f"LastModifiedTimeStamp: {exc}") from None
    phones = personal.phone_numbers or WisenetPhones()
    emails = personal.email_addresses or WisenetEmails()
    return SourceLearner(
        source_id=str(wire.learner_id),
        ref_internal=ref_internal,
        first_name=_text(personal.first_name),
        last_name=_text(personal.last_name),
        email=_text(emails.email),
        postal_address=map_address(personal.postal_address, combos, postal=True),
        street_address=map_address(personal.street_address, combos, postal=False),
        mobile=_text(phones.mobile),
        phone_home=_text(phones.phone_home),
        phone_work=_text(phones.phone_work),
        sync_to_xero=personal.sync_to_xero is not False,
        is_active=personal.is_active is not False,
        modified_at=modified_at,
    )


def map_address(
    address: WisenetAddress | None, combos: Combos, *, postal: bool
) -> SourceAddress | None:
    """Build address lines from Wisenet's parts; None when the address is entirely empty."""
    if address is None:
        return None
    street = " ".join(
        part
        for part in (
            _text(address.unit_details),
            _text(address.street_number),
            _text(address.street_name),
        )
        if part
    )
    lines = [_text(address.building_name), street or None, _text(address.extra_address_line)]
    if postal:
        lines.append(_po_box(address.po_box))
    result = SourceAddress(
        lines=tuple(line for line in lines if line),
        city=_text(address.suburb_town_city),
        state=combos.state(address.state_id),
        postcode=_text(address.postcode),
        country=combos.country(address.country_id),
    )
    return None if result == SourceAddress() else result


def _po_box(value: str | None) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return f"PO Box {text}" if text.isdigit() else text


def _text(value: str | None) -> str | None:
    """Trim surrounding blanks (inner ones are left for the engine to judge); empty is None."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = "/".join(str(part) for part in err["loc"]) or "record"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{extra}"
