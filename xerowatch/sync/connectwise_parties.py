"""ConnectWise parties as Xero contacts: who they are, and the rules that match them to one.

A party is a company (record kind 'customer': a customer of invoices or a vendor of purchase
orders) or a member (kind 'member': whom expense bills are to). The matching rules are the
learner path's (`sync/matching.py`): a numbered contact is updated (archived: re-activated or
held), an unnumbered one of the same name adopted or held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from xerowatch.config import SyncSettings
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.store.directory import DirectoryContact
from xerowatch.sync.connectwise_mapping import Held
from xerowatch.sync.matching import ARCHIVED_ALERT, DUPLICATE_NAME_ALERT
from xerowatch.xero.models import ContactStatus
from xerowatch.xero.models_contact import Contact

CONTACT_NUMBER_MAX = 50
PartyKind = Literal["customer", "member"]
PartyKey = tuple[PartyKind, int]
"""(record kind, ConnectWise id): `("customer", company id)` or `("member", member id)`."""


@dataclass(frozen=True)
class Party:
    """A party a ConnectWise record needs as a Xero contact: a company, or a member."""

    kind: PartyKind
    id: int
    identifier: str = ""
    """A member's identifier (its ContactNumber's tail); unused for companies (read whole)."""
    name: str = ""
    """A member's name as the record's reference carries it."""

    @property
    def key(self) -> PartyKey:
        """`(kind, id)`, as outcomes are keyed."""
        return (self.kind, self.id)


@dataclass
class PartyOutcome:
    """What became of the parties asked for: Xero ContactIDs, or why there is none."""

    contact_ids: dict[PartyKey, str] = field(default_factory=dict)
    held: dict[PartyKey, str] = field(default_factory=dict)
    """Party → the reason, with the fix (the records that need it are held with it)."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stopped_by: Exception | None = None
    """A Xero error that stopped the writes (the rest wait for the next run)."""


@dataclass(frozen=True)
class MappedParty:
    """A party as the contact to write (or why it is held) and its record's number."""

    kind: PartyKind
    cw_id: int
    identifier: str
    contact: Contact | Held
    fallback_number: str


def member_contact_number(identifier: str, settings: ConnectWiseSettings) -> str:
    """A member's ContactNumber: `member_contact_prefix` + its identifier (≤ 50 characters)."""
    return f"{settings.member_contact_prefix}{identifier}"[:CONTACT_NUMBER_MAX]


def map_member(party: Party, settings: ConnectWiseSettings) -> Contact | Held:
    """A ConnectWise member as the Xero contact its expense bills are to."""
    identifier = party.identifier.strip()
    if not identifier:
        return Held(f"member {party.id} has no identifier — give it one in ConnectWise")
    name = " ".join((party.name or identifier).split())
    return Contact(contact_number=member_contact_number(identifier, settings), name=name[:255])


def distinct_name(contact: Contact, identifier: str) -> Contact:
    """The name with the company's identifier, for a second customer of the same name."""
    suffix = f" ({identifier})"
    return contact.model_copy(update={"name": (contact.name or "")[: 255 - len(suffix)] + suffix})


def match_party(
    contact: Contact,
    numbered: DirectoryContact | None,
    unnumbered: list[DirectoryContact],
    policy: SyncSettings,
) -> tuple[Contact | None, str, str]:
    """Decide the write for a contact: (contact to send | None when held, alert type, reason)."""
    key = contact.contact_number or ""
    if numbered is not None:
        update = contact.model_copy(update={"contact_id": UUID(numbered.contact_id)})
        if numbered.status != "ARCHIVED":
            return update, "", ""
        if policy.reactivate_archived:
            return update.model_copy(update={"contact_status": ContactStatus.ACTIVE}), "", ""
        return (
            None,
            ARCHIVED_ALERT,
            f"Xero contact {numbered.name!r} (ContactNumber {key}) is archived — re-activate it "
            "in Xero (or set [sync] reactivate_archived = true); its invoices wait",
        )
    if not unnumbered:
        return contact, "", ""
    if len(unnumbered) == 1 and policy.adopt_name_matches:  # the customer, entered by hand
        return contact.model_copy(update={"contact_id": UUID(unnumbered[0].contact_id)}), "", ""
    return (
        None,
        DUPLICATE_NAME_ALERT,
        f"a Xero contact named {contact.name!r} without a ContactNumber already exists — merge "
        "it in Xero, or set [sync] adopt_name_matches = true to adopt it; its invoices wait",
    )
