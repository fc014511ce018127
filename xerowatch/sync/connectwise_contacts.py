"""ConnectWise parties → Xero contacts, before their documents: created once, kept up to date.

Parties are companies (record kind 'customer': customers of invoices, vendors of purchase
orders — a Xero contact can be both) and members (kind 'member': the people expense bills are
to). A company's contact is keyed by its ContactNumber (`connectwise_mapping.contact_key`), so a
renamed company stays one contact; a member's by `member_contact_prefix` + its identifier.
Both go through the same rules. Writes go in POST /Contacts batches of at most 50 with an
idempotency scope; each party is marked 'sending' (committed) before the request, and the next
run re-reads the contact directory (incrementally) before writing one left 'sending', so a
contact a lost answer created is found by its number and updated, never created twice. The
duplicate and archived rules are the learner path's (`sync/matching.py`'s alerts and policy).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.connectwise.models import Company, CompanyContact
from xerowatch.store import alerts, directory, history
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate, record_ref
from xerowatch.store.directory import name_key
from xerowatch.sync.connectwise_mapping import Held, contact_key, map_contact
from xerowatch.sync.connectwise_parties import (
    MappedParty,
    Party,
    PartyKey,
    PartyKind,
    PartyOutcome,
    distinct_name,
    map_member,
    match_party,
)
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.mapping import contact_hash
from xerowatch.sync.matching import ARCHIVED_ALERT, DUPLICATE_NAME_ALERT, REJECTED_ALERT
from xerowatch.sync.validation import xero_accepts_email
from xerowatch.xero.models_contact import Contact
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.write_results import WriteStatus

log = logging.getLogger(__name__)

_PARTY_KINDS: tuple[PartyKind, ...] = ("customer", "member")
CUSTOMER_HELD_ALERT = "cw_customer_held"
CUSTOMER_EMAIL_ALERT = "cw_customer_email"
MEMBER_HELD_ALERT = "cw_member_held"
_BLOCKING = (
    CUSTOMER_HELD_ALERT,
    MEMBER_HELD_ALERT,
    ARCHIVED_ALERT,
    DUPLICATE_NAME_ALERT,
    REJECTED_ALERT,
)


@dataclass(frozen=True)
class Customer:
    """A ConnectWise company with the people its contact is built from."""

    company: Company
    primary: CompanyContact | None = None
    billing: CompanyContact | None = None


@dataclass(frozen=True)
class _Write:
    kind: PartyKind
    cw_id: int
    identifier: str
    key: str
    contact: Contact
    content: str


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
    """Ensures the Xero contacts of ConnectWise parties (companies, members) are current."""

    def __init__(self, ctx: EngineDeps, settings: ConnectWiseSettings) -> None:
        self.ctx = ctx
        self.settings = settings

    async def ensure(
        self, tenant: TenantRef, customers: Sequence[Customer], *, lane: Lane = Lane.INCREMENTAL
    ) -> PartyOutcome:
        """Create or update the contacts of these customers; their ContactIDs by
        `("customer", company id)`."""
        return await self._ensure(tenant, [self._customer(c) for c in customers], lane)

    async def ensure_parties(
        self,
        tenant: TenantRef,
        accounting: ConnectWiseAccounting,
        parties: Sequence[Party],
        *,
        lane: Lane = Lane.INCREMENTAL,
    ) -> PartyOutcome:
        """Create or update the contacts of companies and members, all in the same batches."""
        unique = list({p.key: p for p in parties}.values())
        company_ids = sorted(p.id for p in unique if p.kind == "customer")
        customers = await read_customers(accounting, company_ids)
        mapped = [self._customer(customers[i]) for i in company_ids if i in customers]
        mapped += [
            MappedParty("member", p.id, p.identifier, map_member(p, self.settings), p.identifier)
            for p in unique
            if p.kind == "member"
        ]
        outcome = await self._ensure(tenant, mapped, lane)
        for company_id in company_ids:
            if company_id not in customers:
                outcome.held[("customer", company_id)] = (
                    f"company {company_id} is gone from ConnectWise — check the record"
                )
        return outcome

    def _customer(self, customer: Customer) -> MappedParty:
        company = customer.company
        mapped = map_contact(
            company, self.settings, primary=customer.primary, billing=customer.billing
        )
        number = contact_key(company, self.settings) or str(company.id)
        return MappedParty(
            "customer", company.id, company.identifier or str(company.id), mapped, number
        )

    async def _ensure(
        self, tenant: TenantRef, parties: Sequence[MappedParty], lane: Lane
    ) -> PartyOutcome:
        store, tid = self.ctx.store, tenant.tenant_id
        outcome = PartyOutcome()
        stored: dict[PartyKey, records.CwRecord] = {}
        for kind in _PARTY_KINDS:
            ids = [p.cw_id for p in parties if p.kind == kind]
            if ids:
                rows = await records.get(store, tid, kind, ids)
                stored.update({(kind, cw_id): row for cw_id, row in rows.items()})
        due: list[_Write] = []
        held: list[tuple[MappedParty, str]] = []
        for party in parties:
            key = (party.kind, party.cw_id)
            mapped = party.contact
            if isinstance(mapped, Held):
                held.append((party, mapped.reason))
                outcome.held[key] = mapped.reason
                continue
            number = mapped.contact_number or ""
            email = mapped.email_address
            refused = bool(email) and not xero_accepts_email(email or "")
            if refused:
                mapped = mapped.model_copy(update={"email_address": None})
            content = contact_hash(mapped)
            row = stored.get(key)
            if row and row.state == "done" and row.xero_id and row.content_hash == content:
                outcome.contact_ids[key] = row.xero_id
                outcome.unchanged += 1
                continue
            if refused:
                await self._alert(
                    tid,
                    party.kind,
                    party.cw_id,
                    CUSTOMER_EMAIL_ALERT,
                    f"Xero refuses its billing email {email!r}, so its contact goes without one "
                    "— correct the address (plain letters, one @) in ConnectWise",
                )
            due.append(_Write(party.kind, party.cw_id, party.identifier, number, mapped, content))
        for kind in _PARTY_KINDS:
            updates = [
                RecordUpdate(p.cw_id, p.fallback_number, "held", error=reason)
                for p, reason in held
                if p.kind == kind
            ]
            await records.save(store, tid, kind, updates)
        for party, reason in held:
            alert = CUSTOMER_HELD_ALERT if party.kind == "customer" else MEMBER_HELD_ALERT
            await self._alert(tid, party.kind, party.cw_id, alert, reason)
        if due:
            await refresh_directory(self.ctx, tenant, lane=lane)
            writes = await self._decide(tid, due, outcome)
            await self._write(tenant, writes, outcome, lane)
        return outcome

    async def _decide(self, tid: str, due: list[_Write], outcome: PartyOutcome) -> list[_Write]:
        """Match each party to its contact; a name another contact has gets the identifier."""
        store = self.ctx.store
        numbered = await directory.by_number(store, tid, [w.key for w in due])
        keys = [name_key(w.contact.name or "") for w in due]
        named = await directory.by_name_keys(store, tid, keys)
        owners = {k: {c.contact_number for c in named.get(k, [])} for k in keys}
        writes: list[_Write] = []
        held: list[tuple[_Write, str]] = []
        for w in due:
            k = name_key(w.contact.name or "")
            others = owners.setdefault(k, set()) - {w.key}
            unnumbered = [c for c in named.get(k, []) if not c.contact_number]
            contact = w.contact
            if others - {None}:  # another party (or contact) has this name: keep both
                contact = distinct_name(contact, w.identifier)
                unnumbered = []
            owners[k].add(w.key)
            decided, alert_type, reason = match_party(
                contact, numbered.get(w.key), unnumbered, self.ctx.settings
            )
            if decided is None:
                held.append((w, reason))
                outcome.held[(w.kind, w.cw_id)] = reason
                await self._alert(tid, w.kind, w.cw_id, alert_type, reason)
                continue
            writes.append(replace(w, contact=decided))
        for kind in _PARTY_KINDS:
            await records.save(
                store,
                tid,
                kind,
                [
                    RecordUpdate(w.cw_id, w.key, "held", error=reason)
                    for w, reason in held
                    if w.kind == kind
                ],
            )
        return writes

    async def _write(
        self, tenant: TenantRef, writes: list[_Write], outcome: PartyOutcome, lane: Lane
    ) -> None:
        store, tid = self.ctx.store, tenant.tenant_id
        size = self.ctx.settings.batch_size
        for start in range(0, len(writes), size):
            batch = writes[start : start + size]
            await self._save_by_kind(
                tid,
                [
                    (w.kind, RecordUpdate(w.cw_id, w.key, "sending", content_hash=w.content))
                    for w in batch
                ],
            )
            results = await self.ctx.xero.upsert_contacts(
                [w.contact for w in batch],
                tenant=tenant,
                lane=lane,
                idempotency_scope=_scope(tid, batch),
            )
            updates: list[tuple[PartyKind, RecordUpdate]] = []
            entries: list[history.HistoryEntry] = []
            for w, result in zip(batch, results, strict=True):
                ref = record_ref(w.kind, w.cw_id)
                if result.status is WriteStatus.OK and result.contact and result.contact.contact_id:
                    xero_id = str(result.contact.contact_id)
                    outcome.contact_ids[(w.kind, w.cw_id)] = xero_id
                    if w.contact.contact_id:
                        outcome.updated += 1
                    else:
                        outcome.created += 1
                    updates.append((w.kind, RecordUpdate(w.cw_id, w.key, "done", xero_id=xero_id)))
                    entries.append(
                        history.HistoryEntry(ref, "contact", "ok", "to_xero", tid, xero_id)
                    )
                    await alerts.resolve_alerts(store, record=ref, tenant_id=tid, types=_BLOCKING)
                elif result.status is WriteStatus.REJECTED:
                    reason = "; ".join(result.messages) or "rejected by Xero"
                    outcome.held[(w.kind, w.cw_id)] = f"Xero refused its contact: {reason}"
                    updates.append((w.kind, RecordUpdate(w.cw_id, w.key, "rejected", error=reason)))
                    entries.append(
                        history.HistoryEntry(ref, "contact", "error", "to_xero", tid, reason)
                    )
                    await self._alert(
                        tid,
                        w.kind,
                        w.cw_id,
                        REJECTED_ALERT,
                        f"Xero refused contact {w.key}: {reason}",
                    )
                else:  # not sent, or no answer: stays 'sending' and is looked up next run
                    outcome.stopped_by = outcome.stopped_by or result.error
            async with store.transaction() as conn:
                for kind in _PARTY_KINDS:
                    await records.save_in(conn, tid, kind, [u for k, u in updates if k == kind])
                await history.add_entries(conn, entries)
            if outcome.stopped_by is not None:
                log.warning("contacts for %s stopped: %s", tid, outcome.stopped_by)
                return

    async def _save_by_kind(
        self, tid: str, updates: Sequence[tuple[PartyKind, RecordUpdate]]
    ) -> None:
        async with self.ctx.store.transaction() as conn:
            for kind in _PARTY_KINDS:
                await records.save_in(conn, tid, kind, [u for k, u in updates if k == kind])

    async def _alert(self, tid: str, kind: PartyKind, cw_id: int, type_: str, reason: str) -> None:
        problem, _, fix = reason.partition(" — ")
        fix = fix or reason
        await alerts.raise_alert(
            self.ctx.store,
            type_,
            f"ConnectWise {kind} {cw_id}: {problem}",
            fix=fix[:1].upper() + fix[1:],
            record=record_ref(kind, cw_id),
            tenant_id=tid,
        )
