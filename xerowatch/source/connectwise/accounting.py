"""ConnectWise's accounting interface as xerowatch uses it: read unposted, export, post one batch.

The flow accounting links use (Zynk, Wise-Sync, Mobius): list unposted invoices → export them
(`POST /finance/accounting/export`, GL lines with account numbers, no batch) → create them in
Xero → `POST /finance/accounting/batches` listing the invoice's GL entry ids, which marks it
posted. One batch per invoice, named `batch_identifier(...)`, so one bad record never blocks
another and one record can be un-posted alone by deleting its batch in ConnectWise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from xerowatch.clock import Clock
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.client import ConnectWiseClient
from xerowatch.source.connectwise.conditions import Condition, all_of, updated_since
from xerowatch.source.connectwise.errors import ConnectWiseError
from xerowatch.source.connectwise.models import (
    Company,
    CompanyContact,
    CwModel,
    GLExport,
    InvoicePayment,
    UnpostedInvoice,
)
from xerowatch.source.port import SourceError

UNPOSTED_INVOICES = "/finance/accounting/unpostedinvoices"
EXPORT = "/finance/accounting/export"
BATCHES = "/finance/accounting/batches"
COMPANIES = "/company/companies"
CONTACTS = "/company/contacts"
INVOICES = "/finance/invoices"
PAYMENT_TYPE = "P"
"""`InvoicePayment.type` sent (unconfirmed: ConnectWise does not enumerate the values, notes §5)."""
BATCH_ID_MAX = 50
PostKind = Literal["invoices", "expenses", "products"]
"""What a batch posts: its `export{Invoices|Expenses|Products}Flag` (products = procurement)."""
_FLAGS: dict[PostKind, str] = {
    "invoices": "exportInvoicesFlag",
    "expenses": "exportExpensesFlag",
    "products": "exportProductsFlag",
}

M = TypeVar("M", bound=CwModel)


def batch_identifier(invoice_number: str, invoice_id: int) -> str:
    """`XW-I{invoice number}-{id}`, at most 50 characters: one stable batch per invoice."""
    suffix = f"-{invoice_id}"
    head = f"XW-I{invoice_number}"[: BATCH_ID_MAX - len(suffix)]
    return head + suffix


def location_condition(locations: Sequence[int]) -> Condition | None:
    """`locationId = 1`, `locationId in (1,3)`, or None for every location."""
    if not locations:
        return None
    if len(locations) == 1:
        return Condition("locationId", "=", locations[0])
    return Condition("locationId", "in", tuple(locations))


def _parse(model: type[M], item: Any, what: str) -> M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SourceError(
            f"ConnectWise {what}: field {where!r} {first['msg'].lower()}", transient=False
        ) from None


def document_batch_identifier(prefix: str, key: str) -> str:
    """`XW-{prefix}{key}` cut to 50 characters, keeping the end (where record ids are)."""
    whole = f"XW-{prefix}{key}"
    if len(whole) <= BATCH_ID_MAX:
        return whole
    head = f"XW-{prefix}"
    return head + whole[len(whole) - (BATCH_ID_MAX - len(head)) :]


def processed_record_ids(record_ids: Sequence[int]) -> list[int]:
    """The `processedRecordIds` that post expenses or procurement records (one place).

    Unconfirmed (notes §5): ConnectWise documents them only as "GL Entry RecIDs". Expenses and
    procurement are read from the unposted lists without an export, so a batch lists the
    unposted records' own ids (`UnpostedExpense.id`, `UnpostedProcurement.id`): the ids those
    lists key on, and the ones a batch must take off them.
    """
    return sorted(dict.fromkeys(record_ids))


parse_record = _parse
"""Parse one ConnectWise record; a mismatch is one permanent `SourceError` naming the field."""


class ConnectWiseAccounting:
    """Reads and posts invoices through the accounting interface; reads their companies.

    Lists read only `locations` (billing location ids; empty = every location): by default
    `[connectwise] location_id`, and one organisation's own set through `for_locations`.
    """

    def __init__(
        self,
        client: ConnectWiseClient,
        settings: ConnectWiseSettings,
        clock: Clock,
        locations: Sequence[int] | None = None,
    ):
        self.client = client
        self.settings = settings
        default = (settings.location_id,) if settings.location_id else ()
        self.locations: tuple[int, ...] = tuple(locations) if locations is not None else default
        self._clock = clock

    def for_locations(self, locations: Sequence[int]) -> ConnectWiseAccounting:
        """The same client reading only these billing locations (one Xero organisation's)."""
        return ConnectWiseAccounting(self.client, self.settings, self._clock, locations)

    async def system_info(self) -> dict[str, Any]:
        """`GET /system/info`: the connectivity check (version, isCloud, time zone)."""
        body = await self.client.get_json("/system/info")
        if not isinstance(body, dict):
            raise SourceError("ConnectWise GET /system/info: expected an object", transient=True)
        return body

    async def unposted_invoices(
        self, since: dt.datetime | None
    ) -> AsyncIterator[list[UnpostedInvoice]]:
        """Unposted invoices of our billing location changed at or after `since`, by page."""
        conditions = all_of([updated_since(since), location_condition(self.locations)])
        async for page in self.client.pages(UNPOSTED_INVOICES, conditions):
            yield [_parse(UnpostedInvoice, item, f"GET {UNPOSTED_INVOICES}") for item in page]

    async def export_invoices(self, invoices: Sequence[UnpostedInvoice], *, batch: str) -> GLExport:
        """Export the GL lines of `invoices` without posting them (no batch is created).

        `thruDate` is a day after the latest invoice date (and after now): ConnectWise leaves
        out invoices dated after it, and evaluates it in its server's time zone.
        """
        latest = max(
            [self._clock.now(), *(i.invoice_date for i in invoices if i.invoice_date)],
            key=lambda d: d if d.tzinfo else d.replace(tzinfo=dt.UTC),
        )
        body = {
            "batchIdentifier": batch,
            "thruDate": (latest + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "summarizeInvoices": "Detailed",
            "exportInvoicesFlag": True,
            "includedInvoiceIds": [i.id for i in invoices],
            "exportExpensesFlag": False,
            "exportProductsFlag": False,
        }
        if len(self.locations) == 1:  # several: includedInvoiceIds already holds only ours
            body["locationId"] = self.locations[0]
        answer = await self.client.post_json(EXPORT, body)
        return _parse(GLExport, answer or {}, f"POST {EXPORT}")

    async def post_invoice(self, batch: str, gl_entry_ids: Sequence[str]) -> None:
        """Mark one invoice posted: a batch of its GL entry ids. Safe to repeat."""
        if not gl_entry_ids:
            raise SourceError(
                f"ConnectWise batch {batch}: the invoice has no GL entry ids — fix its GL "
                "mapping in ConnectWise, reopen and close it, then retry",
                transient=False,
            )
        await self.post_batch(
            batch, "invoices", [int(i) if i.isdigit() else i for i in gl_entry_ids]
        )

    async def post_records(self, batch: str, kind: PostKind, record_ids: Sequence[int]) -> None:
        """Mark expenses (`expenses`) or procurement records (`products`) posted: one batch."""
        if not record_ids:
            raise SourceError(f"ConnectWise batch {batch}: no records to post", transient=False)
        await self.post_batch(batch, kind, processed_record_ids(record_ids))

    async def post_batch(self, batch: str, kind: PostKind, ids: Sequence[int | str]) -> None:
        """Create one accounting batch of `kind` listing `ids`, which posts them. Safe to repeat.

        A repeat (after an answer lost in flight) finds the batch already there and is done.
        """
        body: dict[str, Any] = {"batchIdentifier": batch}
        body.update({flag: kind == name for name, flag in _FLAGS.items()})
        body["processedRecordIds"] = list(ids)
        try:
            await self.client.post_json(BATCHES, body)
        except ConnectWiseError as exc:
            if exc.status == 400 and exc.duplicate and await self.batch_exists(batch):
                return
            raise

    async def batch_exists(self, batch: str) -> bool:
        """Whether a batch with this identifier exists (posted, or posted and closed)."""
        conditions = str(Condition("batchIdentifier", "=", batch))
        return await self.client.count(BATCHES, conditions) > 0

    async def invoice_payments(self, invoice_id: int) -> list[InvoicePayment]:
        """The payments applied to one invoice (one call: an invoice has few)."""
        path = f"{INVOICES}/{invoice_id}/payments"
        body = await self.client.get_json(path, {"pageSize": 1000})
        if not isinstance(body, list):
            raise SourceError(f"ConnectWise GET {path}: expected a list", transient=True)
        return [_parse(InvoicePayment, item, f"GET {path}") for item in body]

    async def add_payment(
        self, invoice_id: int, amount: Decimal, paid_on: dt.date
    ) -> InvoicePayment:
        """Apply a payment to an invoice (not repeatable: the caller checks before resending)."""
        path = f"{INVOICES}/{invoice_id}/payments"
        body = {
            "type": PAYMENT_TYPE,
            "invoice": {"id": invoice_id},
            "amount": float(amount),  # at most 2 dp: exact as a JSON number
            "paymentDate": f"{paid_on.isoformat()}T00:00:00Z",
        }
        return _parse(InvoicePayment, await self.client.post_json(path, body), f"POST {path}")

    async def company(self, company_id: int) -> Company | None:
        """One company, or None when it is gone."""
        try:
            body = await self.client.get_json(f"{COMPANIES}/{company_id}")
        except ConnectWiseError as exc:
            if exc.status == 404:
                return None
            raise
        return _parse(Company, body, f"GET {COMPANIES}/{company_id}")

    async def contact(self, contact_id: int) -> CompanyContact | None:
        """One contact (a company's primary or billing contact), or None when it is gone."""
        try:
            body = await self.client.get_json(f"{CONTACTS}/{contact_id}")
        except ConnectWiseError as exc:
            if exc.status == 404:
                return None
            raise
        return _parse(CompanyContact, body, f"GET {CONTACTS}/{contact_id}")

    async def changed_companies(self, since: dt.datetime | None) -> AsyncIterator[list[Company]]:
        """Companies changed at or after `since` (None = all), by page."""
        async for page in self.client.pages(COMPANIES, all_of([updated_since(since)])):
            yield [_parse(Company, item, f"GET {COMPANIES}") for item in page]
