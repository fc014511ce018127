"""The source-system port: what the sync engine needs from a student-management system.

Implementations: the Wisenet API client (`source/wisenet/`), the CSV file source
(`source/files.py`) and, in tests, an in-memory source. Learners flow out of the source;
Xero transactions flow back into it through `write_transaction` (an idempotent upsert).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from xerowatch.records import SourceLearner, SourceTransaction


@dataclass(frozen=True)
class SourceProblem:
    """A source record that could not be read, e.g. record="file a.csv line 7"."""

    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.record}: {self.message}"


@dataclass
class LearnerBatch:
    """One page of changes and the cursor to store once the page has been processed."""

    learners: list[SourceLearner]
    cursor: str | None
    deleted_source_ids: list[str] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    """Records skipped as unreadable; the engine raises an alert for each."""


@dataclass(frozen=True)
class SourceBudget:
    """The source's request budget, for pacing polls and for the dashboard."""

    daily_quota: int
    used_today: int
    suggested_poll_seconds: float

    @property
    def remaining_today(self) -> int:
        """Requests left today."""
        return max(0, self.daily_quota - self.used_today)


class SourceError(Exception):
    """A source-system failure; `transient` says whether retrying later can help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class SourceAuthError(SourceError):
    """The source refused our credential: a property of the connection, not of one record.

    Writes pause (no attempt is spent, nothing goes dead) until the credential works again.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message, transient=transient)


class SourceBudgetRefused(SourceError):
    """The source's request budget refused the request before it was sent (the day is spent).

    Nothing reached the source: not an attempt, not a failure. Whoever gets this stops asking
    until the budget frees up; nothing is retried, recorded as history or sent to dead letters.
    """

    def __init__(self, message: str, *, resume_in_seconds: float) -> None:
        super().__init__(message, transient=True)
        self.resume_in_seconds = resume_in_seconds


@runtime_checkable
class SourcePort(Protocol):
    """What the sync engine needs from a source system."""

    name: str

    def changed_learners(self, cursor: str | None) -> AsyncIterator[LearnerBatch]:
        """Yield learners changed since `cursor` (None = all), page by page, with resume cursors."""
        ...

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        """Fetch one learner now (a webhook poke or an operator retry); None if it is gone."""
        ...

    async def write_transaction(self, tx: SourceTransaction) -> None:
        """Upsert one transaction into the source; idempotent for the same content."""
        ...

    def budget(self) -> SourceBudget | None:
        """Return the request budget, or None if the source has no quota."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class WriteFingerprinter(Protocol):
    """A source that can say what a write-back would send, so an unchanged one is not re-sent."""

    def write_fingerprint(self, tx: SourceTransaction) -> str | None:
        """A digest of the request `write_transaction(tx)` would make (None: cannot tell)."""
        ...
