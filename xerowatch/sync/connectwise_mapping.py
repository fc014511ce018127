"""ConnectWise → Xero mapping: every choice about ConnectWise's unconfirmed behaviour lives here.

Choices (docs/connectwise.md, "Choices"), each unconfirmed against a ConnectWise sandbox:
- GL sign convention: invoice revenue and tax lines arrive as credits (negative quantity and
  total under a positive AR header); a Xero line is the negation. A header total below zero, or
  a documentType other than INVOICE, is a credit memo: held (not yet mapped), never guessed.
- GL types: `ST` is sales tax; `RA` an agreement line (a positive GL total there is an agreement
  credit); a line with a `timeEntry`, or `R` without a product, is time; a line with an `item` is
  a product; other revenue types (`RE`, `RD`, `SD`, `P`) are plain lines; anything else holds.
- Money: ConnectWise's extended amounts are the truth. A line's UnitAmount is chosen (at most 4
  dp) so that Quantity * UnitAmount rounded half away from zero to the cent is that amount; when
  no such UnitAmount exists the line is sent as quantity 1 at the amount. Xero's tax is worked
  out per line with the configured rate, rounded half away from zero to the cent; the invoice's
  Xero total must equal ConnectWise's header total to the cent, or a configured rounding line
  makes up a difference of at most a cent per line, or the invoice is held.
- Contact key: the company's numeric id (or, as configured, its identifier or account number)
  is the ContactNumber, so a renamed company stays one contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models import (
    Company,
    CompanyContact,
    GLInvoice,
    GLInvoiceLine,
)
from xerowatch.sync.connectwise_tracking import tracking_for
from xerowatch.sync.validation import xero_accepts_email
from xerowatch.xero.models_contact import (
    Address,
    AddressType,
    Contact,
    ContactPerson,
    Phone,
    PhoneType,
)
from xerowatch.xero.models_documents import (
    UNIT_DP,
    ContactRef,
    DocumentLine,
    InvoiceDraft,
    InvoiceDraftStatus,
    InvoiceKind,
    TrackingRef,
    line_amount_of,
    round_money,
)

ZERO = Decimal("0.00")
UNIT = Decimal(1).scaleb(-UNIT_DP)
TAX_TYPES = frozenset({"ST"})
AGREEMENT_TYPES = frozenset({"RA"})
TIME_TYPES = frozenset({"R"})
PLAIN_REVENUE_TYPES = frozenset({"RP", "RE", "RD", "SD", "P"})
ITEM_CODE_MAX = 30


@dataclass(frozen=True)
class Held:
    """An invoice that must not reach Xero as it is: one line naming the problem and the fix."""

    reason: str


@dataclass(frozen=True)
class MappedInvoice:
    """The ACCREC draft and the totals it was checked against."""

    draft: InvoiceDraft
    connectwise_total: Decimal
    xero_tax: Decimal
    rounding: Decimal
    """Amount of the added rounding line (0 when none was needed)."""


def contact_key(company: Company, settings: ConnectWiseSettings) -> str | None:
    """The ContactNumber for a company: its id, identifier or account number, as configured."""
    if settings.contact_key == "identifier":
        value = company.identifier
    elif settings.contact_key == "account_number":
        value = company.account_number or ""
    else:
        value = str(company.id)
    value = value.strip()
    return value[:50] if value else None


def map_contact(
    company: Company,
    settings: ConnectWiseSettings,
    *,
    primary: CompanyContact | None = None,
    billing: CompanyContact | None = None,
) -> Contact | Held:
    """A ConnectWise company as the Xero contact to create or update."""
    key = contact_key(company, settings)
    if key is None:
        return Held(
            f"company {company.id} ({company.name}) has no {settings.contact_key}: fill it in "
            'ConnectWise or set [connectwise] contact_key = "company_id"'
        )
    name = " ".join(company.name.split())
    if not name:
        return Held(f"company {company.id} has no name: give it one in ConnectWise")
    person = primary or billing
    email = (billing.email if billing else None) or company.invoice_to_email_address
    lines = [x for x in (company.address_line1, company.address_line2) if x and x.strip()]
    address = Address(
        address_type=AddressType.POBOX,
        address_line1=lines[0] if lines else None,
        address_line2=lines[1] if len(lines) > 1 else None,
        city=company.city,
        region=company.state,
        postal_code=company.zip,
        country=company.country.name if company.country else None,
    )
    phone = " ".join((company.phone_number or "").split())
    billing_person = _billing_person(billing, primary, email)
    return Contact(
        contact_number=key,
        account_number=company.account_number or None,
        name=name[:255],
        first_name=(person.first_name or None) if person else None,
        last_name=(person.last_name or None) if person else None,
        email_address=email,
        tax_number=company.tax_identifier,
        addresses=[address] if lines or company.city else None,
        phones=[Phone(phone_type=PhoneType.DEFAULT, phone_number=phone[:50])] if phone else None,
        contact_persons=[billing_person] if billing_person else None,
    )


def _billing_person(
    billing: CompanyContact | None, primary: CompanyContact | None, account_email: str | None
) -> ContactPerson | None:
    """The billing contact as a Xero contact person, when it is not the primary contact.

    The contact's own name is the primary contact's; the billing contact's name would otherwise
    be lost. Its email is kept only when Xero accepts it, and it is included in invoice emails
    unless it is already the account's email (which Xero sends them to anyway).
    """
    if billing is None or (primary is not None and primary.id == billing.id):
        return None
    first = " ".join((billing.first_name or "").split())[:255]
    last = " ".join((billing.last_name or "").split())[:255]
    if not first and not last:
        return None
    email = billing.email if billing.email and xero_accepts_email(billing.email) else None
    return ContactPerson(
        first_name=first or None,
        last_name=last or None,
        email_address=email,
        include_in_emails=bool(email) and email != account_email,
    )


@dataclass
class MoneyLine:
    """A source line's ConnectWise amount (the truth) and what its Xero line is made of."""

    amount: Decimal
    quantity: Decimal
    description: str
    account: str
    tax_type: str
    item_code: str | None = None
    price: Decimal | None = None
    tracking: tuple[TrackingRef, ...] = ()


def unit_line(line: MoneyLine) -> DocumentLine:
    """Quantity and UnitAmount whose rounded product is exactly the line's amount."""
    quantity, amount = line.quantity, line.amount
    candidates: list[Decimal] = []
    if line.price is not None:
        candidates.append(line.price)
    if quantity != 0 and quantity == quantity.quantize(UNIT):
        guess = (amount / quantity).quantize(UNIT, rounding=ROUND_HALF_UP)
        candidates += [guess, guess - UNIT, guess + UNIT]
        for unit in candidates:
            if unit == unit.quantize(UNIT) and line_amount_of(quantity, unit) == amount:
                return _document_line(line, quantity, unit)
    description = line.description
    if quantity not in (0, 1):
        each = f" x {line.price}" if line.price is not None else ""
        description = f"{description} ({quantity.normalize():f}{each})"
    return _document_line(line, Decimal(1), amount, description)


def _document_line(
    line: MoneyLine, quantity: Decimal, unit: Decimal, description: str | None = None
) -> DocumentLine:
    return DocumentLine(
        item_code=line.item_code,
        description=(description or line.description)[:4000] or None,
        quantity=quantity,
        unit_amount=unit,
        line_amount=line.amount,
        account_code=line.account,
        tax_type=line.tax_type,
        tracking=list(line.tracking) or None,
    )


def _tax_type(line: GLInvoiceLine, gl: GLInvoice, settings: ConnectWiseSettings) -> str | Held:
    if not line.taxable_flag:
        return settings.exempt_tax_type
    code = line.tax_code or gl.tax_code or ""
    mapped = settings.tax_types.get(code)
    if mapped is None:
        return Held(
            f"invoice {gl.document_number}: no Xero TaxType for ConnectWise tax code "
            f"{code or '(none)'!r} — add it to [connectwise] tax_types"
        )
    return mapped


def _account(line: GLInvoiceLine, gl: GLInvoice, settings: ConnectWiseSettings) -> str | Held:
    number = (line.account_number or "").strip()
    if not number:
        return Held(
            f"invoice {gl.document_number}: a line has no GL account ({line.description!r}) — "
            "fix the GL mapping in ConnectWise, then reopen and close the invoice"
        )
    return settings.account_codes.get(number, number)


def _lines(gl: GLInvoice, settings: ConnectWiseSettings) -> tuple[list[MoneyLine], Decimal] | Held:
    """Xero lines (time aggregated, in ConnectWise's order) and ConnectWise's sales tax."""
    lines: list[MoneyLine] = []
    time: dict[tuple[str, str, str], MoneyLine] = {}
    tax = ZERO
    for raw in gl.detail:
        kind = raw.gl_type_id.upper()
        if kind in TAX_TYPES:
            tax -= raw.total
            continue
        account, tax_type = _account(raw, gl, settings), _tax_type(raw, gl, settings)
        if isinstance(account, Held):
            return account
        if isinstance(tax_type, Held):
            return tax_type
        tracking = tracking_for(raw.gl_class, settings)
        if isinstance(tracking, str):
            return Held(f"invoice {gl.document_number}: {tracking}")
        amount, quantity = -raw.total, -raw.quantity
        text = " ".join((raw.description or raw.memo or "").split())
        is_time = raw.time_entry is not None or (kind in TIME_TYPES and raw.item is None)
        if is_time:
            # lines of different classes carry different tracking, so never share a summary
            by_class = settings.time_summary == "account_and_class" or bool(tracking)
            group = (raw.gl_class or "") if by_class else ""
            key = (account, tax_type, group)
            if key not in time:
                time[key] = MoneyLine(
                    ZERO, Decimal(0), settings.time_description, account, tax_type
                )
                time[key].tracking = tracking
                lines.append(time[key])
            time[key].amount += amount
            time[key].quantity += quantity
            continue
        if kind in AGREEMENT_TYPES:
            code = settings.agreement_item_code or None
            lines.append(MoneyLine(amount, quantity, text or "Agreement", account, tax_type, code))
            lines[-1].tracking = tracking
            continue
        if raw.item is not None and raw.item.identifier:
            code = raw.item.identifier.strip()
            if len(code) > ITEM_CODE_MAX:
                return Held(
                    f"invoice {gl.document_number}: product code {code!r} is longer than Xero's "
                    f"{ITEM_CODE_MAX} characters — shorten it in ConnectWise's catalog"
                )
            text = text or code
            unit = raw.unit_of_measure.name if raw.unit_of_measure else None
            if settings.invoice_unit_in_description and unit:
                text = f"{text} (per {unit})"
            lines.append(MoneyLine(amount, quantity, text, account, tax_type, code, raw.item_price))
            lines[-1].tracking = tracking
            continue
        if kind in PLAIN_REVENUE_TYPES or kind in TIME_TYPES:
            lines.append(MoneyLine(amount, quantity, text or kind, account, tax_type))
            lines[-1].tracking = tracking
            continue
        return Held(
            f"invoice {gl.document_number}: GL type {raw.gl_type_id!r} is not expected on an "
            "invoice — check the invoice's GL entries in ConnectWise"
        )
    for summary in time.values():
        hours = f"{summary.quantity.normalize():f}"
        summary.description = f"{settings.time_description}: {hours} h"
    return lines, tax


def _xero_tax(lines: list[DocumentLine], settings: ConnectWiseSettings) -> Decimal | Held:
    """The tax Xero will work out: per line, rate in percent, rounded half away from zero."""
    total = ZERO
    for line in lines:
        tax_type = line.tax_type or ""
        rate = settings.tax_rates.get(tax_type)
        if rate is None and tax_type == settings.exempt_tax_type:
            rate = Decimal(0)
        if rate is None:
            return Held(
                f"no rate for Xero TaxType {tax_type!r} — add it to [connectwise] tax_rates "
                "(percent), so the total can be checked before sending"
            )
        total += round_money(line.amount() * rate / 100)
    return total


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def map_invoice(
    gl: GLInvoice, contact_number: str, settings: ConnectWiseSettings
) -> MappedInvoice | Held:
    """An exported ConnectWise invoice as an ACCREC draft equal to it to the cent, or Held."""
    number = gl.document_number.strip()
    if not number:
        return Held(f"exported invoice {gl.id} has no invoice number — check it in ConnectWise")
    if gl.total < 0 or gl.document_type.upper() != "INVOICE":
        return Held(
            f"invoice {number} is a credit memo ({gl.document_type}, {gl.total}): credit memos "
            "are not synced yet — enter it in Xero by hand, then post it in ConnectWise"
        )
    built = _lines(gl, settings)
    if isinstance(built, Held):
        return built
    raw_lines, cw_tax = built
    if not raw_lines:
        return Held(f"invoice {number} has no revenue lines in ConnectWise's export")
    net = sum((line.amount for line in raw_lines), ZERO)
    if net + cw_tax != gl.total:
        return Held(
            f"invoice {number}: ConnectWise's lines ({net}) and tax ({cw_tax}) do not add up to "
            f"its total ({gl.total}) — check its GL entries in ConnectWise"
        )
    date = _date(gl.document_date)
    if date is None:
        return Held(f"invoice {number} has no date in ConnectWise's export")
    due = _date(gl.due_date) or (date + dt.timedelta(days=gl.due_days or 0))
    try:
        document_lines = [unit_line(line) for line in raw_lines]
    except ValidationError as exc:
        return Held(f"invoice {number}: {exc.errors()[0]['msg']}")
    xero_tax = _xero_tax(document_lines, settings)
    if isinstance(xero_tax, Held):
        return Held(f"invoice {number}: {xero_tax.reason}")
    difference = gl.total - (net + xero_tax)
    taxed = sum(1 for line in document_lines if line.tax_type != settings.exempt_tax_type)
    if difference:
        fits = abs(difference) <= Decimal("0.01") * max(1, taxed)
        if not (settings.rounding_account_code and fits):
            return Held(
                f"invoice {number}: Xero would total {net + xero_tax}, ConnectWise says "
                f"{gl.total} (difference {difference}) — check [connectwise] tax_rates, or set "
                "rounding_account_code to absorb per-line tax rounding"
            )
        document_lines.append(
            DocumentLine(
                description="Rounding to the ConnectWise total",
                quantity=Decimal(1),
                unit_amount=difference,
                line_amount=difference,
                account_code=settings.rounding_account_code,
                tax_type=settings.exempt_tax_type,
            )
        )
    currency = (gl.currency or "").strip().upper()
    try:
        draft = InvoiceDraft(
            type=InvoiceKind.ACCREC,
            invoice_number=number,
            contact=ContactRef(contact_number=contact_number),
            reference=(gl.purchase_order or "").strip()[:255] or None,
            date=date,
            due_date=max(due, date),
            status=InvoiceDraftStatus.AUTHORISED,
            line_items=document_lines,
            currency_code=currency if len(currency) == 3 else None,
        )
    except ValidationError as exc:
        return Held(f"invoice {number}: {exc.errors()[0]['msg']}")
    return MappedInvoice(draft, gl.total, xero_tax, difference)
