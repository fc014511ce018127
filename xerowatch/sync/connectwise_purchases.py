"""ConnectWise purchase orders → Xero purchase orders, and bills per packing slip.

The choices (vendor key, line amounts, part shipments) are listed in
`xerowatch/sync/connectwise_documents.py` and docs/connectwise.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import (
    GLPurchaseTransaction,
    ProcurementKind,
    PurchaseOrderLine,
    UnpostedProcurement,
)
from xerowatch.sync.connectwise_documents import (
    HeldRecord,
    MappedBill,
    MappedPurchaseOrder,
    xero_total,
)
from xerowatch.sync.connectwise_mapping import ITEM_CODE_MAX, ZERO, MoneyLine, unit_line
from xerowatch.sync.connectwise_tracking import LineClasses, tracking_of_known
from xerowatch.xero.models_documents import (
    ContactRef,
    DocumentLine,
    InvoiceDraft,
    InvoiceKind,
    PurchaseOrderDraft,
    line_amount_of,
    round_money,
)
from xerowatch.xero.models_transactions import LineAmountTypes


def _header(record: UnpostedProcurement, settings: ConnectWiseSettings) -> str | None:
    """Why the record cannot be mapped at all, or None."""
    what = f"procurement {record.id}"
    if record.kind != ProcurementKind.PURCHASE:
        return (
            f"{what} is a {record.kind or 'record with no procurementType'}, not a purchase: "
            "adjustments map to journals (connectwise_inventory); transfers are not mapped yet"
        )
    if not settings.purchase_account_code:
        return f"{what}: set [connectwise] purchase_account_code to map purchase orders"
    if record.vendor is None or record.vendor.id is None:
        return f"{what} has no vendor in ConnectWise: set the purchase order's vendor"
    if record.purchase_order is None or not record.purchase_order.identifier:
        return f"{what} has no purchase order number in ConnectWise"
    if record.date is None:
        return f"{what} has no purchase date in ConnectWise: set the PO date"
    if record.total is None or record.total != round_money(record.total):
        return f"{what} total {record.total} is not an amount in cents: correct it in ConnectWise"
    return None


def classes_of(number: str, transactions: Sequence[GLPurchaseTransaction]) -> LineClasses:
    """The GL classes of PO `number`'s lines from the export's purchase transactions (its
    received lines' `glClass`; `purchaseClass` for the rest)."""
    by_line: dict[int, str] = {}
    default: str | None = None
    for transaction in transactions:
        if transaction.document_number != number:
            continue
        default = default or transaction.purchase_class
        for detail in transaction.detail:
            if detail.line_number is not None and detail.gl_class:
                by_line.setdefault(detail.line_number, detail.gl_class)
    return LineClasses(by_line, default)


def _line_account(line: PurchaseOrderLine, settings: ConnectWiseSettings) -> str | None:
    """The line's Xero account: its warehouse's inventory account with `purchase_to_inventory`
    (None when that warehouse is not listed), else `purchase_account_code`."""
    warehouse = line.warehouse.name if line.warehouse and line.warehouse.name else None
    if not settings.purchase_to_inventory or warehouse is None:
        return settings.purchase_account_code
    return settings.warehouse_inventory_accounts.get(warehouse)


def _line(
    line: PurchaseOrderLine,
    quantity: Decimal,
    amount: Decimal,
    settings: ConnectWiseSettings,
    classes: LineClasses | None,
    *,
    unit_dp: int = 4,
) -> DocumentLine | str:
    code = line.product.identifier if line.product else None
    tracking = tracking_of_known(classes.of(line.line_number) if classes else None, settings)
    if isinstance(tracking, str):
        return f"line {line.line_number}: {tracking}"
    if code is not None and len(code) > ITEM_CODE_MAX:
        return (
            f"line {line.line_number} product {code!r} is over Xero's {ITEM_CODE_MAX} "
            "characters: shorten the catalog identifier in ConnectWise"
        )
    account = _line_account(line, settings)
    if account is None:
        warehouse = line.warehouse.name if line.warehouse else ""
        return (
            f"line {line.line_number} is received into warehouse {warehouse!r}, which has no "
            f"Xero inventory account: set [connectwise] warehouse_inventory_accounts.{warehouse}"
        )
    description = line.description or (code or f"Line {line.line_number}")
    unit = line.unit_of_measure.name if line.unit_of_measure else None
    if settings.purchase_unit_in_description and unit:
        description = f"{description} (per {unit})"
    return unit_line(
        MoneyLine(
            amount=amount,
            quantity=quantity,
            description=description,
            account=account,
            tax_type=settings.purchase_tax_type,
            item_code=code,
            price=line.unit_cost,
            tracking=tracking,
        ),
        unit_dp=unit_dp,
    )


def _ordered_amount(line: PurchaseOrderLine) -> Decimal:
    if line.ext_cost is not None:
        return round_money(line.ext_cost)
    return line_amount_of(line.quantity, line.unit_cost or ZERO)


def map_purchase_order(
    record: UnpostedProcurement,
    lines: Sequence[PurchaseOrderLine],
    settings: ConnectWiseSettings,
    classes: LineClasses | None = None,
) -> MappedPurchaseOrder | HeldRecord:
    """The Xero purchase order for one ConnectWise PO, or the reason it is held."""
    number = record.purchase_order.identifier if record.purchase_order else None
    key = f"purchase order {number or record.id}"
    problem = _header(record, settings)
    if problem is not None:
        return HeldRecord(key, problem)
    assert record.total is not None and record.vendor is not None and record.date is not None
    if not lines:
        return HeldRecord(key, f"{key} has no line items in ConnectWise")
    items: list[DocumentLine] = []
    for line in sorted(lines, key=lambda ln: (ln.line_number, ln.id)):
        item = _line(line, line.quantity, _ordered_amount(line), settings, classes, unit_dp=2)
        if isinstance(item, str):
            return HeldRecord(key, f"{key}: {item}")
        items.append(item)
    total = xero_total(items)
    if total != record.total:
        return HeldRecord(
            key,
            f"{key}: its lines add up to {total} but ConnectWise's total is {record.total} "
            "(freight or tax outside the lines?): correct the PO in ConnectWise",
        )
    try:
        draft = PurchaseOrderDraft(
            purchase_order_number=str(number),
            contact=ContactRef(contact_number=str(record.vendor.id)),
            reference=f"ConnectWise PO {record.id}",
            date=record.date.date(),
            line_amount_types=LineAmountTypes.INCLUSIVE,
            line_items=items,
            currency_code=record.currency.code if record.currency else None,
        )
    except ValidationError as exc:
        return HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}: correct it in ConnectWise")
    return MappedPurchaseOrder(draft, record.id, record.total)


def _received_amount(line: PurchaseOrderLine, received: Decimal) -> Decimal:
    if received == line.quantity:
        return _ordered_amount(line)
    return line_amount_of(received, line.unit_cost or ZERO)


def map_packing_slip_bills(
    record: UnpostedProcurement,
    lines: Sequence[PurchaseOrderLine],
    settings: ConnectWiseSettings,
    classes: LineClasses | None = None,
) -> list[MappedBill | HeldRecord]:
    """One ACCPAY bill per packing slip, from the lines received on it (part shipments)."""
    number = record.purchase_order.identifier if record.purchase_order else None
    problem = _header(record, settings)
    if problem is not None:
        return [HeldRecord(f"purchase order {number or record.id}", problem)]
    assert record.vendor is not None and record.date is not None
    slips: dict[str, list[PurchaseOrderLine]] = {}
    for line in sorted(lines, key=lambda ln: (ln.line_number, ln.id)):
        received = line.received_quantity or Decimal(0)
        if received > 0:
            slips.setdefault(line.packing_slip or "", []).append(line)
    out: list[MappedBill | HeldRecord] = []
    for slip, received_lines in slips.items():
        key = f"packing slip {slip or '(none)'} of purchase order {number}"
        if not slip:
            out.append(HeldRecord(key, f"{key}: received lines without a packing slip number"))
            continue
        items: list[DocumentLine] = []
        expected = ZERO
        for line in received_lines:
            received = line.received_quantity or Decimal(0)
            amount = _received_amount(line, received)
            item = _line(line, received, amount, settings, classes)
            if isinstance(item, str):
                items = []
                out.append(HeldRecord(key, f"{key}: {item}"))
                break
            items.append(item)
            expected += amount
        if not items:
            continue
        received_on = max(
            (ln.date_received for ln in received_lines if ln.date_received), default=record.date
        )
        try:
            draft = InvoiceDraft(
                type=InvoiceKind.ACCPAY,
                invoice_number=f"{number}/{slip}",
                contact=ContactRef(contact_number=str(record.vendor.id)),
                reference=f"ConnectWise PO {number} packing slip {slip}",
                date=_day(received_on),
                due_date=_day(received_on) + dt.timedelta(days=settings.bill_due_days),
                line_amount_types=LineAmountTypes.INCLUSIVE,
                line_items=items,
                currency_code=record.currency.code if record.currency else None,
            )
        except ValidationError as exc:
            out.append(HeldRecord(key, f"{key}: {exc.errors()[0]['msg']}"))
            continue
        if xero_total(items) != expected:
            out.append(HeldRecord(key, f"{key}: Xero total differs from {expected}"))
            continue
        out.append(MappedBill(draft, tuple(ln.id for ln in received_lines), expected))
    return out


def _day(value: dt.datetime) -> dt.date:
    return value.date()


def map_purchase(
    record: UnpostedProcurement,
    lines: Sequence[PurchaseOrderLine],
    settings: ConnectWiseSettings,
    classes: LineClasses | None = None,
) -> list[MappedPurchaseOrder | MappedBill | HeldRecord]:
    """The purchase order and, with `purchase_bills_per_packing_slip`, its packing-slip bills."""
    out: list[MappedPurchaseOrder | MappedBill | HeldRecord] = [
        map_purchase_order(record, lines, settings, classes)
    ]
    if settings.purchase_bills_per_packing_slip and not isinstance(out[0], HeldRecord):
        out += map_packing_slip_bills(record, lines, settings, classes)
    return out
