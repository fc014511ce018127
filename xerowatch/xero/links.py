"""Links into Xero's web app for contacts and transactions (for terminal hyperlinks).

Without the organisation's short code Xero opens the record in the organisation the user last
had selected; with it (`GET /Organisation` → ShortCode) the link selects the right one first.
"""

from __future__ import annotations

from urllib.parse import quote

WEB = "https://go.xero.com"


def _id(value: str) -> str:
    return quote(value.strip(), safe="-")


def contact_url(contact_id: str, short_code: str | None = None) -> str:
    """The contact's page in Xero."""
    if short_code:
        return f"{WEB}/app/{_id(short_code)}/contacts/contact/{_id(contact_id)}"
    return f"{WEB}/Contacts/View/{_id(contact_id)}"


def transaction_url(kind: str, xero_id: str, short_code: str | None = None) -> str | None:
    """The transaction's page in Xero, or None for kinds Xero has no stable page for."""
    ident = _id(xero_id)
    if kind == "invoice":
        if short_code:
            return f"{WEB}/app/{_id(short_code)}/invoicing/view/{ident}"
        return f"{WEB}/AccountsReceivable/View.aspx?InvoiceID={ident}"
    if kind == "credit_note":
        path = f"/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={ident}"
        if short_code:
            login = f"{WEB}/organisationlogin/default.aspx?shortcode={_id(short_code)}"
            return f"{login}&redirecturl={path}"
        return f"{WEB}{path}"
    return None  # overpayments, prepayments and payments have no page of their own by this id
