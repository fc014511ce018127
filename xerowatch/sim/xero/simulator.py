"""XeroSim: the simulator's state and its Python API for tests, benchmarks and the demo."""

from __future__ import annotations

import fnmatch
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xerowatch.clock import Clock, SystemClock
from xerowatch.sim.xero.config import XeroSimConfig
from xerowatch.sim.xero.contacts import ContactBook
from xerowatch.sim.xero.faults import FaultPlan
from xerowatch.sim.xero.idempotency import IdempotencyCache
from xerowatch.sim.xero.identity import DEFAULT_SCOPE, IdentityServer
from xerowatch.sim.xero.limits import RateLimiter
from xerowatch.sim.xero.state import IdFactory, Record, Tenant, kind_name
from xerowatch.sim.xero.transactions import SOURCE_KINDS, Ledger


@dataclass(frozen=True)
class LoggedRequest:
    """One request the simulator received."""

    method: str
    path: str
    """Below /api.xro/2.0 for accounting calls (e.g. `/Contacts`), else the URL path."""
    query: dict[str, str]
    status: int | None
    """HTTP status answered; None when the connection was dropped."""
    tenant_id: str | None
    at: datetime
    idempotency_key: str | None
    correlation_id: str = ""


@dataclass
class TenantBooks:
    """One tenant's records with the contact book and ledger that maintain them."""

    tenant: Tenant
    contacts: ContactBook
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.tenant, self.contacts, self.contacts.new_id)

    def render(self, kind: str, record: Record) -> dict[str, Any]:
        """Render any record as Xero JSON."""
        if kind == "Contacts":
            return self.contacts.render(record)
        return self.ledger.render(kind, record)


@dataclass(frozen=True)
class SimUrls:
    """The endpoint settings a Xero client needs to talk to a simulator served at `base`."""

    api_url: str
    identity_url: str
    connections_url: str
    authorize_url: str
    token_url: str

    @classmethod
    def at(cls, base: str) -> SimUrls:
        """Endpoints of a simulator served at `base` (no trailing slash needed)."""
        root = base.rstrip("/")
        return cls(
            api_url=f"{root}/api.xro/2.0",
            identity_url=root,
            connections_url=f"{root}/connections",
            authorize_url=f"{root}/identity/connect/authorize",
            token_url=f"{root}/connect/token",
        )


class XeroSim:
    """A loopback Xero: identity, connections and the accounting endpoints xerowatch uses."""

    def __init__(self, config: XeroSimConfig | None = None, clock: Clock | None = None) -> None:
        from xerowatch.sim.xero.app import build_app

        self.config = config or XeroSimConfig()
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.new_id = IdFactory(self.config.seed)
        self.books: dict[str, TenantBooks] = {}
        self.identity = IdentityServer(self.config, self.clock, self.tenant_ids)
        self.limits = RateLimiter(self.config, self.clock)
        self.idempotency = IdempotencyCache(self.config.idempotency_ttl, self.clock)
        self.faults = FaultPlan(self.config.seed)
        self.requests: list[LoggedRequest] = []
        self.app = build_app(self)

    # ---- time and tenants --------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's time at Xero's millisecond precision."""
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def add_tenant(self, name: str = "Demo RTO", tenant_id: str | None = None) -> str:
        """Create an organisation and return its tenant ID."""
        with self.lock:
            tid = str(uuid.UUID(tenant_id)) if tenant_id else self.new_id()
            if tid in self.books:
                raise ValueError(f"tenant {tid} already exists")
            tenant = Tenant(tid, name, self.now())
            self.books[tid] = TenantBooks(tenant, ContactBook(tenant, self.new_id))
            return tid

    def tenant_ids(self) -> list[str]:
        """IDs of every tenant, oldest first."""
        return list(self.books)

    def _books(self, tenant_id: str) -> TenantBooks:
        try:
            return self.books[tenant_id]
        except KeyError:
            raise ValueError(f"unknown tenant {tenant_id}") from None

    # ---- seeding and inspection --------------------------------------------------------------

    def add_contact(self, tenant_id: str, **fields: Any) -> dict[str, Any]:
        """Create a contact under the API's rules (ValueError on a validation error)."""
        with self.lock:
            book = self._books(tenant_id).contacts
            outcome, _, record = book.apply(fields, self.now(), create_only=True, seeding=True)
            if record is None:
                raise ValueError("; ".join(outcome.errors))
            return book.render(record)

    def add_invoice(self, tenant_id: str, contact_id: str, **fields: Any) -> dict[str, Any]:
        """Create an invoice (ACCREC, AUTHORISED; `Total=` makes a one-line invoice)."""
        with self.lock:
            books = self._books(tenant_id)
            record = books.ledger.add_invoice(contact_id, fields, self.now())
            return books.render("Invoices", record)

    def _add_source(
        self,
        kind: str,
        tenant_id: str,
        contact_id: str,
        allocations: Sequence[tuple[str, Any]],
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        with self.lock:
            books = self._books(tenant_id)
            record = books.ledger.add_source(
                kind, contact_id, fields, self.now(), list(allocations)
            )
            return books.render(kind, record)

    def add_credit_note(
        self,
        tenant_id: str,
        contact_id: str,
        allocations: Sequence[tuple[str, Any]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """Create an ACCRECCREDIT credit note; `allocations` are (InvoiceID, amount) pairs."""
        return self._add_source("CreditNotes", tenant_id, contact_id, allocations, fields)

    def add_overpayment(
        self,
        tenant_id: str,
        contact_id: str,
        allocations: Sequence[tuple[str, Any]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a RECEIVE-OVERPAYMENT; `allocations` are (InvoiceID, amount) pairs."""
        return self._add_source("Overpayments", tenant_id, contact_id, allocations, fields)

    def add_prepayment(
        self,
        tenant_id: str,
        contact_id: str,
        allocations: Sequence[tuple[str, Any]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a RECEIVE-PREPAYMENT; `allocations` are (InvoiceID, amount) pairs."""
        return self._add_source("Prepayments", tenant_id, contact_id, allocations, fields)

    def allocate(
        self, tenant_id: str, kind: str, source_id: str, invoice_id: str, amount: Any
    ) -> dict[str, Any]:
        """Apply credit from a credit note/overpayment/prepayment to an invoice."""
        name = kind_name(kind)
        if name not in SOURCE_KINDS:
            raise ValueError(f"only {SOURCE_KINDS} can be allocated, not {name}")
        with self.lock:
            books = self._books(tenant_id)
            books.ledger.allocate(name, source_id, invoice_id, amount, self.now())
            return books.render(name, books.tenant.of(name)[source_id])

    def add_payment(
        self, tenant_id: str, invoice_id: str, amount: Any, **fields: Any
    ) -> dict[str, Any]:
        """Pay (part of) an AUTHORISED invoice; the invoice turns PAID when nothing is due."""
        with self.lock:
            books = self._books(tenant_id)
            record = books.ledger.add_payment(invoice_id, amount, fields, self.now())
            return books.render("Payments", record)

    def update(self, tenant_id: str, kind: str, id: str, **fields: Any) -> dict[str, Any]:
        """Change a record's fields behind the API's back; bumps UpdatedDateUTC."""
        name = kind_name(kind)
        with self.lock:
            books = self._books(tenant_id)
            if id not in books.tenant.of(name):
                raise ValueError(f"unknown {name} {id}")
            if name == "Contacts":
                record = books.contacts.set_fields(id, fields, self.now())
            else:
                record = books.ledger.update(name, id, fields, self.now())
            return books.render(name, record)

    def get(self, tenant_id: str, kind: str, id: str) -> dict[str, Any] | None:
        """One record as Xero JSON, or None."""
        name = kind_name(kind)
        with self.lock:
            books = self._books(tenant_id)
            record = books.tenant.of(name).get(id)
            return books.render(name, record) if record else None

    def records(self, tenant_id: str, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind (archived and deleted included), as Xero JSON."""
        name = kind_name(kind)
        with self.lock:
            books = self._books(tenant_id)
            return [books.render(name, record) for record in books.tenant.all_of(name)]

    def documents(self, tenant_id: str, kind: str) -> list[dict[str, Any]]:
        """Every stored record of a document kind xerowatch creates (`PurchaseOrders`,
        `ManualJournals`, …), as sent and kept (not rendered like the read-model kinds)."""
        with self.lock:
            return [dict(record.data) for record in self._books(tenant_id).tenant.all_of(kind)]

    def contacts(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every contact of a tenant, archived included."""
        return self.records(tenant_id, "Contacts")

    def archive_contact(self, tenant_id: str, contact_id: str) -> dict[str, Any]:
        """Archive a contact as a Xero user would in the web app."""
        return self.update(tenant_id, "Contacts", contact_id, ContactStatus="ARCHIVED")

    def merge_contacts(self, tenant_id: str, keep_id: str, gone_id: str) -> dict[str, Any]:
        """Merge `gone_id` into `keep_id`: its documents move and it disappears."""
        with self.lock:
            books = self._books(tenant_id)
            if keep_id == gone_id or keep_id not in books.contacts.records:
                raise ValueError("merge needs two different existing contacts")
            books.contacts.remove(gone_id)
            now = self.now()
            books.ledger.move_contact(gone_id, keep_id, now)
            record = books.contacts.set_fields(keep_id, {}, now)
            return books.contacts.render(record)

    # ---- identity ----------------------------------------------------------------------------

    def grant_authorization(
        self, tenant_ids: Sequence[str] | None = None, scope: str = DEFAULT_SCOPE
    ) -> dict[str, Any]:
        """Skip the browser dance: the token response of a fresh consent to these tenants."""
        with self.lock:
            return self.identity.grant_tokens(tenant_ids, scope)

    # ---- request log -------------------------------------------------------------------------

    def calls(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> int:
        """Count logged requests by method, path (shell-style wildcards allowed) and status."""
        with self.lock:
            return sum(
                1
                for entry in self.requests
                if (method is None or entry.method == method.upper())
                and (path is None or fnmatch.fnmatchcase(entry.path, path))
                and (status is None or entry.status == status)
            )
