"""ConnectWise inventory adjustments and warehouse transfers → balanced Xero manual journals
(amounts only; stock stays in ConnectWise).

Choices (docs/connectwise.md), unconfirmed against a ConnectWise sandbox:
- Each detail's value is quantity adjusted x unit cost, rounded half away from zero to the
  cent; its warehouse's inventory asset account (`warehouse_inventory_accounts`) takes the
  value (a debit when stock rises) and the other side goes to the GL account ConnectWise maps
  the adjustment's type to (the export's `accountNumber`: a write-off, a revaluation; through
  `account_codes`), else to `inventory_adjustment_account`. Lines
  are summed per account, so the journal balances by construction (and Xero's own check).
- The journal's values must add up to ConnectWise's procurement total to the cent, else the
  adjustment is held naming both numbers.
- Narration `ConnectWise inventory adjustment {identifier} ({id})` is the journal's key.
- A transfer's items (the GL export's `inventoryTransfers[]`) move their value (ConnectWise's
  line total; quantity x cost to the cent when it sends none) from the account of
  `transferFromLocationXref` to that of `transferToLocationXref`, both looked up in
  `warehouse_inventory_accounts` (warehouse names or xrefs). Summed per account and tracking;
  a transfer within one Xero account nets to nothing and makes no journal (`NoJournal`, posted
  in ConnectWise only). Narration `ConnectWise inventory transfer {id}` is its key.
- Every journal line carries the tracking of the record's GL class (`tracking_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import (
    AdjustmentDetail,
    GLInventoryTransfer,
    ProcurementKind,
    UnpostedProcurement,
)
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_mapping import ZERO
from xerowatch.sync.connectwise_tracking import tracking_for
from xerowatch.xero.models_documents import (
    JournalLine,
    ManualJournalDraft,
    TrackingRef,
    round_money,
)

Tracking = tuple[tuple[str, str], ...]
"""Tracking as (category, option) pairs: hashable, so lines can be summed per tracking."""


@dataclass(frozen=True)
class MappedJournal:
    """A balanced manual journal and ConnectWise's net value it carries."""

    draft: ManualJournalDraft
    source_id: int
    connectwise_total: Decimal


@dataclass(frozen=True)
class NoJournal:
    """A record that moves no value between Xero accounts: nothing for Xero, post it only."""

    key: str
    reason: str
    source_id: int


def _problem(record: UnpostedProcurement, settings: ConnectWiseSettings, offset: str) -> str | None:
    what = f"adjustment {record.id}"
    if record.kind != ProcurementKind.ADJUSTMENT:
        kind = record.kind or "record of no type"
        return f"procurement {record.id} is a {kind}, not an adjustment"
    if not offset:
        return (
            f"{what}: its adjustment type has no GL account in ConnectWise; map the type there "
            "or set [connectwise] inventory_adjustment_account"
        )
    if record.date is None:
        return f"{what} has no date in ConnectWise"
    if record.total is None or record.total != round_money(record.total):
        return f"{what} total {record.total} is not an amount in cents: correct it in ConnectWise"
    return None


def map_adjustment(
    record: UnpostedProcurement,
    details: Sequence[AdjustmentDetail],
    settings: ConnectWiseSettings,
    gl_class: str | None = None,
    type_account: str | None = None,
) -> MappedJournal | NoJournal | HeldRecord:
    """The balanced manual journal for one inventory adjustment, none when it moves no value
    (posted in ConnectWise only), or why it is held. `type_account` is the GL account of the
    adjustment's type from ConnectWise's export (write-offs, revaluations)."""
    name = record.adjustment.identifier if record.adjustment else None
    key = f"adjustment {name or record.id}"
    number = (type_account or "").strip()
    offset = settings.account_codes.get(number, number) or settings.inventory_adjustment_account
    problem = _problem(record, settings, offset)
    if problem is not None:
        return HeldRecord(key, problem)
    tracking = tracking_for(gl_class, settings) if gl_class is not None else ()
    if isinstance(tracking, str):
        return HeldRecord(key, f"{key}: {tracking}")
    assert record.total is not None and record.date is not None
    per_account: dict[str, Decimal] = {}
    for detail in details:
        warehouse = detail.warehouse.name if detail.warehouse else None
        account = settings.warehouse_inventory_accounts.get(warehouse or "")
        if not account:
            return HeldRecord(
                key,
                f"{key} moves stock in warehouse {warehouse!r} with no Xero account: set "
                f"[connectwise] warehouse_inventory_accounts.{warehouse or '<warehouse>'}",
            )
        if detail.unit_cost is None:
            return HeldRecord(key, f"{key}: detail {detail.id} has no unit cost in ConnectWise")
        value = round_money(detail.quantity * detail.unit_cost)
        per_account[account] = per_account.get(account, ZERO) + value
    net = sum(per_account.values(), ZERO)
    if net != record.total:
        return HeldRecord(
            key,
            f"{key}: its details are worth {net} but ConnectWise's total is {record.total}: "
            "check the adjustment's unit costs in ConnectWise",
        )
    label = f"ConnectWise inventory adjustment {name or record.id}"
    tracked = list(tracking) or None
    lines = [
        JournalLine(line_amount=amount, account_code=account, description=label, tracking=tracked)
        for account, amount in sorted(per_account.items())
        if amount != 0
    ]
    if net != 0:
        lines.append(
            JournalLine(
                line_amount=-net,
                account_code=offset,
                description=label,
                tracking=tracked,
            )
        )
    if len(lines) < 2:
        return NoJournal(key, f"{key} moves no value: no journal is needed", record.id)
    try:
        draft = ManualJournalDraft(
            narration=f"{label} ({record.id})", date=record.date.date(), journal_lines=lines
        )
    except ValidationError as exc:
        return HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}")
    return MappedJournal(draft, record.id, record.total)


def _transfer_problem(record: UnpostedProcurement) -> str | None:
    what = f"transfer {record.id}"
    if record.kind != ProcurementKind.TRANSFER:
        return f"procurement {record.id} is a {record.kind or 'record of no type'}, not a transfer"
    if record.date is None:
        return f"{what} has no date in ConnectWise"
    if record.total is None or record.total != round_money(record.total):
        return f"{what} total {record.total} is not an amount in cents: correct it in ConnectWise"
    return None


def _warehouse_account(xref: str | None, settings: ConnectWiseSettings) -> str | None:
    return settings.warehouse_inventory_accounts.get((xref or "").strip())


def _moves(
    key: str, rows: Iterable[GLInventoryTransfer], settings: ConnectWiseSettings
) -> dict[tuple[str, Tracking], Decimal] | str:
    """Value into (positive) and out of (negative) each account and tracking, or the problem."""
    per: dict[tuple[str, Tracking], Decimal] = {}
    for row in rows:
        accounts = []
        for xref in (row.from_xref, row.to_xref):
            account = _warehouse_account(xref, settings)
            if not account:
                return (
                    f"{key} moves stock of warehouse {xref!r} with no Xero account: set "
                    f"[connectwise] warehouse_inventory_accounts.{xref or '<warehouse>'}"
                )
            accounts.append(account)
        if row.total is not None:
            value = row.total
        elif row.cost is not None:
            value = round_money(row.quantity * row.cost)
        else:
            return f"{key}: item line {row.id} has neither a total nor a cost in ConnectWise"
        if value != round_money(value):
            return f"{key}: item line {row.id} total {value} is not an amount in cents"
        tracking = tracking_for(row.gl_class, settings)
        if isinstance(tracking, str):
            return f"{key}: {tracking}"
        source, target = accounts
        pairs = tuple((t.name, t.option) for t in tracking)
        per[(target, pairs)] = per.get((target, pairs), ZERO) + value
        per[(source, pairs)] = per.get((source, pairs), ZERO) - value
    return per


def map_transfer(
    record: UnpostedProcurement,
    rows: Sequence[GLInventoryTransfer],
    settings: ConnectWiseSettings,
) -> MappedJournal | NoJournal | HeldRecord:
    """The balanced journal moving a transfer's value between warehouse accounts, no journal
    when it stays within one account, or why it is held."""
    key = f"transfer {record.id}"
    problem = _transfer_problem(record)
    if problem is not None:
        return HeldRecord(key, problem)
    assert record.total is not None and record.date is not None
    if not rows:
        return HeldRecord(
            key,
            f"{key}: ConnectWise's GL export sent none of its items — check the transfer's "
            "GL mapping in ConnectWise, then `r` retries",
        )
    moved = sum((r.total if r.total is not None else ZERO for r in rows), ZERO)
    per = _moves(key, rows, settings)
    if isinstance(per, str):
        return HeldRecord(key, per)
    if moved != record.total:
        return HeldRecord(
            key,
            f"{key}: its items are worth {moved} but ConnectWise's total is {record.total}: "
            "check the transfer's unit costs in ConnectWise",
        )
    label = f"ConnectWise inventory transfer {record.id}"
    described = f"{label}: {record.description}" if record.description else label
    lines = [
        JournalLine(
            line_amount=amount,
            account_code=account,
            description=described[:4000],
            tracking=[TrackingRef(name=n, option=o) for n, o in tracking] or None,
        )
        for (account, tracking), amount in sorted(
            per.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
        )
        if amount != 0
    ]
    if not lines:
        accounts = sorted({account for account, _ in per})
        why = (
            f"moves stock between warehouses on the same Xero account {accounts[0]}"
            if len(accounts) == 1
            else "moves no net value between Xero accounts"
        )
        return NoJournal(
            key, f"{key} {why}: no journal is needed; it is posted in ConnectWise only", record.id
        )
    try:
        draft = ManualJournalDraft(narration=label, date=record.date.date(), journal_lines=lines)
    except ValidationError as exc:
        return HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}")
    return MappedJournal(draft, record.id, record.total)
