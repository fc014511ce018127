"""Payments back to ConnectWise: each Xero payment on a synced invoice, posted once.

A payment is recorded 'sending' (committed) before its POST, so a crash or lost answer leaves
it in doubt; the next run looks for it on the ConnectWise invoice before posting it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from xerowatch.store.chunked import execute_in, select_in
from xerowatch.store.db import Store, utc_now_iso

PaymentState = Literal["sending", "done", "refused"]
UNREAD, SETTLED, WATCHED = 0, 1, 2
"""cw_records.settled of a posted invoice: not yet seen by a payments read (read by ID unless
the If-Modified-Since read returns it), paid and posted back in full, seen (its later changes
come with the If-Modified-Since read)."""


@dataclass(frozen=True)
class CwPayment:
    """One Xero payment as posted (or being posted) to a ConnectWise invoice."""

    tenant_id: str
    xero_payment_id: str
    cw_invoice_id: int
    amount: str
    paid_on: str
    state: PaymentState
    cw_payment_id: int | None
    last_error: str | None
    updated_at: str


async def for_invoices(
    store: Store, tenant_id: str, cw_invoice_ids: Sequence[int]
) -> dict[str, CwPayment]:
    """The payments recorded for these invoices, by Xero PaymentID."""
    rows = await select_in(
        store,
        "SELECT * FROM cw_payments WHERE tenant_id = ? AND cw_invoice_id IN ({marks})",
        list(dict.fromkeys(cw_invoice_ids)),
        before=(tenant_id,),
    )
    found = {row["xero_payment_id"]: CwPayment(**dict(row)) for row in rows}
    return found


async def put(
    store: Store,
    payment: CwPayment,
) -> None:
    """Record a payment's state (inserted or replaced), in its own transaction."""
    async with store.transaction() as conn:
        await conn.execute(
            """
            INSERT INTO cw_payments (tenant_id, xero_payment_id, cw_invoice_id, amount, paid_on,
                                     state, cw_payment_id, last_error, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, xero_payment_id) DO UPDATE SET
                state = excluded.state, cw_payment_id = excluded.cw_payment_id,
                last_error = excluded.last_error, updated_at = excluded.updated_at
            """,
            (
                payment.tenant_id,
                payment.xero_payment_id,
                payment.cw_invoice_id,
                payment.amount,
                payment.paid_on,
                payment.state,
                payment.cw_payment_id,
                payment.last_error,
                utc_now_iso(),
            ),
        )


async def mark_watched(store: Store, tenant_id: str, cw_invoice_ids: Sequence[int]) -> None:
    """These posted invoices were seen by a finished payments read (unsettled ones only)."""
    await execute_in(
        store,
        f"UPDATE cw_records SET settled = {WATCHED} WHERE tenant_id = ? AND kind = 'invoice' "
        f"AND settled = {UNREAD} AND cw_id IN ({{marks}})",
        list(dict.fromkeys(cw_invoice_ids)),
        before=(tenant_id,),
    )
