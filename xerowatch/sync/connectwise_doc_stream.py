"""A generic stream of ConnectWise accounting-interface records → Xero documents.

Expenses, purchase orders, inventory adjustments and transfers all walk the same way; what
differs is a `DocSpec` (one per record kind, e.g. `sync/connectwise_expenses.py`). Per Xero
organisation, `DocStream.cycle` runs:

1. read: the spec's unposted records changed since the stream's cursor (less `overlap_seconds`);
   a record already queued / in_xero / posted is skipped, a held or refused one too while its
   `lastUpdated` stamp is unchanged (`r` forgets the stamp). The cursor moves after the read.
2. parties first: every party the records name (a company or a member) becomes a Xero contact
   (`connectwise_contacts.ensure_parties`: one directory read, ≤ 50 a POST /Contacts);
3. map: the spec turns records into `DocUnit`s (Xero drafts + the ConnectWise records they
   cover + the batch that posts them) or `HeldRecords` (reason with the fix: one alert per
   record, the rest not blocked). Drafts get the party's ContactID.
4. queue: drafts enter the document outbox *before* the records say 'queued' (a crash between
   the two re-reads the records; the outbox row of the same key is left alone or refreshed).
5. send: `DocumentSender.flush` per document kind the spec makes (documents in doubt are looked
   up in Xero by key before anything is resent), then each queued record is settled: in_xero
   when every document it is in is done, rejected (alert with Xero's message) when one is
   refused.
6. post: records in_xero are posted in ConnectWise, one batch per Xero document (the records
   sharing its batch identifier, posted together once all are in_xero); a repeat after a lost
   answer is recognised by ConnectWise's duplicate answer; a refused post alerts and is retried
   next run (Xero is not touched).

To plug a kind in: write a `DocSpec` (its `kind` is a `cw_records` kind, `cursor` a cursor
name, `document_kinds` the Xero document kinds it makes, `post_kind` the batch flag), then add
it to `document_streams` in `sync/connectwise_doc_streams.py` (the stream runs them after
invoices, and `retry` finds them by kind).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting, PostKind
from xerowatch.store import alerts, cursors, history
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import CwRecord, RecordKind, RecordUpdate, record_ref
from xerowatch.sync.command_args import CommandError
from xerowatch.sync.connectwise_contacts import CustomerContacts
from xerowatch.sync.connectwise_doc_settle import post_records, settle_records
from xerowatch.sync.connectwise_parties import Party, PartyKey
from xerowatch.sync.documents import DocumentSender
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.models_documents import (
    ContactRef,
    CreditNoteDraft,
    DocumentKind,
    Draft,
    InvoiceDraft,
    PurchaseOrderDraft,
    identity_key,
    kind_of,
)
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

QUEUE_CHUNK = 5000
"""Records whose parties are written and drafts queued together (full batches, bounded memory)."""
_WAITING = ("queued", "in_xero", "posted")

R = TypeVar("R")


@dataclass(frozen=True)
class DocUnit:
    """Xero documents that go together, the ConnectWise records they cover, and their batch."""

    drafts: tuple[Draft, ...]
    cw_ids: tuple[int, ...]
    batch: str
    """The ConnectWise batch identifier posting `cw_ids` (≤ 50 characters, stable)."""
    party: PartyKey | None = None
    """Whose ContactID the drafts take (None: they carry no contact, e.g. journals)."""
    note: str = ""
    """Why a unit has no drafts (nothing for Xero, e.g. a transfer within one Xero account):
    its records go straight to in_xero, to be posted, with the note in their history."""


@dataclass(frozen=True)
class HeldRecords:
    """Records that must not reach Xero as they are, and the reason with the fix."""

    cw_ids: tuple[int, ...]
    reason: str
    """`<what is wrong> — <what to do>`; the part after the dash is the alert's fix."""


class DocSpec(Protocol[R]):
    """What one kind of ConnectWise record needs to become Xero documents."""

    kind: RecordKind
    """Its `cw_records` kind ('expense', 'purchase', ...): alerts are `cw_{kind}_held`."""
    cursor: str
    """The cursor name (`connectwise:expenses`)."""
    document_kinds: tuple[DocumentKind, ...]
    """The Xero document kinds its units hold (flushed in this order)."""
    post_kind: PostKind
    """The batch flag that posts it: 'expenses' or 'products' (procurement)."""

    def pages(self, since: dt.datetime | None) -> AsyncIterator[Sequence[R]]:
        """Unposted records changed at or after `since` (None: all), by page."""
        ...

    def record_id(self, record: R) -> int:
        """Its ConnectWise id (what the batch's processedRecordIds name)."""
        ...

    def number(self, record: R) -> str:
        """What an operator calls it (`xerowatch retry` takes it too)."""
        ...

    def stamp(self, record: R) -> str:
        """Its `_info/lastUpdated`, ISO 8601 UTC ('' when ConnectWise sent none)."""
        ...

    def parties(self, record: R) -> Sequence[Party]:
        """The companies and members it needs as Xero contacts (empty: none)."""
        ...

    async def map(self, records: Sequence[R]) -> Sequence[DocUnit | HeldRecords]:
        """Units and held records for these records (every record in exactly one of them)."""
        ...


@dataclass
class DocSummary:
    """What one pass of a document stream did in one organisation."""

    read: int = 0
    held: int = 0
    queued: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    created: int = 0
    rejected: int = 0
    posted: int = 0
    in_doubt: int = 0
    problems: list[str] = field(default_factory=list)


def utc_stamp(value: dt.datetime | None) -> str:
    """A record's lastUpdated as the stamp stored (ISO 8601 UTC, '' when absent)."""
    return value.astimezone(dt.UTC).isoformat() if value else ""


def doc_key(draft: Draft) -> str:
    """`{document kind}|{outbox key}`: where a record's document is in the outbox."""
    return f"{kind_of(draft).value}|{identity_key(draft)}"


def _with_contact(draft: Draft, contact_id: str) -> Draft:
    if isinstance(draft, InvoiceDraft | CreditNoteDraft | PurchaseOrderDraft):
        return draft.model_copy(update={"contact": ContactRef(contact_id=UUID(contact_id))})
    return draft


class DocStream(Generic[R]):
    """One document stream (a spec) of one runtime: read → parties → map → send → post."""

    def __init__(
        self,
        ctx: EngineDeps,
        accounting: ConnectWiseAccounting,
        spec: DocSpec[R],
        sender: DocumentSender,
        contacts: CustomerContacts,
        *,
        overlap_seconds: int,
    ) -> None:
        self.ctx = ctx
        self.accounting = accounting
        self.spec = spec
        self.sender = sender
        self.contacts = contacts
        self.overlap = dt.timedelta(seconds=overlap_seconds)

    @property
    def held_alert(self) -> str:
        """`cw_{kind}_held`."""
        return f"cw_{self.spec.kind}_held"

    async def cycle(self, tenant: TenantRef, summary: DocSummary | None = None) -> DocSummary:
        """Every step once, in order."""
        summary = summary or DocSummary()
        await self.read(tenant, summary)
        await self.send(tenant, summary)
        await self.post(tenant, summary)
        return summary

    async def read(self, tenant: TenantRef, summary: DocSummary) -> None:
        """Step: read changed records, ensure their parties, queue their drafts."""
        store, tid, spec = self.ctx.store, tenant.tenant_id, self.spec
        stored_cursor = await cursors.get_cursor(store, spec.cursor, tid)
        since = dt.datetime.fromisoformat(stored_cursor) - self.overlap if stored_cursor else None
        newest = stored_cursor or ""
        fresh: list[R] = []
        async for page in spec.pages(since):
            summary.read += len(page)
            newest = max([newest, *(spec.stamp(r) for r in page)])
            stored = await records.get(store, tid, spec.kind, [spec.record_id(r) for r in page])
            fresh += [r for r in page if not self._skip(r, stored.get(spec.record_id(r)))]
            if len(fresh) >= QUEUE_CHUNK:
                await self._queue(tenant, fresh, summary)
                fresh = []
        if fresh:
            await self._queue(tenant, fresh, summary)
        if newest and newest != stored_cursor:
            await cursors.set_cursor(store, spec.cursor, newest, tid)

    def _skip(self, record: R, row: CwRecord | None) -> bool:
        if row is None:
            return False
        if row.state in _WAITING:
            return True
        stamp = self.spec.stamp(record)
        return (
            row.state in ("held", "rejected")
            and bool(row.content_hash)
            and row.content_hash == stamp
        )

    async def _queue(self, tenant: TenantRef, batch: Sequence[R], summary: DocSummary) -> None:
        spec, tid = self.spec, tenant.tenant_id
        by_id = {spec.record_id(r): r for r in batch}
        needs = {spec.record_id(r): list(spec.parties(r)) for r in batch}
        parties = [p for wanted in needs.values() for p in wanted]
        contact_ids: dict[PartyKey, str] = {}
        party_held: dict[PartyKey, str] = {}
        if parties:
            outcome = await self.contacts.ensure_parties(tenant, self.accounting, parties)
            summary.contacts_created += outcome.created
            summary.contacts_updated += outcome.updated
            if outcome.stopped_by is not None:
                raise outcome.stopped_by  # the steps' policy alerts; nothing moves until it works
            contact_ids, party_held = outcome.contact_ids, outcome.held
        held: dict[int, str] = {}
        ready: list[R] = []
        for cw_id, record in by_id.items():
            stuck = [p for p in needs[cw_id] if p.key in party_held]
            if stuck:
                party = stuck[0]
                held[cw_id] = (
                    f"its {party.kind} {party.id} has no Xero contact: {party_held[party.key]}"
                )
            else:
                ready.append(record)
        units: list[DocUnit] = []
        for item in await spec.map(ready) if ready else []:
            if isinstance(item, HeldRecords):
                held.update({cw_id: item.reason for cw_id in item.cw_ids})
            else:
                units.append(item)
        drafts: list[tuple[str, Draft]] = []
        updates: list[RecordUpdate] = []
        notes: dict[int, str] = {}
        for unit in units:
            contact = contact_ids.get(unit.party) if unit.party else None
            if unit.party and contact is None:  # not written (cannot happen when not held)
                held.update({i: "its contact was not written — `r` retries" for i in unit.cw_ids})
                continue
            unit_drafts = [_with_contact(d, contact) if contact else d for d in unit.drafts]
            keys = "\n".join(doc_key(d) for d in unit_drafts)
            ref = record_ref(spec.kind, unit.cw_ids[0])
            drafts += [(ref, d) for d in unit_drafts]
            for cw_id in unit.cw_ids:
                record = by_id[cw_id]
                if not unit.drafts:
                    notes[cw_id] = unit.note or "nothing for Xero"
                updates.append(
                    RecordUpdate(
                        cw_id,
                        spec.number(record),
                        "queued" if unit.drafts else "in_xero",
                        content_hash=spec.stamp(record),
                        gl_entry_ids=str(cw_id),
                        doc_keys=keys,
                        batch=unit.batch,
                    )
                )
        for cw_id, reason in sorted(held.items()):
            record = by_id[cw_id]
            updates.append(
                RecordUpdate(
                    cw_id,
                    spec.number(record),
                    "held",
                    content_hash=spec.stamp(record),
                    error=reason,
                )
            )
        # Drafts enter the outbox before the records say 'queued' (crash-safe; see above).
        await self.sender.submit(tid, drafts)
        await records.save(self.ctx.store, tid, spec.kind, updates)
        for cw_id, note in notes.items():
            await history.record(
                self.ctx.store,
                history.HistoryEntry(
                    record_ref(spec.kind, cw_id), "map", "skipped", "to_xero", tid, note
                ),
            )
        for update in updates:
            if update.state == "held":
                await self._held(tid, update.cw_id, update.number, update.error or "")
            else:
                await alerts.resolve_alerts(
                    self.ctx.store,
                    record=record_ref(spec.kind, update.cw_id),
                    tenant_id=tid,
                    types=(self.held_alert, f"cw_{spec.kind}_rejected"),
                )
        summary.held += len(held)
        summary.queued += len(updates) - len(held)

    async def _held(self, tid: str, cw_id: int, number: str, reason: str) -> None:
        problem, _, fix = reason.partition(" — ")
        ref = record_ref(self.spec.kind, cw_id)
        await alerts.raise_alert(
            self.ctx.store,
            self.held_alert,
            f"ConnectWise {self.spec.kind} {number} held, not sent to Xero: {problem}",
            fix=(fix[:1].upper() + fix[1:]) if fix else "Fix it in ConnectWise, then `r` retries",
            record=ref,
            tenant_id=tid,
        )
        await history.record(
            self.ctx.store, history.HistoryEntry(ref, "map", "skipped", "from_source", tid, reason)
        )

    async def send(self, tenant: TenantRef, summary: DocSummary) -> None:
        """Step: flush the outbox per document kind, then settle the queued records."""
        stopped: Exception | None = None
        for kind in self.spec.document_kinds:
            flushed = await self.sender.flush(tenant, kind)
            summary.in_doubt += flushed.in_doubt
            stopped = stopped or flushed.stopped_by
        await settle_records(self.ctx, tenant.tenant_id, self.spec.kind, summary)
        if stopped is not None:
            raise stopped

    async def post(self, tenant: TenantRef, summary: DocSummary) -> None:
        """Step: post in ConnectWise what Xero has, one batch per Xero document."""
        await post_records(self.ctx, self.accounting, tenant.tenant_id, self.spec, summary)

    async def retry(self, row: CwRecord) -> str:
        """`r` for one held or refused record: read again (with its unit) on the next run."""
        if row.state not in ("held", "rejected"):
            return f"{row.kind} {row.number} is {row.state}: nothing to retry"
        # Records refused with it in one Xero document are read again with it (same bill).
        stuck = await records.in_state(self.ctx.store, row.tenant_id, row.kind, ["rejected"])
        mates = [r for r in stuck if row.batch and r.batch == row.batch and r.cw_id != row.cw_id]
        updates = [
            RecordUpdate(r.cw_id, r.number, "held", content_hash="", error=r.last_error)
            for r in [row, *mates]
        ]
        await records.save(self.ctx.store, row.tenant_id, row.kind, updates)
        await cursors.set_cursor(self.ctx.store, self.spec.cursor, None, row.tenant_id)
        return f"{row.kind} {row.number} will be read again"


def unknown_record(ref_or_number: str) -> CommandError:
    """The one line for a `retry` naming no ConnectWise record."""
    return CommandError(
        f"no ConnectWise record {ref_or_number}: give cw-<kind>:<id> (cw-invoice:, cw-expense:, "
        "cw-customer:, …) or an invoice number, as in `xerowatch alerts`"
    )
