"""Reproducible demo data: learners as contacts, with invoices in every state and their money."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from xerowatch.sim.xero.simulator import XeroSim

_FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hamish",
    "Isla",
    "Jack",
    "Kiri",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ruby",
    "Sam",
    "Tane",
)
_LAST = (
    "Anderson",
    "Brown",
    "Chen",
    "Davies",
    "Edwards",
    "Fraser",
    "Gupta",
    "Hughes",
    "Ihaka",
    "Jones",
    "Kaur",
    "Lee",
    "Martin",
    "Nguyen",
    "O'Brien",
    "Patel",
    "Smith",
    "Wilson",
)
_COURSES = (
    ("BSB40120 Certificate IV in Business", 1450),
    ("CHC33015 Cert III Ageing", 2300),
    ("HLTAID011 First Aid", 180),
    ("SIT30821 Cert III Commercial Cookery", 3900),
)


@dataclass
class SeedSummary:
    """What `seed_demo` created, for assertions and the demo's narration."""

    tenant_id: str
    contact_ids: list[str] = field(default_factory=list)
    archived_ids: list[str] = field(default_factory=list)
    invoice_ids: list[str] = field(default_factory=list)


def seed_demo(
    sim: XeroSim, tenant_id: str | None = None, *, learners: int = 30, seed: int = 7
) -> SeedSummary:
    """Fill a tenant (created if not given) with learners and their invoices, deterministically.

    Every 9th learner is archived; invoices are unpaid, part-paid, paid, credited (credit note,
    overpayment, prepayment) or voided, or carry a payment that was later deleted.
    """
    rng = random.Random(seed)
    tid = tenant_id or sim.add_tenant("Demo RTO")
    summary = SeedSummary(tid)
    names = [f"{first} {last}" for first in _FIRST for last in _LAST]
    rng.shuffle(names)
    for index in range(learners):
        first, last = names[index % len(names)].split(" ", 1)
        # names repeat after 360 learners; a cohort suffix keeps active names unique
        cohort = index // len(names)
        contact = sim.add_contact(
            tid,
            Name=f"{first} {last}" + (f" ({cohort + 1})" if cohort else ""),
            FirstName=first,
            LastName=last,
            ContactNumber=f"WN-{10_000 + index}",
            EmailAddress=f"{first}.{last}{index}@example.edu.au".lower().replace("'", ""),
        )
        contact_id = contact["ContactID"]
        summary.contact_ids.append(contact_id)
        for _ in range(rng.randint(0, 2)):
            summary.invoice_ids.append(_invoice_with_history(sim, tid, contact_id, rng))
        if index % 9 == 8:
            sim.archive_contact(tid, contact_id)
            summary.archived_ids.append(contact_id)
    return summary


def _invoice_with_history(sim: XeroSim, tid: str, contact_id: str, rng: random.Random) -> str:
    course, fee = rng.choice(_COURSES)
    invoice = sim.add_invoice(
        tid,
        contact_id,
        LineItems=[
            {
                "Description": course,
                "Quantity": 1,
                "UnitAmount": fee,
                "AccountCode": "200",
                "TaxType": "OUTPUT",
            }
        ],
        LineAmountTypes="Inclusive",
        Reference=course.split()[0],
    )
    invoice_id: str = invoice["InvoiceID"]
    total = invoice["Total"]
    story = rng.choice(("unpaid", "part", "paid", "credit", "overpaid", "prepaid", "void", "undo"))
    if story == "part":
        sim.add_payment(tid, invoice_id, round(total / 3, 2), Reference="Instalment 1")
    elif story == "paid":
        sim.add_payment(tid, invoice_id, total, Reference="Card")
    elif story == "credit":
        sim.add_credit_note(tid, contact_id, [(invoice_id, 100)], Total=100, Reference="RPL")
    elif story == "overpaid":
        sim.add_overpayment(tid, contact_id, [(invoice_id, 50)], Total=150)
    elif story == "prepaid":
        sim.add_prepayment(tid, contact_id, [(invoice_id, total)], Total=total)
    elif story == "void":
        sim.update(tid, "Invoices", invoice_id, Status="VOIDED")
    elif story == "undo":
        payment = sim.add_payment(tid, invoice_id, 50, Reference="Bounced")
        sim.update(tid, "Payments", payment["PaymentID"], Status="DELETED")
    return invoice_id
