"""ConnectWise behind the source port: what the runtime holds when `[source] kind = "connectwise"`.

ConnectWise's records flow the other way from learners (accounting documents into Xero), so the
engine runs the ConnectWise stream (`sync/connectwise_stream.py`) with `accounting` instead of
the learner steps; the learner side of the port is honestly empty (ConnectWise has no learners,
and no learner transactions are written back to it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from xerowatch.records import SourceLearner, SourceTransaction
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.port import LearnerBatch, SourceBudget, SourceError


class ConnectWiseSource:
    """The ConnectWise accounting interface, under the source port's name and lifecycle."""

    name = "connectwise"

    def __init__(self, accounting: ConnectWiseAccounting) -> None:
        self.accounting = accounting

    async def changed_learners(self, cursor: str | None) -> AsyncIterator[LearnerBatch]:
        """ConnectWise has no learners: nothing to yield."""
        empty: tuple[LearnerBatch, ...] = ()
        for batch in empty:
            yield batch

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        """ConnectWise has no learners."""
        return None

    async def write_transaction(self, tx: SourceTransaction) -> None:
        """Refused: Xero payments reach ConnectWise through the stream, not as learner writes."""
        raise SourceError(
            "ConnectWise takes no learner transactions — payments are posted by its stream",
            transient=False,
        )

    def budget(self) -> SourceBudget | None:
        """ConnectWise has no daily quota xerowatch tracks (it answers 429 when busy)."""
        return None

    async def aclose(self) -> None:
        """Close the ConnectWise client."""
        await self.accounting.client.aclose()
