"""An in-memory source system implementing the SourcePort, for engine tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from xerowatch.records import SourceAddress, SourceLearner, SourceTransaction
from xerowatch.source.port import LearnerBatch, SourceBudget, SourceError


def learner(ref: str, **overrides: object) -> SourceLearner:
    """A valid learner with sensible defaults."""
    number = int("".join(ch for ch in ref if ch.isdigit()) or "0")
    data: dict[str, object] = {
        "source_id": f"src-{ref}",
        "ref_internal": ref,
        "first_name": "Ada",
        "last_name": f"Learner{number}",
        "email": f"ada{number}@example.edu.au",
        "postal_address": SourceAddress(
            lines=("1 Test St",), city="Sydney", state="NSW", postcode="2000", country="Australia"
        ),
        "mobile": "0400 000 000",
        "modified_at": datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=number),
    }
    data.update(overrides)
    return SourceLearner.model_validate(data)


class MemorySource:
    """Learners in a dict; cursor = the index of the change log; write-backs recorded."""

    name = "memory"

    def __init__(self, page_size: int = 100) -> None:
        self.page_size = page_size
        self.log: list[SourceLearner] = []
        self.written: list[SourceTransaction] = []
        self.fail_writes: int = 0
        self.fail_permanently: set[str] = set()

    def put(self, *learners: SourceLearner) -> None:
        """Add or change learners (appends to the change log)."""
        self.log.extend(learners)

    def current(self) -> dict[str, SourceLearner]:
        """The latest version of each learner."""
        return {item.source_id: item for item in self.log}

    async def changed_learners(self, cursor: str | None) -> AsyncIterator[LearnerBatch]:
        """Yield the change log after `cursor` in pages."""
        start = int(cursor or 0)
        for offset in range(start, len(self.log), self.page_size):
            chunk = self.log[offset : offset + self.page_size]
            yield LearnerBatch(learners=chunk, cursor=str(offset + len(chunk)))

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        """Return one learner."""
        return self.current().get(source_id)

    async def write_transaction(self, tx: SourceTransaction) -> None:
        """Record a write-back (or fail as configured)."""
        if tx.xero_id in self.fail_permanently:
            raise SourceError("LearnerId not found", transient=False)
        if self.fail_writes > 0:
            self.fail_writes -= 1
            raise SourceError("503 from source", transient=True)
        self.written.append(tx)

    def budget(self) -> SourceBudget | None:
        """No quota."""
        return None

    async def aclose(self) -> None:
        """Nothing to close."""
