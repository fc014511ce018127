"""Does a Xero contact already hold what xerowatch would write? (A resync writes only if not.)"""

from __future__ import annotations

from typing import Any

from xerowatch.xero.models import Contact, ContactStatus

_TYPED_LISTS = {"Addresses": "AddressType", "Phones": "PhoneType"}


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, str) or ours is None:
        return " ".join((ours or "").split()) == " ".join(str(theirs or "").split())
    return bool(ours == theirs)


def _same_entries(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], key: str) -> bool:
    """Every entry we write is in Xero under its type with the fields we set."""
    by_type = {entry.get(key): entry for entry in theirs}
    for entry in ours:
        held = by_type.get(entry.get(key), {})
        if not all(_same(value, held.get(name)) for name, value in entry.items()):
            return False
    return True


def holds(theirs: Contact, ours: Contact) -> bool:
    """True if `theirs` (read from Xero) already carries every value `ours` would write.

    Only what xerowatch writes is compared (Xero adds empty phone and address slots, balances,
    and fields people fill in by hand); an archived contact never counts as holding it.
    """
    if theirs.contact_status not in (None, ContactStatus.ACTIVE):
        return False
    body = ours.to_xero()
    held = theirs.to_xero()
    for name, value in body.items():
        if name in ("ContactID", "ContactStatus"):
            continue
        if name in _TYPED_LISTS:
            if not _same_entries(value, held.get(name) or [], _TYPED_LISTS[name]):
                return False
        elif not _same(value, held.get(name)):
            return False
    return True
