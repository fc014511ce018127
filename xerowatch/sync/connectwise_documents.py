"""ConnectWise expenses and purchase orders → Xero bills, credit notes and purchase orders.

Choices (docs/connectwise.md, "Choices"), unconfirmed against a ConnectWise sandbox:
- Expenses become ACCPAY bills to the member (ContactNumber = `member_contact_prefix` +
  member identifier), one per expense (InvoiceNumber `EXP-{id}`) or, with `expense_grouping =
  "weekly"`, one per member, currency and ISO week of the expenses read together (InvoiceNumber
  `EXP-{member}-{year}W{week}-{first id}`, so a later read of the same week makes a new bill
  rather than reusing a number). Reimbursable and NonReimbursable expenses are bills on the
  account configured for their classification.
- Personal expenses (a personal charge on a company card: the member owes the company, Wise-Sync's
  "credit bill") become ACCPAYCREDIT credit notes to the same member contact, on the account
  `expense_account_codes.Personal` (none set: held, naming the key): one per expense
  (CreditNoteNumber `EXP-{id}`) or, weekly, one per member, currency and week of the Personal
  expenses read together, apart from the bill (`EXPCR-{member}-{year}W{week}-{first id}`).
  ConnectWise's positive total is what the member owes; a total of zero or less is held. A
  supplier credit note carries no Reference (the spec keeps it for ACCRECCREDIT): each line's
  description names its expense.
- Lines go tax-inclusive: the Xero total is the sum of ConnectWise's amounts whatever the
  rate, so the totals are equal to the cent by construction and then checked anyway.
- Purchase orders: vendor ContactNumber = the vendor company's numeric id (as customers by
  default); PurchaseOrderNumber = ConnectWise's PO number; lines = item code, description (with
  the unit of measure when configured), quantity and a UnitAmount reproducing ConnectWise's
  extended cost (`unit_line`); no DeliveryDate (ConnectWise has no PO due date field).
- Part shipments: a line item carries one packing slip (ConnectWise clones the rest of a
  partly received line), so one bill per packing slip holds the received lines at the
  received quantity; its amount is ConnectWise's extended cost for a fully received line and
  quantity * unit cost rounded half away from zero otherwise (ConnectWise gives no amount).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import (
    ExpenseClass,
    UnpostedExpense,
)
from xerowatch.sync.connectwise_mapping import ZERO, MoneyLine, unit_line
from xerowatch.xero.models_documents import (
    MAX_LINES,
    ContactRef,
    CreditNoteDraft,
    CreditNoteKind,
    DocumentLine,
    InvoiceDraft,
    InvoiceKind,
    PurchaseOrderDraft,
    line_amount_of,
    round_money,
)
from xerowatch.xero.models_transactions import LineAmountTypes

CONTACT_NUMBER_MAX = 50
CREDIT_PREFIX = "EXPCR-"
"""Number prefix of a weekly credit note of Personal expenses (a bill's is `EXP-`)."""


@dataclass(frozen=True)
class HeldRecord:
    """A ConnectWise record that must not reach Xero as it is, and the fix."""

    key: str
    """What was held, e.g. `expense 1234` or `purchase order PO00012`."""
    reason: str
    ids: tuple[int, ...] = ()
    """The ConnectWise records held (empty when the caller knows them by `key`)."""


@dataclass(frozen=True)
class MappedBill:
    """An ACCPAY bill, the ConnectWise records in it and the total it was checked against."""

    draft: InvoiceDraft
    source_ids: tuple[int, ...]
    connectwise_total: Decimal


@dataclass(frozen=True)
class MappedCredit:
    """An ACCPAYCREDIT credit note of Personal expenses, its records and ConnectWise's total."""

    draft: CreditNoteDraft
    source_ids: tuple[int, ...]
    connectwise_total: Decimal


@dataclass(frozen=True)
class MappedPurchaseOrder:
    """A Xero purchase order and ConnectWise's total it equals."""

    draft: PurchaseOrderDraft
    source_id: int
    connectwise_total: Decimal


def xero_total(lines: Iterable[DocumentLine]) -> Decimal:
    """A tax-inclusive document's Xero total: the sum of Quantity * UnitAmount, each rounded."""
    total = ZERO
    for line in lines:
        assert line.quantity is not None and line.unit_amount is not None
        total += line_amount_of(line.quantity, line.unit_amount)
    return total


def _cents(value: Decimal | None, what: str) -> Decimal | str:
    if value is None:
        return f"{what} has no total in ConnectWise: re-save it there"
    if value != round_money(value):
        return f"{what} total {value} has more than 2 decimals: correct the amount in ConnectWise"
    return round_money(value)


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def _member_contact(expense: UnpostedExpense, settings: ConnectWiseSettings) -> str | None:
    member = expense.member.identifier if expense.member else None
    if not member:
        return None
    return f"{settings.member_contact_prefix}{member}"[:CONTACT_NUMBER_MAX]


def _expense_line(expense: UnpostedExpense, settings: ConnectWiseSettings) -> DocumentLine | str:
    what = f"expense {expense.id}"
    account = settings.expense_account_codes.get(expense.classification)
    if not account and expense.classification == ExpenseClass.PERSONAL:
        return (
            f"{what} is Personal (the member owes the company: a Xero credit note) and no "
            "account is set for it — set [connectwise] expense_account_codes.Personal"
        )
    if not account:
        return (
            f"{what} has classification {expense.classification!r} with no Xero account — set "
            f"[connectwise] expense_account_codes.{expense.classification or '<class>'}"
        )
    amount = _cents(expense.total, what)
    if isinstance(amount, str):
        return amount
    if amount <= 0:
        return (
            f"{what} total {amount} is not positive (no bill or credit note can be) — fix it "
            "in ConnectWise"
        )
    if expense.date is None:
        return f"{what} has no date in ConnectWise — set its date there"
    if _member_contact(expense, settings) is None:
        return f"{what} has no member in ConnectWise — assign it to a member"
    line = MoneyLine(
        amount=amount,
        quantity=Decimal(1),
        description=expense_description(expense),
        account=account,
        tax_type=settings.expense_tax_type,
    )
    return unit_line(line)


def expense_description(expense: UnpostedExpense) -> str:
    """What a bill line says of its expense: id, date, type, client, ticket, agreement, notes.

    E.g. "Expense 1234 2026-11-02 Mileage · Acme Dental · ticket #5012 Printer offline ·
    agreement Managed Services · Mileage on a site visit".
    """
    day = expense.date.date().isoformat() if expense.date else ""
    kind = expense.expense_type.name if expense.expense_type else None
    parts = [" ".join(p for p in (f"Expense {expense.id}", day, kind) if p)]
    if expense.company and expense.company.name:
        parts.append(expense.company.name)
    if expense.ticket and expense.ticket.id:
        parts.append(f"ticket #{expense.ticket.id} {expense.ticket.name or ''}".strip())
    if expense.agreement and (expense.agreement.name or expense.agreement.id):
        parts.append(f"agreement {expense.agreement.name or expense.agreement.id}")
    if expense.project and (expense.project.name or expense.project.id):
        parts.append(f"project {expense.project.name or expense.project.id}")
    notes = " ".join(expense.charge_description.split())
    if notes:
        parts.append(notes)
    return " · ".join(parts)[:4000]


def _bill(
    number: str,
    reference: str,
    expenses: Sequence[UnpostedExpense],
    lines: list[DocumentLine],
    settings: ConnectWiseSettings,
) -> MappedBill | MappedCredit | HeldRecord:
    first = expenses[0]
    date = max(_date(e.date) or dt.date.min for e in expenses)
    total = sum((round_money(e.total or ZERO) for e in expenses), ZERO)
    credit = first.classification == ExpenseClass.PERSONAL
    key = f"expense {'credit note' if credit else 'bill'} {number}"
    contact = ContactRef(contact_number=_member_contact(first, settings))
    currency = first.currency.code if first.currency else None
    draft: InvoiceDraft | CreditNoteDraft
    try:
        if credit:
            draft = CreditNoteDraft(
                type=CreditNoteKind.ACCPAYCREDIT,
                credit_note_number=number,
                contact=contact,
                date=date,
                line_amount_types=LineAmountTypes.INCLUSIVE,
                line_items=lines,
                currency_code=currency,
            )
        else:
            draft = InvoiceDraft(
                type=InvoiceKind.ACCPAY,
                invoice_number=number,
                contact=contact,
                reference=reference,
                date=date,
                due_date=date + dt.timedelta(days=settings.bill_due_days),
                line_amount_types=LineAmountTypes.INCLUSIVE,
                line_items=lines,
                currency_code=currency,
            )
    except ValidationError as exc:
        return HeldRecord(
            key,
            f"{key}: {exc.errors()[0]['msg']} — correct it in ConnectWise",
            tuple(e.id for e in expenses),
        )
    if xero_total(draft.line_items) != total:
        return HeldRecord(
            key,
            f"{key}: Xero total {xero_total(draft.line_items)} differs from ConnectWise's "
            f"{total} — report this mapping fault",
            tuple(e.id for e in expenses),
        )
    ids = tuple(e.id for e in expenses)
    if isinstance(draft, CreditNoteDraft):
        return MappedCredit(draft, ids, total)
    return MappedBill(draft, ids, total)


def map_expenses(
    expenses: Iterable[UnpostedExpense], settings: ConnectWiseSettings
) -> list[MappedBill | MappedCredit | HeldRecord]:
    """Bills and (Personal) credit notes for `expenses` (one each, or one per member, week and
    kind), and the records held."""
    out: list[MappedBill | MappedCredit | HeldRecord] = []
    ready: list[tuple[UnpostedExpense, DocumentLine]] = []
    for expense in expenses:
        line = _expense_line(expense, settings)
        if isinstance(line, str):
            out.append(HeldRecord(f"expense {expense.id}", line, (expense.id,)))
        else:
            ready.append((expense, line))
    if settings.expense_grouping == "none":
        for expense, line in ready:
            out.append(
                _bill(
                    f"EXP-{expense.id}",
                    f"ConnectWise expense {expense.id}",
                    [expense],
                    [line],
                    settings,
                )
            )
        return out
    weeks: dict[tuple[str, str, int, int, bool], list[tuple[UnpostedExpense, DocumentLine]]]
    weeks = defaultdict(list)
    for expense, line in ready:
        assert expense.date is not None and expense.member is not None
        year, week, _ = expense.date.date().isocalendar()
        currency = expense.currency.code if expense.currency and expense.currency.code else ""
        credit = expense.classification == ExpenseClass.PERSONAL
        member = expense.member.identifier or ""
        weeks[(member, currency, year, week, credit)].append((expense, line))
    for (member, _currency, year, week, credit), group in weeks.items():
        group.sort(key=lambda pair: pair[0].id)
        for start in range(0, len(group), MAX_LINES):
            part = group[start : start + MAX_LINES]
            monday = dt.date.fromisocalendar(year, week, 1)
            prefix = CREDIT_PREFIX if credit else "EXP-"
            number = f"{prefix}{member}-{year}W{week:02d}-{part[0][0].id}"
            reference = f"Expenses for {monday} - {monday + dt.timedelta(days=6)}"
            out.append(
                _bill(number, reference, [e for e, _ in part], [ln for _, ln in part], settings)
            )
    return out
