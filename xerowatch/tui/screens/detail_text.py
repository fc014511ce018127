"""A learner's detail as text: fields as read, validation, contact, money, attempts."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.style import Style
from rich.text import Text

from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.store.panes import LearnerDetail
from xerowatch.sync.validation import validate
from xerowatch.tui.text import shorten, when
from xerowatch.xero.links import contact_url, transaction_url

MAX_ATTEMPTS_SHOWN = 100


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", style="bold underline")


def _link(text: Text, label: str, url: str | None) -> None:
    if url:
        text.append(label, style=Style(link=url, underline=True))
    else:
        text.append(label)


def _address(address: SourceAddress | None) -> str:
    if address is None:
        return "—"
    parts = [*address.lines, address.city, address.state, address.postcode, address.country]
    return ", ".join(p for p in parts if p) or "—"


def _fields(text: Text, learner: SourceLearner) -> None:
    rows = [
        ("RefInternal", learner.ref_internal),
        ("source id", learner.source_id),
        ("name", f"{learner.first_name or '—'} {learner.last_name or '—'}"),
        ("email", learner.email or "—"),
        ("mobile", learner.mobile or "—"),
        ("phone", learner.phone_home or learner.phone_work or "—"),
        ("postal", _address(learner.postal_address)),
        ("street", _address(learner.street_address)),
        ("sync to Xero", "yes" if learner.sync_to_xero else "no"),
        ("active", "yes" if learner.is_active else "no"),
        ("modified", learner.modified_at.isoformat() if learner.modified_at else "—"),
    ]
    for label, value in rows:
        text.append(f"  {label:<13}", style="dim")
        text.append(f"{value}\n")


def detail_text(
    detail: LearnerDetail, now: datetime, tz: tzinfo | None, names: dict[str, str] | None = None
) -> Text:
    """Every section of one learner's detail (`names`: organisation names by tenant id)."""
    names = names or {}
    text = Text()
    stored = detail.learner
    _heading(text, "As read from the source")
    if stored is None:
        text.append("  not in the store (only its history or links are)\n", style="yellow")
    else:
        _fields(text, stored.learner)
        text.append(f"  {'read':<13}", style="dim")
        text.append(f"{when(stored.seen_at, now, tz)}")
        if stored.deleted_at:
            text.append(
                f" · deleted in the source {when(stored.deleted_at, now, tz)}", style="yellow"
            )
        text.append("\n")
        _, problems = validate(stored.learner)
        _heading(text, "Validation")
        if not problems:
            text.append("  ✓ ready for Xero\n", style="green")
        for problem in problems:
            text.append(f"  ✗ {problem.field}: {problem.message}\n", style="bold red")
            text.append(f"    fix: {problem.fix}\n")
    _heading(text, "Xero contact")
    if not detail.links:
        text.append("  no contact yet\n", style="dim")
    for link in detail.links:
        text.append(f"  {names.get(link.tenant_id) or shorten(link.tenant_id, 12)} · {link.state}")
        if link.last_synced_at:
            text.append(f" · synced {when(link.last_synced_at, now, tz)}")
        text.append("\n")
        if link.contact_id:
            text.append("    ")
            url = contact_url(link.contact_id)
            _link(text, url, url)
            text.append("\n")
        if link.last_error:
            text.append(f"    {link.last_error}\n", style="red")
    for job in detail.jobs:
        text.append(f"  outbox: {job.state}, attempt {job.attempts}")
        if job.next_attempt_at:
            text.append(f", next {when(job.next_attempt_at, now, tz)}")
        if job.last_error:
            text.append(f" — {shorten(job.last_error, 60)}", style="red")
        text.append("\n")
    _transactions(text, detail, now, tz)
    _heading(text, f"Attempts ({len(detail.history)})")
    if not detail.history:
        text.append("  none recorded\n", style="dim")
    for entry in detail.history[:MAX_ATTEMPTS_SHOWN]:
        style = {"ok": "green", "error": "red", "retry": "yellow"}.get(entry.outcome, "")
        text.append(f"  {when(entry.at, now, tz):<12} {entry.direction:<11} ")
        text.append(f"{entry.outcome:<7}", style=style)
        status = f" {entry.http_status}" if entry.http_status else ""
        text.append(f"{status} {entry.action}")
        if entry.correlation_id:
            text.append(f" · corr {entry.correlation_id}", style="dim")
        if entry.message:
            text.append(f" · {shorten(entry.message, 80)}")
        text.append("\n")
    if detail.alerts:
        _heading(text, f"Open alerts ({len(detail.alerts)})")
        for alert in detail.alerts:
            text.append(f"  {alert.type}: {alert.message}\n", style="yellow")
            if alert.fix:
                text.append(f"    fix: {alert.fix}\n")
    return text


def _transactions(text: Text, detail: LearnerDetail, now: datetime, tz: tzinfo | None) -> None:
    _heading(text, f"Transactions ({len(detail.transactions)})")
    if not detail.transactions:
        text.append("  none\n", style="dim")
    for tx in detail.transactions:
        text.append("  ")
        label = f"{tx.kind} {tx.number or shorten(tx.xero_id, 8)}"
        _link(text, label, transaction_url(tx.kind, tx.xero_id))
        text.append(f" · {tx.status} · {tx.date or '—'} · {tx.total or '—'} {tx.currency or ''}")
        if tx.written_back:
            text.append(f" · ✓ written back {when(tx.written_back_at, now, tz)}", style="green")
        else:
            text.append(" · ✗ not written back yet", style="yellow")
        text.append("\n")
        if tx.online_invoice_url:
            text.append("    online invoice: ")
            _link(text, tx.online_invoice_url, tx.online_invoice_url)
            text.append("\n")
        elif tx.kind == "invoice":
            text.append("    online invoice: u fetches the link\n", style="dim")


def invoices_without_link(detail: LearnerDetail) -> list[tuple[str, str]]:
    """(tenant, InvoiceID) of the invoices whose online link was never fetched."""
    return [
        (tx.tenant_id, tx.xero_id)
        for tx in detail.transactions
        if tx.kind == "invoice" and not tx.online_invoice_url
    ]
