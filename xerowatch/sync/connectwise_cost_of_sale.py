"""The cost of sale of a ConnectWise invoice's product lines → one balanced Xero manual journal.

Choices (docs/connectwise.md), unconfirmed against a ConnectWise sandbox (notes §5b: product
lines carry cost, COGS and inventory accounts "for cost-of-sale journals"):
- A detail line's `cost` is its extended cost (what the items sold cost), already in cents;
  without it, |quantity| x `itemCost` rounded half away from zero. Lines with no cost, or a
  zero cost, carry none (services, agreements, time).
- The cost is a debit on `costAccountNumber` (else `cost_of_sale_account`) and a credit on
  `inventoryAccountNumber`, both through `account_codes`; summed per account and tracking, so
  the journal balances. A costed line without an inventory account (or a COGS account and no
  fallback) holds the journal.
- One journal per invoice, dated the invoice's date, narration `ConnectWise cost of sale
  {invoice number} ({id})` (its key). An invoice without costed lines needs no journal.
- The journal is one of the invoice record's documents (ConnectWise posts the COGS entries in
  the invoice's batch): the invoice is in_xero, and posted, only once its journal is done too;
  a journal that cannot be made holds the invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models import GLInvoice, GLInvoiceLine
from xerowatch.store import document_outbox as outbox
from xerowatch.store.connectwise_records import CwRecord
from xerowatch.store.db import Store
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_inventory import MappedJournal, NoJournal, Tracking
from xerowatch.sync.connectwise_mapping import ZERO
from xerowatch.sync.connectwise_tracking import tracking_of_known
from xerowatch.xero.models_documents import (
    DocumentKind,
    JournalLine,
    ManualJournalDraft,
    TrackingRef,
    identity_key,
    round_money,
)


def line_cost(line: GLInvoiceLine) -> Decimal | None:
    """What a product line's items cost (positive), or None when it carries no cost."""
    if line.cost is not None:
        return abs(line.cost)
    if line.item_cost is not None:
        return round_money(abs(line.quantity) * line.item_cost)
    return None


def _account(number: str | None, settings: ConnectWiseSettings, fallback: str = "") -> str:
    number = (number or "").strip()
    return settings.account_codes.get(number, number) if number else fallback


def map_cost_of_sale(
    gl: GLInvoice, settings: ConnectWiseSettings
) -> MappedJournal | NoJournal | HeldRecord:
    """The cost-of-sale journal of one exported invoice, none when it sold no costed items,
    or why it is held."""
    number = gl.document_number.strip() or str(gl.id)
    key = f"cost of sale of invoice {number}"
    cw_id = int(gl.id)
    if gl.document_date is None:
        return HeldRecord(key, f"{key}: the invoice has no date in ConnectWise")
    per: dict[tuple[str, Tracking], Decimal] = {}
    cost_total = ZERO
    for line in gl.detail:
        cost = line_cost(line)
        if not cost:
            continue
        if cost != round_money(cost):
            return HeldRecord(key, f"{key}: line {line.id} cost {cost} is not an amount in cents")
        cogs = _account(line.cost_account, settings, settings.cost_of_sale_account)
        stock = _account(line.inventory_account, settings)
        if not cogs or not stock:
            missing = "COGS" if not cogs else "inventory"
            fix = (
                "set the product's GL mapping in ConnectWise or [connectwise] cost_of_sale_account"
                if not cogs
                else "set the product's inventory GL mapping in ConnectWise"
            )
            return HeldRecord(key, f"{key}: line {line.id} has no {missing} account — {fix}")
        tracking = tracking_of_known(line.gl_class, settings)
        if isinstance(tracking, str):
            return HeldRecord(key, f"{key}: {tracking}")
        pairs = tuple((t.name, t.option) for t in tracking)
        per[(cogs, pairs)] = per.get((cogs, pairs), ZERO) + cost
        per[(stock, pairs)] = per.get((stock, pairs), ZERO) - cost
        cost_total += cost
    label = f"ConnectWise cost of sale {number}"
    lines = [
        JournalLine(
            line_amount=amount,
            account_code=account,
            description=label,
            tracking=[TrackingRef(name=n, option=o) for n, o in pairs] or None,
        )
        for (account, pairs), amount in sorted(per.items())
        if amount != 0
    ]
    if not lines:
        return NoJournal(key, f"invoice {number} sold no costed items: no cost of sale", cw_id)
    try:
        draft = ManualJournalDraft(
            narration=f"{label} ({cw_id})", date=gl.document_date.date(), journal_lines=lines
        )
    except ValidationError as exc:
        return HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}")
    return MappedJournal(draft, cw_id, cost_total)


def invoice_journal(
    gl: GLInvoice, settings: ConnectWiseSettings
) -> ManualJournalDraft | str | None:
    """With `cost_of_sale`, the journal an invoice's documents include, or why the invoice is
    held (its batch would post COGS entries Xero does not have); None when it needs none."""
    if not settings.cost_of_sale:
        return None
    mapped = map_cost_of_sale(gl, settings)
    if isinstance(mapped, HeldRecord):
        return mapped.reason
    return None if isinstance(mapped, NoJournal) else mapped.draft


def journal_doc_key(draft: ManualJournalDraft) -> str:
    """`manual_journal|{narration}`: where the invoice record finds its journal in the outbox."""
    return f"{DocumentKind.MANUAL_JOURNAL.value}|{identity_key(draft)}"


async def journals_pending(
    store: Store, tid: str, rows: Sequence[CwRecord]
) -> dict[int, str | None]:
    """For queued invoices with a cost-of-sale journal not yet in Xero: invoice id → None while
    it is on its way, or Xero's reason when it was refused (done or no journal: absent)."""
    wanted: dict[int, str] = {}
    for row in rows:
        for line in row.doc_keys.splitlines():
            kind, _, key = line.partition("|")
            if kind == DocumentKind.MANUAL_JOURNAL.value and key:
                wanted[row.cw_id] = key
    if not wanted:
        return {}
    docs = await outbox.get_documents(
        store, tid, DocumentKind.MANUAL_JOURNAL.value, sorted(set(wanted.values()))
    )
    out: dict[int, str | None] = {}
    for cw_id, key in wanted.items():
        doc = docs.get(key)
        if doc is None or doc.state in ("pending", "sending"):
            out[cw_id] = None
        elif doc.state != "done":
            out[cw_id] = f"its cost-of-sale journal: {doc.last_error or 'refused by Xero'}"
    return out
