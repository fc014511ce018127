"""The simulator's stored data: tenants and their records, plus Xero's date renderings."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Re-exported: renderers written against state (e.g. the document routes) import it from here.
from xerowatch.sim.xero.dates import ms_json as ms_json

KINDS = ("Contacts", "Invoices", "CreditNotes", "Overpayments", "Prepayments", "Payments")
ID_FIELDS = {
    "Contacts": "ContactID",
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "Overpayments": "OverpaymentID",
    "Prepayments": "PrepaymentID",
    "Payments": "PaymentID",
}
_ALIASES = {kind.lower().rstrip("s"): kind for kind in KINDS}
CENT = Decimal("0.01")


def kind_name(kind: str) -> str:
    """Normalise 'invoice', 'Invoices', 'credit_note' … to the Xero collection name."""
    key = kind.replace("_", "").replace("-", "").lower().rstrip("s")
    try:
        return _ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {KINDS}") from None


def ms_json_date(value: date) -> str:
    """Render a date-only field as Xero does: midnight UTC in MS-JSON."""
    return ms_json(datetime(value.year, value.month, value.day, tzinfo=UTC))


def iso_naive(value: datetime) -> str:
    """Render an instant as Xero's zone-less UTC ISO string (e.g. `createdDateUtc`)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def to_date(value: Any) -> date:
    """Accept a date, a datetime or `YYYY-MM-DD` text for seeding transactions."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise ValueError(f"not a date: {value!r}")


def money(value: Any) -> Decimal:
    """Parse an amount into cents-rounded Decimal."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def money_out(value: Decimal) -> float:
    """Render an amount as Xero's JSON number."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


ZERO_RATED_TAX_TYPES = frozenset(
    {"EXEMPTOUTPUT", "EXEMPTEXPENSES", "EXEMPTCAPITAL", "EXEMPTEXPORT", "BASEXCLUDED", "NONE"}
)
"""Xero (AU) tax types whose rate is 0 %: their lines carry no tax whatever LineAmountTypes."""


def line_amounts(line: dict[str, Any], mode: str) -> tuple[Decimal, Decimal]:
    """(LineAmount, TaxAmount) of a line item under Exclusive (10% GST), Inclusive or NoTax;
    a zero-rated TaxType (e.g. EXEMPTOUTPUT) carries no tax."""
    if "LineAmount" in line:  # stored by API writes, already rounded as Xero rounds
        amount = money(line["LineAmount"])
    else:
        amount = money(Decimal(str(line.get("Quantity", 1))) * money(line["UnitAmount"]))
    if line.get("TaxType") in ZERO_RATED_TAX_TYPES:
        return amount, Decimal(0)
    if mode == "Exclusive":
        return amount, money(amount / 10)
    if mode == "Inclusive":
        return amount, money(amount / 11)
    return amount, Decimal(0)


class IdFactory:
    """uuid4 strings, reproducible when seeded."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed) if seed is not None else None

    def __call__(self) -> str:
        if self._rng is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


@dataclass
class Record:
    """One stored Xero object: its fields as Xero JSON, plus when it last changed."""

    id: str
    seq: int
    data: dict[str, Any]
    updated_at: datetime


@dataclass
class Tenant:
    """One organisation: every kind of record, keyed by ID, in insertion order."""

    tenant_id: str
    name: str
    created_at: datetime
    records: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    counters: dict[str, int] = field(default_factory=dict)
    _seq: int = 0

    def next_seq(self) -> int:
        """Return an increasing number giving the default list order."""
        self._seq += 1
        return self._seq

    def next_number(self, prefix: str) -> str:
        """Return the next document number such as INV-0001."""
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]:04d}"

    def of(self, kind: str) -> dict[str, Record]:
        """Return the records of one kind."""
        return self.records[kind]

    def all_of(self, kind: str) -> Iterator[Record]:
        """Iterate the records of one kind in insertion order."""
        return iter(self.records[kind].values())
