"""The procurement kinds of the ConnectWise document streams: purchase orders (with bills per
packing slip), inventory adjustments and warehouse transfers, as `DocSpec`s.

Each reads its `procurementType` from the unposted procurement list, exports the page once
(`exportProductsFlag`: GL classes, a transfer's items), maps with the pure functions of
`connectwise_purchases` / `connectwise_inventory`, and leaves the rest — cursor, vendor
contacts, outbox, settling, one ConnectWise batch per record — to `DocStream`.

- A purchase (one record per purchase order in the accounting interface) becomes one unit: the
  Xero purchase order and, with `purchase_bills_per_packing_slip`, one ACCPAY bill per packing
  slip received so far. ConnectWise lists a PO again when more of it is received; its unit then
  holds the same purchase order and earlier bills (the outbox leaves documents already in Xero
  alone: same key) and the bill of the new packing slip. A bill that cannot be exact holds the
  whole record (posting it would post lines Xero does not have).
- An adjustment or transfer becomes one manual journal; a transfer within one Xero account
  (or an adjustment worth nothing) needs none: its record is posted in ConnectWise with the
  reason in its history.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Literal

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import PostKind, document_batch_identifier
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader
from xerowatch.source.connectwise.models_documents import (
    GLInventoryTransfer,
    GLProcurementExport,
    UnpostedProcurement,
)
from xerowatch.store.connectwise_records import RecordKind
from xerowatch.sync.connectwise_doc_stream import DocUnit, HeldRecords, utc_stamp
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_inventory import (
    MappedJournal,
    NoJournal,
    map_adjustment,
    map_transfer,
)
from xerowatch.sync.connectwise_parties import Party
from xerowatch.sync.connectwise_purchases import classes_of, map_purchase
from xerowatch.xero.models_documents import DocumentKind, Draft

Mapped = DocUnit | HeldRecords
_Kind = Literal["Purchase", "Adjustment", "Transfer"]


class _ProcurementSpec:
    """What the three procurement kinds share: reading one procurementType, stamps, export."""

    kind: RecordKind
    cursor: str
    document_kinds: tuple[DocumentKind, ...]
    post_kind: PostKind = "products"
    procurement_type: _Kind
    batch_prefix: str

    def __init__(self, reader: ConnectWiseDocumentReader, settings: ConnectWiseSettings) -> None:
        self.reader = reader
        self.settings = settings

    async def pages(self, since: dt.datetime | None) -> AsyncIterator[list[UnpostedProcurement]]:
        """Unposted procurement of this type changed at or after `since`, by page."""
        async for page in self.reader.unposted_procurement(since, kind=self.procurement_type):
            yield page

    def record_id(self, record: UnpostedProcurement) -> int:
        """The unposted record's id (what its batch posts)."""
        return record.id

    def number(self, record: UnpostedProcurement) -> str:
        """Its ConnectWise id (kinds with a better name override this)."""
        return str(record.id)

    def stamp(self, record: UnpostedProcurement) -> str:
        """Its `_info/lastUpdated` (ISO 8601 UTC)."""
        return utc_stamp(record.info.last_updated if record.info else None)

    def parties(self, record: UnpostedProcurement) -> Sequence[Party]:
        """None: journals carry no contact (purchases override this)."""
        return ()

    def batch(self, record: UnpostedProcurement) -> str:
        """`XW-{prefix}{number}-{id}`: one stable batch per record, at most 50 characters."""
        return document_batch_identifier(self.batch_prefix, f"{self.number(record)}-{record.id}")

    async def export(self, records: Sequence[UnpostedProcurement]) -> GLProcurementExport:
        """The GL export of these records (one call; posts nothing)."""
        if not records:
            return GLProcurementExport()
        return await self.reader.export_procurement(
            records, batch=f"XW-EXPORT-{self.procurement_type.upper()}"
        )

    def unit(
        self,
        record: UnpostedProcurement,
        mapped: MappedJournal | NoJournal | HeldRecord,
    ) -> Mapped:
        """A journal's unit (none for `NoJournal`), or the record held."""
        if isinstance(mapped, HeldRecord):
            return HeldRecords((record.id,), mapped.reason)
        drafts: tuple[Draft, ...] = ()
        note = ""
        if isinstance(mapped, NoJournal):
            note = mapped.reason
        else:
            drafts = (mapped.draft,)
        return DocUnit(drafts, (record.id,), self.batch(record), note=note)


class PurchaseSpec(_ProcurementSpec):
    """Purchase orders → Xero purchase orders (+ a bill per packing slip when configured)."""

    kind: RecordKind = "purchase"
    cursor = "connectwise:purchases"
    document_kinds: tuple[DocumentKind, ...] = (DocumentKind.PURCHASE_ORDER, DocumentKind.INVOICE)
    procurement_type: _Kind = "Purchase"
    batch_prefix = "P"

    def number(self, record: UnpostedProcurement) -> str:
        """The PO number."""
        po = record.purchase_order
        return (po.identifier if po and po.identifier else "") or str(record.id)

    def parties(self, record: UnpostedProcurement) -> Sequence[Party]:
        """The vendor company."""
        vendor = record.vendor
        return [Party("customer", vendor.id)] if vendor and vendor.id else []

    async def map(self, records: Sequence[UnpostedProcurement]) -> Sequence[Mapped]:
        """A unit per purchase order, or the record held with the fix."""
        exported = await self.export(records)
        lines = await asyncio.gather(
            *(
                self.reader.purchase_order_lines(r.purchase_order.id)
                for r in records
                if r.purchase_order and r.purchase_order.id
            )
        )
        by_record = dict(
            zip(
                [r.id for r in records if r.purchase_order and r.purchase_order.id],
                lines,
                strict=True,
            )
        )
        out: list[Mapped] = []
        for record in records:
            number = self.number(record)
            if record.id not in by_record:
                reason = (
                    f"procurement {record.id} names no purchase order — check it in ConnectWise"
                )
                out.append(HeldRecords((record.id,), reason))
                continue
            classes = classes_of(number, exported.purchases)
            mapped = map_purchase(record, by_record[record.id], self.settings, classes)
            held = [m for m in mapped if isinstance(m, HeldRecord)]
            if held:
                out.append(HeldRecords((record.id,), held[0].reason))
                continue
            drafts = tuple(m.draft for m in mapped if not isinstance(m, HeldRecord))
            vendor = record.vendor.id if record.vendor and record.vendor.id else 0
            out.append(
                DocUnit(drafts, (record.id,), self.batch(record), party=("customer", vendor))
            )
        return out


class AdjustmentSpec(_ProcurementSpec):
    """Inventory adjustments → balanced manual journals."""

    kind: RecordKind = "adjustment"
    cursor = "connectwise:adjustments"
    document_kinds: tuple[DocumentKind, ...] = (DocumentKind.MANUAL_JOURNAL,)
    procurement_type: _Kind = "Adjustment"
    batch_prefix = "A"

    def number(self, record: UnpostedProcurement) -> str:
        """The adjustment's identifier."""
        ref = record.adjustment
        return (ref.identifier if ref and ref.identifier else "") or str(record.id)

    async def map(self, records: Sequence[UnpostedProcurement]) -> Sequence[Mapped]:
        """A journal per adjustment (none when it moves no value), or the record held."""
        exported = await self.export(records)
        classes = {str(a.id): a.gl_class for a in exported.adjustments}
        type_accounts = {str(a.id): a.account_number for a in exported.adjustments}
        details = await asyncio.gather(*(self.reader.adjustment_details(r.id) for r in records))
        return [
            self.unit(
                record,
                map_adjustment(
                    record,
                    found,
                    self.settings,
                    classes.get(str(record.id)),
                    type_accounts.get(str(record.id)),
                ),
            )
            for record, found in zip(records, details, strict=True)
        ]


class TransferSpec(_ProcurementSpec):
    """Warehouse transfers → manual journals between warehouse inventory accounts."""

    kind: RecordKind = "transfer"
    cursor = "connectwise:transfers"
    document_kinds: tuple[DocumentKind, ...] = (DocumentKind.MANUAL_JOURNAL,)
    procurement_type: _Kind = "Transfer"
    batch_prefix = "T"

    async def map(self, records: Sequence[UnpostedProcurement]) -> Sequence[Mapped]:
        """A journal per transfer (none within one account), or the record held."""
        exported = await self.export(records)
        rows: dict[int, list[GLInventoryTransfer]] = {}
        for row in exported.transfers:
            if row.transfer_id is not None:
                rows.setdefault(row.transfer_id, []).append(row)
        return [
            self.unit(record, map_transfer(record, rows.get(record.id, []), self.settings))
            for record in records
        ]
