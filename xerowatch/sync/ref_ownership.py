"""Which learner a RefInternal belongs to: a RefInternal changed in the source, or shared.

A learner whose RefInternal changes is the same person (same source id): its Xero contact is
renumbered (ContactNumber and Name rewritten by ContactID) rather than a second contact created,
so its history stays on one contact. If Xero already has a contact with the new number, that one
is used and the old contact is named in an alert to merge. Two learners holding one RefInternal
would write each other over one contact: both are held with an alert until the source is fixed.
"""

from __future__ import annotations

from dataclasses import replace

from xerowatch.store import alerts, directory, learners, links
from xerowatch.store.db import Store
from xerowatch.store.directory import DirectoryContact
from xerowatch.store.links import ContactLink
from xerowatch.sync.matching import Decision
from xerowatch.sync.validation import ValidLearner

REF_CHANGED_ALERT = "learner_ref_changed"
REF_SHARED_ALERT = "learner_ref_shared"


async def shared_refs(store: Store, refs: list[str]) -> dict[str, list[str]]:
    """Return the RefInternals among `refs` held by more than one learner, with their ids."""
    holders = await learners.sources_by_ref(store, refs)
    shared = {ref: ids for ref, ids in holders.items() if len(ids) > 1}
    for alert in await alerts.open_alerts(store, type_=REF_SHARED_ALERT, limit=100_000):
        if alert.record in refs and alert.record not in shared:
            await alerts.resolve_alerts(store, record=alert.record, types=(REF_SHARED_ALERT,))
    return shared


async def alert_shared(store: Store, ref: str, source_ids: list[str]) -> str:
    """Raise the alert for a RefInternal held by several learners; return its message."""
    message = f"RefInternal {ref} is used by {len(source_ids)} learners: " + ", ".join(source_ids)
    await alerts.raise_alert(
        store,
        REF_SHARED_ALERT,
        message,
        fix="Give each learner its own RefInternal in the source system; "
        "none of them is written to Xero until then",
        record=ref,
    )
    return message


async def previous_contacts(
    store: Store,
    tenant_id: str,
    valid_by_ref: dict[str, ValidLearner],
    current: dict[str, ContactLink],
) -> dict[str, tuple[ContactLink, DirectoryContact]]:
    """For learners without a contact: the contact they had under an earlier RefInternal.

    Only when no learner holds that earlier RefInternal now (else it is not a rename).
    """
    wanted = {
        valid.learner.source_id: ref
        for ref, valid in valid_by_ref.items()
        if ref not in current or current[ref].contact_id is None
    }
    if not wanted:
        return {}
    older = [
        link
        for link in await links.linked_by_source(store, tenant_id, list(wanted))
        if link.ref_internal != wanted[link.source_id]
    ]
    held = await learners.sources_by_ref(store, [link.ref_internal for link in older])
    found: dict[str, tuple[ContactLink, DirectoryContact]] = {}
    for link in older:
        entry = await directory.by_id(store, tenant_id, link.contact_id or "")
        if link.ref_internal not in held and entry is not None:
            found[wanted[link.source_id]] = (link, entry)
    return found


def annotate(
    decision: Decision, ref: str, old: ContactLink, old_contact: DirectoryContact
) -> Decision:
    """Mark a decision for a learner whose RefInternal changed, with the alert it raises."""
    if decision.blocked:
        return decision
    if decision.contact_id == old.contact_id:
        return replace(
            decision,
            action="renumber",
            warn_type=REF_CHANGED_ALERT,
            message=(
                f"RefInternal changed from {old.ref_internal} to {ref}: Xero contact "
                f"'{old_contact.name}' is renumbered to Contact Code {ref}"
            ),
            fix="Nothing to do if the change is intended; otherwise correct the RefInternal "
            "in the source system and the contact follows it",
        )
    return replace(
        decision,
        warn_type=REF_CHANGED_ALERT,
        message=(
            f"RefInternal changed from {old.ref_internal} to {ref}, and Xero already has a "
            f"contact with Contact Code {ref}: that one is used now, and the learner's earlier "
            f"contact '{old_contact.name}' ({old.contact_id}) is no longer updated"
        ),
        fix=f"Merge the contact with Contact Code {old.ref_internal} into the one with "
        f"Contact Code {ref} in Xero, so its invoices follow",
    )
