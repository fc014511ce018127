"""The expense stream's spec: ConnectWise unposted expenses → Xero ACCPAY bills (and, for
Personal expenses, ACCPAYCREDIT credit notes) to the member.

Mapping is `connectwise_documents.map_expenses` (one document per expense, or per member, ISO
week and kind with `expense_grouping = "weekly"`); the member is a Xero contact
(`member_contact_prefix` + identifier, its name from the expense's member reference). A
document's expenses are posted in ConnectWise as one batch: `XW-E{number without EXP-}`, or
`XW-ECR{number without EXPCR-}` for a weekly credit note (≤ 50 characters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import (
    ConnectWiseAccounting,
    PostKind,
    document_batch_identifier,
)
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader
from xerowatch.source.connectwise.models_documents import UnpostedExpense
from xerowatch.store.connectwise_records import RecordKind
from xerowatch.sync.connectwise_doc_stream import DocUnit, HeldRecords, utc_stamp
from xerowatch.sync.connectwise_documents import CREDIT_PREFIX, HeldRecord, map_expenses
from xerowatch.sync.connectwise_parties import Party
from xerowatch.xero.models_documents import DocumentKind, draft_key

EXPENSE_CURSOR = "connectwise:expenses"


class ExpenseSpec:
    """Unposted expenses as bills and credit notes (a `DocSpec`)."""

    kind: RecordKind = "expense"
    cursor: str = EXPENSE_CURSOR
    document_kinds: tuple[DocumentKind, ...] = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)
    post_kind: PostKind = "expenses"

    def __init__(self, accounting: ConnectWiseAccounting, settings: ConnectWiseSettings) -> None:
        self.reader = ConnectWiseDocumentReader(accounting)
        self.settings = settings

    def pages(self, since: dt.datetime | None) -> AsyncIterator[Sequence[UnpostedExpense]]:
        """Unposted expenses changed at or after `since`, by page."""
        return self.reader.unposted_expenses(since)

    def record_id(self, record: UnpostedExpense) -> int:
        """The expense's id."""
        return record.id

    def number(self, record: UnpostedExpense) -> str:
        """`EXP-{id}` (what `xerowatch retry` and alerts call it)."""
        return f"EXP-{record.id}"

    def stamp(self, record: UnpostedExpense) -> str:
        """Its `_info/lastUpdated`."""
        return utc_stamp(record.info.last_updated if record.info else None)

    def parties(self, record: UnpostedExpense) -> Sequence[Party]:
        """The member the bill is to (none when the expense names none: the mapping holds it)."""
        member = record.member
        if member is None or member.id is None:
            return []
        return [Party("member", member.id, member.identifier or "", member.name or "")]

    async def map(self, records: Sequence[UnpostedExpense]) -> Sequence[DocUnit | HeldRecords]:
        """Bills and credit notes (with the expenses each covers) and held expenses."""
        by_id = {r.id: r for r in records}
        out: list[DocUnit | HeldRecords] = []
        for item in map_expenses(records, self.settings):
            if isinstance(item, HeldRecord):
                out.append(HeldRecords(item.ids, item.reason))
                continue
            member = by_id[item.source_ids[0]].member
            if member is None or member.id is None:  # map_expenses holds these; be explicit
                reason = "it has no member in ConnectWise — assign it to a member"
                out.append(HeldRecords(item.source_ids, reason))
                continue
            number = draft_key(item.draft)
            if number.startswith(CREDIT_PREFIX):
                batch = document_batch_identifier("ECR", number.removeprefix(CREDIT_PREFIX))
            else:
                batch = document_batch_identifier("E", number.removeprefix("EXP-"))
            out.append(
                DocUnit(
                    (item.draft,),
                    item.source_ids,
                    batch,
                    ("member", member.id),
                )
            )
        return out
