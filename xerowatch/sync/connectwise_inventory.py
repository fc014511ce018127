"""ConnectWise inventory adjustments → balanced Xero manual journals (amounts only).

Choices (docs/connectwise.md), unconfirmed against a ConnectWise sandbox:
- Each detail's value is quantity adjusted x unit cost, rounded half away from zero to the
  cent; its warehouse's inventory asset account (`warehouse_inventory_accounts`) takes the
  value (a debit when stock rises) and `inventory_adjustment_account` the other side. Lines
  are summed per account, so the journal balances by construction (and Xero's own check).
- The journal's values must add up to ConnectWise's procurement total to the cent, else the
  adjustment is held naming both numbers.
- Narration `ConnectWise inventory adjustment {identifier} ({id})` is the journal's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import (
    AdjustmentDetail,
    ProcurementKind,
    UnpostedProcurement,
)
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_mapping import ZERO
from xerowatch.xero.models_documents import JournalLine, ManualJournalDraft, round_money


@dataclass(frozen=True)
class MappedJournal:
    """A balanced manual journal and ConnectWise's net value it carries."""

    draft: ManualJournalDraft
    source_id: int
    connectwise_total: Decimal


def _problem(record: UnpostedProcurement, settings: ConnectWiseSettings) -> str | None:
    what = f"adjustment {record.id}"
    if record.kind != ProcurementKind.ADJUSTMENT:
        kind = record.kind or "record of no type"
        return f"procurement {record.id} is a {kind}, not an adjustment"
    if not settings.inventory_adjustment_account:
        return f"{what}: set [connectwise] inventory_adjustment_account to map adjustments"
    if record.date is None:
        return f"{what} has no date in ConnectWise"
    if record.total is None or record.total != round_money(record.total):
        return f"{what} total {record.total} is not an amount in cents: correct it in ConnectWise"
    return None


def map_adjustment(
    record: UnpostedProcurement,
    details: Sequence[AdjustmentDetail],
    settings: ConnectWiseSettings,
) -> MappedJournal | HeldRecord:
    """The balanced manual journal for one inventory adjustment, or why it is held."""
    name = record.adjustment.identifier if record.adjustment else None
    key = f"adjustment {name or record.id}"
    problem = _problem(record, settings)
    if problem is not None:
        return HeldRecord(key, problem)
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
    lines = [
        JournalLine(line_amount=amount, account_code=account, description=label)
        for account, amount in sorted(per_account.items())
        if amount != 0
    ]
    if net != 0:
        lines.append(
            JournalLine(
                line_amount=-net,
                account_code=settings.inventory_adjustment_account,
                description=label,
            )
        )
    if len(lines) < 2:
        return HeldRecord(key, f"{key} moves no value (net 0.00): post it in ConnectWise only")
    try:
        draft = ManualJournalDraft(
            narration=f"{label} ({record.id})", date=record.date.date(), journal_lines=lines
        )
    except ValidationError as exc:
        return HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}")
    return MappedJournal(draft, record.id, record.total)
