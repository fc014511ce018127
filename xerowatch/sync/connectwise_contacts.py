"""ConnectWise customers → Xero contacts, before their invoices: created once, kept up to date.

A customer's contact is keyed by its ContactNumber (`connectwise_mapping.contact_key`), so a
renamed company stays one contact. Writes go in POST /Contacts batches of at most 50 with an
idempotency scope; each customer is marked 'sending' (committed) before the request, and the next
run re-reads the contact directory (incrementally) before writing one left 'sending', so a
contact a lost answer created is found by its number and updated, never created twice. The
duplicate and archived rules are the learner path's (`sync/matching.py`'s alerts and policy).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from uuid import UUID

from xerowatch.config import SyncSettings
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.connectwise.models import Company, CompanyContact
from xerowatch.store import alerts, directory, history
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate, record_ref
from xerowatch.store.directory import DirectoryContact, name_key
from xerowatch.sync.connectwise_mapping import Held, contact_key, map_contact
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.mapping import contact_hash
from xerowatch.sync.matching import ARCHIVED_ALERT, DUPLICATE_NAME_ALERT, REJECTED_ALERT
from xerowatch.sync.validation import xero_accepts_email
from xerowatch.xero.models import ContactStatus
from xerowatch.xero.models_contact import Contact
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.write_results import WriteStatus

log = logging.getLogger(__name__)

CUSTOMER_HELD_ALERT = "cw_customer_held"
CUSTOMER_EMAIL_ALERT = "cw_customer_email"
_BLOCKING = (CUSTOMER_HELD_ALERT, ARCHIVED_ALERT, DUPLICATE_NAME_ALERT, REJECTED_ALERT)


@dataclass(frozen=True)
class Customer:
    """A ConnectWise company with the people its contact is built from."""

    company: Company
    primary: CompanyContact | None = None
    billing: CompanyContact | None = None


@dataclass
class CustomerOutcome:
    """What became of the customers asked for: Xero ContactIDs, or why there is none."""

    contact_ids: dict[int, str] = field(default_factory=dict)
    held: dict[int, str] = field(default_factory=dict)
    """Company id → the reason, with the fix (its invoices are held with it)."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stopped_by: Exception | None = None
    """A Xero error that stopped the writes (the rest wait for the next run)."""


@dataclass(frozen=True)
class _Write:
    company_id: int
    identifier: str
    key: str
    contact: Contact
    content: str


def _distinct_name(contact: Contact, identifier: str) -> Contact:
    """The name with the company's identifier, for a second customer of the same name."""
    suffix = f" ({identifier})"
    return contact.model_copy(update={"name": (contact.name or "")[: 255 - len(suffix)] + suffix})


def _match(
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


async def read_customers(
    accounting: ConnectWiseAccounting, company_ids: list[int]
) -> dict[int, Customer]:
    """Read each company and its primary and billing contacts from ConnectWise."""
    found: dict[int, Customer] = {}
    people: dict[int, CompanyContact | None] = {}
    for company_id in company_ids:
        company = await accounting.company(company_id)
        if company is None:
            continue
        for ref in (company.default_contact, company.billing_contact):
            if ref and ref.id and ref.id not in people:
                people[ref.id] = await accounting.contact(ref.id)
        primary = people.get(company.default_contact.id or 0) if company.default_contact else None
        billing = people.get(company.billing_contact.id or 0) if company.billing_contact else None
        found[company_id] = Customer(company, primary, billing)
    return found


def _scope(tenant_id: str, writes: Sequence[_Write]) -> str:
    material = "|".join(f"{w.key}:{w.content}:{w.contact.contact_id}" for w in writes)
    return f"cw-contacts:{tenant_id}:" + hashlib.sha256(material.encode()).hexdigest()[:32]


class CustomerContacts:
    """Ensures the Xero contacts of ConnectWise customers exist and are current."""

    def __init__(self, ctx: EngineDeps, settings: ConnectWiseSettings) -> None:
        self.ctx = ctx
        self.settings = settings

    async def ensure(
        self, tenant: TenantRef, customers: Sequence[Customer], *, lane: Lane = Lane.INCREMENTAL
    ) -> CustomerOutcome:
        """Create or update the contacts of these customers; return their ContactIDs."""
        store, tid = self.ctx.store, tenant.tenant_id
        outcome = CustomerOutcome()
        stored = await records.get(store, tid, "customer", [c.company.id for c in customers])
        due: list[_Write] = []
        held: list[RecordUpdate] = []
        for customer in customers:
            company = customer.company
            mapped = map_contact(
                company, self.settings, primary=customer.primary, billing=customer.billing
            )
            if isinstance(mapped, Held):
                number = contact_key(company, self.settings) or str(company.id)
                held.append(RecordUpdate(company.id, number, "held", error=mapped.reason))
                outcome.held[company.id] = mapped.reason
                continue
            key = mapped.contact_number or ""
            email = mapped.email_address
            refused = bool(email) and not xero_accepts_email(email or "")
            if refused:
                mapped = mapped.model_copy(update={"email_address": None})
            content = contact_hash(mapped)
            row = stored.get(company.id)
            if row and row.state == "done" and row.xero_id and row.content_hash == content:
                outcome.contact_ids[company.id] = row.xero_id
                outcome.unchanged += 1
                continue
            if refused:
                await self._alert(
                    tid,
                    company.id,
                    CUSTOMER_EMAIL_ALERT,
                    f"Xero refuses its billing email {email!r}, so its contact goes without one "
                    "— correct the address (plain letters, one @) in ConnectWise",
                )
            identifier = company.identifier or str(company.id)
            due.append(_Write(company.id, identifier, key, mapped, content))
        await records.save(store, tid, "customer", held)
        for update in held:
            await self._alert(tid, update.cw_id, CUSTOMER_HELD_ALERT, update.error or "")
        if due:
            await refresh_directory(self.ctx, tenant, lane=lane)
            writes = await self._decide(tid, due, outcome)
            await self._write(tenant, writes, outcome, lane)
        return outcome

    async def _decide(self, tid: str, due: list[_Write], outcome: CustomerOutcome) -> list[_Write]:
        """Match each customer to its contact; a name another contact has gets the identifier."""
        store = self.ctx.store
        numbered = await directory.by_number(store, tid, [w.key for w in due])
        keys = [name_key(w.contact.name or "") for w in due]
        named = await directory.by_name_keys(store, tid, keys)
        owners = {k: {c.contact_number for c in named.get(k, [])} for k in keys}
        writes: list[_Write] = []
        held: list[RecordUpdate] = []
        for w in due:
            k = name_key(w.contact.name or "")
            others = owners.setdefault(k, set()) - {w.key}
            unnumbered = [c for c in named.get(k, []) if not c.contact_number]
            contact = w.contact
            if others - {None}:  # another customer (or contact) has this name: keep both
                contact = _distinct_name(contact, w.identifier)
                unnumbered = []
            owners[k].add(w.key)
            decided, alert_type, reason = _match(
                contact, numbered.get(w.key), unnumbered, self.ctx.settings
            )
            if decided is None:
                held.append(RecordUpdate(w.company_id, w.key, "held", error=reason))
                outcome.held[w.company_id] = reason
                await self._alert(tid, w.company_id, alert_type, reason)
                continue
            writes.append(replace(w, contact=decided))
        await records.save(store, tid, "customer", held)
        return writes

    async def _write(
        self, tenant: TenantRef, writes: list[_Write], outcome: CustomerOutcome, lane: Lane
    ) -> None:
        store, tid = self.ctx.store, tenant.tenant_id
        size = self.ctx.settings.batch_size
        for start in range(0, len(writes), size):
            batch = writes[start : start + size]
            await records.save(
                store,
                tid,
                "customer",
                [
                    RecordUpdate(w.company_id, w.key, "sending", content_hash=w.content)
                    for w in batch
                ],
            )
            results = await self.ctx.xero.upsert_contacts(
                [w.contact for w in batch],
                tenant=tenant,
                lane=lane,
                idempotency_scope=_scope(tid, batch),
            )
            updates: list[RecordUpdate] = []
            entries: list[history.HistoryEntry] = []
            for w, result in zip(batch, results, strict=True):
                ref = record_ref("customer", w.company_id)
                if result.status is WriteStatus.OK and result.contact and result.contact.contact_id:
                    xero_id = str(result.contact.contact_id)
                    outcome.contact_ids[w.company_id] = xero_id
                    if w.contact.contact_id:
                        outcome.updated += 1
                    else:
                        outcome.created += 1
                    updates.append(RecordUpdate(w.company_id, w.key, "done", xero_id=xero_id))
                    entries.append(
                        history.HistoryEntry(ref, "contact", "ok", "to_xero", tid, xero_id)
                    )
                    await alerts.resolve_alerts(store, record=ref, tenant_id=tid, types=_BLOCKING)
                elif result.status is WriteStatus.REJECTED:
                    reason = "; ".join(result.messages) or "rejected by Xero"
                    outcome.held[w.company_id] = f"Xero refused its contact: {reason}"
                    updates.append(RecordUpdate(w.company_id, w.key, "rejected", error=reason))
                    entries.append(
                        history.HistoryEntry(ref, "contact", "error", "to_xero", tid, reason)
                    )
                    await self._alert(
                        tid, w.company_id, REJECTED_ALERT, f"Xero refused contact {w.key}: {reason}"
                    )
                else:  # not sent, or no answer: stays 'sending' and is looked up next run
                    outcome.stopped_by = outcome.stopped_by or result.error
            async with store.transaction() as conn:
                await records.save_in(conn, tid, "customer", updates)
                await history.add_entries(conn, entries)
            if outcome.stopped_by is not None:
                log.warning("contacts for %s stopped: %s", tid, outcome.stopped_by)
                return

    async def _alert(self, tid: str, company_id: int, type_: str, reason: str) -> None:
        await alerts.raise_alert(
            self.ctx.store,
            type_,
            f"ConnectWise customer {company_id}: {reason.split(' — ')[0]}",
            fix=reason.split(" — ", 1)[-1][:1].upper() + reason.split(" — ", 1)[-1][1:],
            record=record_ref("customer", company_id),
            tenant_id=tid,
        )
