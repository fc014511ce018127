"""The ConnectWise document streams a runtime runs after its invoices (one `DocSpec` each).

A kind is on when its configuration says so: expenses when `[connectwise]
expense_account_codes` names at least one classification (an invoices-only setup raises no
alert per expense). Purchase orders, adjustments and transfers plug in here the same way.
"""

from __future__ import annotations

from typing import Any

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.sync.connectwise_contacts import CustomerContacts
from xerowatch.sync.connectwise_doc_stream import DocSpec, DocStream
from xerowatch.sync.connectwise_expenses import ExpenseSpec
from xerowatch.sync.documents import DocumentSender
from xerowatch.sync.engine_deps import EngineDeps


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
    return streams
