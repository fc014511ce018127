"""Seeded ConnectWise data: customers with contacts, invoices with product, time and agreement
lines, expenses, purchase orders, inventory adjustments and warehouse transfers; deterministic
for a given seed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from xerowatch.sim.connectwise.data import (
    SimBatch,
    SimCompany,
    SimContact,
    SimExpense,
    SimInvoice,
    SimLine,
)
from xerowatch.sim.connectwise.data_procurement import (
    SimAdjustment,
    SimAdjustmentDetail,
    SimPoLine,
    SimPurchase,
    SimTransfer,
    SimTransferLine,
)

_NAMES = [
    "Acme",
    "Bluegum",
    "Coastal",
    "Dingo",
    "Eucalypt",
    "Fernleaf",
    "Gecko",
    "Harbour",
    "Ironbark",
    "Jacaranda",
    "Koala",
    "Lorikeet",
    "Mallee",
    "Nullarbor",
    "Outback",
]
_SUFFIXES = ["Pty Ltd", "Dental", "Legal", "Logistics", "Café", "Accounting", "Clinic"]
_PRODUCTS = [
    ("LAPTOP-14", "14in business laptop", Decimal("1499.00"), "ea"),
    ("MON-27", "27in monitor", Decimal("389.95"), "ea"),
    ("CAT6-3M", "Cat6 patch lead 3m", Decimal("7.333"), "ea"),
    ("M365-BP", "Microsoft 365 Business Premium", Decimal("36.30"), "user/month"),
    ("SSD-1TB", "1TB NVMe SSD", Decimal("159.00"), "ea"),
]
_WAREHOUSES = ["Sydney", "Melbourne"]
_PROCUREMENT_CLASSES = ["Hardware", "Networking"]
_MEMBERS = ["jsmith", "apatel", "mnguyen", "lchen"]
_MEMBER_NAMES = {
    "jsmith": "Jo Smith",
    "apatel": "Anika Patel",
    "mnguyen": "Minh Nguyen",
    "lchen": "Lei Chen",
}
_TIME_RATES = [Decimal("165.00"), Decimal("185.00"), Decimal("142.50")]


@dataclass
class SimRecords:
    """Everything the simulated ConnectWise company holds."""

    companies: dict[int, SimCompany] = field(default_factory=dict)
    contacts: dict[int, SimContact] = field(default_factory=dict)
    invoices: dict[int, SimInvoice] = field(default_factory=dict)
    expenses: dict[int, SimExpense] = field(default_factory=dict)
    purchases: dict[int, SimPurchase] = field(default_factory=dict)
    adjustments: dict[int, SimAdjustment] = field(default_factory=dict)
    transfers: dict[int, SimTransfer] = field(default_factory=dict)
    warehouse_xrefs: dict[str, str] = field(default_factory=dict)
    """Warehouse name → its locationXref (the export's transfer…LocationXref); unset = name."""
    batches: dict[int, SimBatch] = field(default_factory=dict)
    next_id: int = 250
    next_gl_entry: int = 1010

    def new_id(self) -> int:
        """A fresh record id (ids only grow, as in ConnectWise)."""
        self.next_id += 1
        return self.next_id

    def new_gl_entries(self, n: int) -> list[int]:
        """`n` fresh GL entry record ids."""
        first = self.next_gl_entry
        self.next_gl_entry += n
        return list(range(first, first + n))


class Seeder:
    """Adds generated records to `SimRecords`."""

    def __init__(self, records: SimRecords, now: dt.datetime, seed: int = 7) -> None:
        self.records = records
        self.now = now
        self.rng = random.Random(seed)
        self.locations: tuple[int, ...] = (1,)
        """Billing locations records take in turn (not drawn: the seeded data stays the same)."""

    def location(self, k: int) -> int:
        """The billing location of the k-th record of a kind."""
        return self.locations[k % len(self.locations)]

    def customers(self, n: int) -> list[int]:
        """`n` customers, each with a primary and (mostly) a billing contact."""
        ids = []
        for k in range(n):
            name = f"{self.rng.choice(_NAMES)} {self.rng.choice(_SUFFIXES)}"
            company_id = self.records.new_id()
            primary = self._contact(company_id)
            billing = self._contact(company_id) if k % 5 else primary
            self.records.companies[company_id] = SimCompany(
                id=company_id,
                identifier=f"{name.split()[0].upper()}{company_id}",
                name=name,
                account_number=f"C{company_id:05d}" if k % 3 else None,
                address_line1=f"{self.rng.randint(1, 300)} George St",
                city=self.rng.choice(["Sydney", "Melbourne", "Brisbane"]),
                state=self.rng.choice(["NSW", "VIC", "QLD"]),
                zip=str(self.rng.randint(2000, 4999)),
                phone=f"02 9{self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}",
                default_contact_id=primary,
                billing_contact_id=billing,
                updated=self.now - dt.timedelta(days=30),
            )
            ids.append(company_id)
        return ids

    def vendors(self, n: int) -> list[int]:
        """`n` vendor companies."""
        ids = self.customers(n)
        for company_id in ids:
            self.records.companies[company_id].is_vendor = True
        return ids

    def _contact(self, company_id: int) -> int:
        contact_id = self.records.new_id()
        first = self.rng.choice(["Ana", "Ben", "Chloé", "Dev", "Emma", "Finn"])
        last = self.rng.choice(["Smith", "Nguyen", "O'Brien", "Kowalski", "Tran"])
        email = f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com"
        self.records.contacts[contact_id] = SimContact(
            contact_id, company_id, first, last, email if self.rng.random() > 0.1 else None
        )
        return contact_id

    def invoices(self, customers: list[int], n: int, *, lines: int = 4) -> list[int]:
        """`n` unposted invoices spread over `customers`, about `lines` lines each."""
        ids = []
        for k in range(n):
            invoice_lines = [
                self._line() for _ in range(max(1, self.rng.randint(1, 2 * lines - 1)))
            ]
            if self.rng.random() < 0.2:
                invoice_lines += self._agreement()
            company_id = self.rng.choice(customers)
            ids.append(self.add_invoice(company_id, invoice_lines, location_id=self.location(k)))
        return ids

    def add_invoice(
        self, company_id: int, lines: list[SimLine], *, location_id: int = 1, **extra: object
    ) -> int:
        """One unposted invoice with these lines (GL entries: header, lines, sales tax)."""
        invoice_id = self.records.new_id()
        date = self.now - dt.timedelta(days=self.rng.randint(0, 20))
        invoice = SimInvoice(
            id=invoice_id,
            number=f"{invoice_id - 200:06d}",
            company_id=company_id,
            location_id=location_id,
            date=date.replace(hour=0, minute=0, second=0, microsecond=0),
            due_days=self.rng.choice([7, 14, 30]),
            lines=lines,
            updated=self.now - dt.timedelta(minutes=self.rng.randint(1, 600)),
            customer_po=f"PO-{self.rng.randint(1000, 9999)}" if self.rng.random() < 0.4 else None,
        )
        for key, value in extra.items():
            setattr(invoice, key, value)
        invoice.gl_entry_ids = self.records.new_gl_entries(len(lines) + 2)
        self.records.invoices[invoice_id] = invoice
        return invoice_id

    def _line(self) -> SimLine:
        if self.rng.random() < 0.5:
            code, text, price, uom = self.rng.choice(_PRODUCTS)
            return SimLine(
                "product",
                text,
                Decimal(self.rng.randint(1, 12)),
                price,
                taxable=self.rng.random() > 0.1,
                account="4100",
                item=code,
                uom=uom,
            )
        hours = Decimal(self.rng.randint(1, 16)) / 4
        return SimLine(
            "time",
            f"Ticket #{self.rng.randint(10000, 99999)} support",
            hours,
            self.rng.choice(_TIME_RATES),
            taxable=True,
            account="4000",
            time_entry=self.records.new_id(),
            gl_class=self.rng.choice(["Support", "Projects"]),
        )

    def _agreement(self) -> list[SimLine]:
        fee = Decimal(self.rng.choice([450, 990, 1450]))
        lines = [SimLine("agreement", "Managed services agreement", Decimal(1), fee, True, "4200")]
        if self.rng.random() < 0.5:
            lines.append(
                SimLine(
                    "agreement_credit",
                    "Agreement hours covered",
                    Decimal(1),
                    -fee / 4,
                    True,
                    "4200",
                )
            )
        return lines

    def expenses(self, customers: list[int], n: int) -> None:
        """`n` unposted expenses by a few members."""
        for k in range(n):
            expense_id = self.records.new_id()
            member = self.rng.choice(_MEMBERS)
            self.records.expenses[expense_id] = SimExpense(
                id=expense_id,
                member=member,
                member_id=101 + _MEMBERS.index(member),
                member_name=_MEMBER_NAMES[member],
                company_id=self.rng.choice(customers),
                date=self.now - dt.timedelta(days=self.rng.randint(0, 30)),
                classification=self.rng.choice(["Reimbursable", "NonReimbursable", "Personal"]),
                amount=Decimal(self.rng.randint(500, 50000)) / 100,
                location_id=self.location(k),
                updated=self.now - dt.timedelta(hours=1),
            )

    def purchases(self, vendors: list[int], n: int) -> None:
        """`n` unposted procurement records (received purchase orders)."""
        for k in range(n):
            purchase_id = self.records.new_id()
            date = self.now - dt.timedelta(days=self.rng.randint(0, 30))
            lines = self._po_lines(f"PO{k + 1:05d}", date)
            self.records.purchases[purchase_id] = SimPurchase(
                id=purchase_id,
                po_number=f"PO{k + 1:05d}",
                vendor_id=self.rng.choice(vendors),
                date=date,
                total=sum((line.ext_cost for line in lines), Decimal("0.00")),
                location_id=self.location(k),
                updated=self.now - dt.timedelta(hours=2),
                lines=lines,
                gl_class=_PROCUREMENT_CLASSES[k % 2],
            )

    def adjustments(self, n: int) -> None:
        """`n` unposted inventory adjustments of 1 to 3 items across two warehouses."""
        for k in range(n):
            adjustment_id = self.records.new_id()
            details = []
            for _ in range(self.rng.randint(1, 3)):
                code, _description, price, _uom = self.rng.choice(_PRODUCTS)
                details.append(
                    SimAdjustmentDetail(
                        id=self.records.new_id(),
                        item=code,
                        warehouse=self.rng.choice(_WAREHOUSES),
                        quantity=Decimal(self.rng.choice([-3, -1, 1, 2, 5])),
                        unit_cost=(price * Decimal("0.7")).quantize(Decimal("0.0001")),
                    )
                )
            self.records.adjustments[adjustment_id] = SimAdjustment(
                id=adjustment_id,
                identifier=f"ADJ{k + 1:05d}",
                date=self.now - dt.timedelta(days=self.rng.randint(0, 30)),
                location_id=self.location(k),
                updated=self.now - dt.timedelta(hours=2),
                details=details,
                gl_class=_PROCUREMENT_CLASSES[k % 2],
            )

    def transfers(self, n: int) -> None:
        """`n` unposted warehouse transfers of 1 to 3 items, each way between two warehouses."""
        for k in range(n):
            transfer_id = self.records.new_id()
            source, target = _WAREHOUSES if k % 2 == 0 else _WAREHOUSES[::-1]
            lines = []
            for _ in range(self.rng.randint(1, 3)):
                code, _description, price, _uom = self.rng.choice(_PRODUCTS)
                lines.append(
                    SimTransferLine(
                        id=self.records.new_id(),
                        item=code,
                        quantity=Decimal(self.rng.randint(1, 9)),
                        unit_cost=(price * Decimal("0.7")).quantize(Decimal("0.0001")),
                    )
                )
            self.records.transfers[transfer_id] = SimTransfer(
                id=transfer_id,
                identifier=f"TRF{k + 1:05d}",
                date=self.now - dt.timedelta(days=self.rng.randint(0, 30)),
                from_warehouse=source,
                to_warehouse=target,
                location_id=self.location(k),
                updated=self.now - dt.timedelta(hours=2),
                gl_class=_PROCUREMENT_CLASSES[k % 2],
                lines=lines,
            )

    def receive_rest(self, purchase_id: int, when: dt.datetime) -> int:
        """Receive everything still outstanding on a purchase order on a new packing slip.

        As ConnectWise does, the rest of a partly received line is cloned into a new line; the
        receipt makes the PO unposted again as a new procurement record (returned).
        """
        purchase = self.records.purchases[purchase_id]
        receipts = [p for p in self.records.purchases.values() if p.po_number == purchase.po_number]
        slip = f"{purchase.po_number}-PS{2 + len(receipts)}"
        for line in list(purchase.lines):
            if line.received >= line.quantity:
                continue
            if line.received == 0:
                line.received, line.packing_slip, line.date_received = line.quantity, slip, when
                continue
            rest = line.quantity - line.received
            line.quantity = line.received
            purchase.lines.append(
                SimPoLine(
                    id=self.records.new_id(),
                    line_number=max(ln.line_number for ln in purchase.lines) + 1,
                    product=line.product,
                    description=line.description,
                    uom=line.uom,
                    quantity=rest,
                    unit_cost=line.unit_cost,
                    received=rest,
                    packing_slip=slip,
                    date_received=when,
                    warehouse=line.warehouse,
                )
            )
        receipt_id = self.records.new_id()
        self.records.purchases[receipt_id] = SimPurchase(
            id=receipt_id,
            po_number=purchase.po_number,
            vendor_id=purchase.vendor_id,
            date=purchase.date,
            total=sum((line.ext_cost for line in purchase.lines), Decimal("0.00")),
            location_id=purchase.location_id,
            updated=when,
            lines=purchase.lines,
            gl_class=purchase.gl_class,
            po_id=purchase.po_id or purchase.id,
        )
        return receipt_id

    def _po_lines(self, po_number: str, date: dt.datetime) -> list[SimPoLine]:
        """1 to 4 catalog lines, some fully received, some partly (two packing slips), some not."""
        lines = []
        for number in range(1, self.rng.randint(1, 4) + 1):
            code, description, price, uom = self.rng.choice(_PRODUCTS)
            quantity = Decimal(self.rng.randint(1, 12))
            received = self.rng.choice([quantity, quantity, Decimal(0), quantity // 2])
            slip = f"{po_number}-PS{1 if received == quantity else 2}" if received else None
            lines.append(
                SimPoLine(
                    id=self.records.new_id(),
                    line_number=number,
                    product=code,
                    description=description,
                    uom=uom,
                    quantity=quantity,
                    unit_cost=(price * Decimal("0.7")).quantize(Decimal("0.0001")),
                    received=received,
                    packing_slip=slip,
                    date_received=date + dt.timedelta(days=2) if received else None,
                    warehouse=("Sydney", "Melbourne")[number % 2],
                )
            )
        return lines
