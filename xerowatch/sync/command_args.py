"""Typed arguments of operator commands, checked the same way when queued and when carried out.

Parsing needs no store: what only the store can answer (is the tenant connected, is the alert
open) is checked by the command's handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from xerowatch.sync.resync import parse_types

SQLITE_INT_MAX = 2**63 - 1
"""Ids beyond this cannot even be looked up: sqlite3 raises OverflowError binding them."""


class CommandError(ValueError):
    """A command that cannot be carried out as asked (bad arguments, unknown record)."""


def _date_arg(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise CommandError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


def _text_arg(args: dict[str, Any], name: str, what: str) -> str:
    value = args.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise CommandError(f"needs {what} ({name})")
    return value.strip()


def _int_arg(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CommandError(f"{what} must be a number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"{what} must be a number, got {str(value)[:40]!r}") from None
    if not 1 <= number <= SQLITE_INT_MAX:
        raise CommandError(f"{what} is out of range: {str(number)[:40]} (ids go from 1 up)")
    return number


def _alert_ids(args: dict[str, Any]) -> list[int] | None:
    ids = args.get("ids")
    if ids is None:
        return None
    if not isinstance(ids, list):
        raise CommandError(f"ids must be a list of alert numbers, got {ids!r}")
    try:
        return [_int_arg(i, "an alert id") for i in ids]
    except CommandError:
        raise CommandError(f"ids must be a list of alert numbers, got {str(ids)[:80]}") from None


def _types_arg(value: object) -> list[str]:
    if value is not None and not isinstance(value, str | list):
        raise CommandError(f"types must be a list of names, got {value!r}")
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        raise CommandError(f"types must be a list of names, got {value!r}")
    try:
        return parse_types(value)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _tenant_arg(args: dict[str, Any]) -> str:
    return str(args.get("tenant_id") or "")


@dataclass(frozen=True)
class NoArgs:
    """A command that takes no arguments (any given are ignored)."""

    @classmethod
    def parse(cls, args: dict[str, Any]) -> NoArgs:
        """Nothing to check."""
        return cls()


@dataclass(frozen=True)
class RetryArgs:
    """`retry`: a learner's RefInternal, an invoice number or a record key."""

    ref: str

    @classmethod
    def parse(cls, args: dict[str, Any]) -> RetryArgs:
        """Check the arguments."""
        return cls(_text_arg(args, "ref", "a RefInternal"))


@dataclass(frozen=True)
class ResyncArgs:
    """`resync`: a date range, the record types, and the tenant ('' = all)."""

    date_from: str
    date_to: str
    types: list[str]
    tenant_id: str

    @classmethod
    def parse(cls, args: dict[str, Any]) -> ResyncArgs:
        """Check the arguments."""
        date_from = _date_arg(args, "from")
        date_to = _date_arg(args, "to")
        if date_to <= date_from:
            raise CommandError("the end of the range must be after its start")
        return cls(date_from, date_to, _types_arg(args.get("types")), _tenant_arg(args))


@dataclass(frozen=True)
class ResyncIdArgs:
    """`cancel_resync`, `pause_resync`, `resume_resync`: the run's id."""

    id: int

    @classmethod
    def parse(cls, args: dict[str, Any]) -> ResyncIdArgs:
        """Check the arguments."""
        return cls(_int_arg(args.get("id"), "the resync id"))


@dataclass(frozen=True)
class TenantArgs:
    """`pause`, `resume`: the tenant ('' = all)."""

    tenant_id: str

    @classmethod
    def parse(cls, args: dict[str, Any]) -> TenantArgs:
        """Check the arguments."""
        return cls(_tenant_arg(args))


@dataclass(frozen=True)
class AcknowledgeArgs:
    """`acknowledge`: the alert ids (None = every open alert)."""

    ids: list[int] | None

    @classmethod
    def parse(cls, args: dict[str, Any]) -> AcknowledgeArgs:
        """Check the arguments."""
        return cls(_alert_ids(args))


@dataclass(frozen=True)
class OnlineLinkArgs:
    """`fetch_online_url`: an invoice number or InvoiceID, and optionally its tenant."""

    invoice: str
    tenant_id: str

    @classmethod
    def parse(cls, args: dict[str, Any]) -> OnlineLinkArgs:
        """Check the arguments."""
        return cls(
            _text_arg(args, "invoice_id", "an invoice number or InvoiceID"), _tenant_arg(args)
        )


@dataclass(frozen=True)
class PokeArgs:
    """`poke_learner`: the learner's id in the source."""

    source_id: str

    @classmethod
    def parse(cls, args: dict[str, Any]) -> PokeArgs:
        """Check the arguments."""
        return cls(_text_arg(args, "source_id", "a learner id"))
