"""The ConnectWise document streams a runtime runs after its invoices (one `DocSpec` each).

A kind is on when its configuration says so: expenses when `[connectwise]
expense_account_codes` names at least one classification (an invoices-only setup raises no
alert per expense); purchase orders with `purchase_account_code`; adjustments with
`inventory_adjustment_account` and `warehouse_inventory_accounts`; transfers with
`warehouse_inventory_accounts`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader
from xerowatch.sync.connectwise_contacts import CustomerContacts
from xerowatch.sync.connectwise_doc_stream import DocSpec, DocStream, DocSummary
from xerowatch.sync.connectwise_expenses import ExpenseSpec
from xerowatch.sync.connectwise_procurement import AdjustmentSpec, PurchaseSpec, TransferSpec
from xerowatch.sync.documents import DocumentSender
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)


def document_streams(
    ctx: EngineDeps,
    accounting: ConnectWiseAccounting,
    settings: ConnectWiseSettings,
    sender: DocumentSender,
    contacts: CustomerContacts,
) -> list[DocStream[Any]]:
    """The document streams configured, in the order a cycle runs them."""
    streams: list[DocStream[Any]] = []

    def add(spec: DocSpec[Any]) -> None:
        streams.append(
            DocStream(
                ctx, accounting, spec, sender, contacts, overlap_seconds=settings.overlap_seconds
            )
        )

    if settings.expense_account_codes:
        add(ExpenseSpec(accounting, settings))
    reader = ConnectWiseDocumentReader(accounting, ctx.clock)
    if settings.purchase_account_code:
        add(PurchaseSpec(reader, settings))
    if settings.inventory_adjustment_account and settings.warehouse_inventory_accounts:
        add(AdjustmentSpec(reader, settings))
    if settings.warehouse_inventory_accounts:
        add(TransferSpec(reader, settings))
    return streams


async def run_document_streams(
    streams: Sequence[DocStream[Any]], tenant: TenantRef, summaries: dict[str, DocSummary]
) -> None:
    """Every document stream once, step by step: all read and queue before any sends.

    So documents of one Xero kind from several streams (bills from expenses and packing slips,
    journals from adjustments and transfers) share full batches of 50. A stream that fails
    stops alone; the first failure is raised once the others have run.
    """
    failed: dict[str, Exception] = {}
    for step in (DocStream.read, DocStream.send, DocStream.post):
        for stream in streams:
            kind = stream.spec.kind
            done = summaries.setdefault(kind, DocSummary())
            if kind in failed:
                continue
            try:
                await step(stream, tenant, done)
            except Exception as exc:  # reported below, through the steps' failure policy
                log.warning("ConnectWise %s stream stopped: %s", kind, exc)
                failed[kind] = exc
    if failed:
        raise next(iter(failed.values()))
