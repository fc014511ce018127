"""Incremental-read watermarks: the newest UpdatedDateUTC seen, read back with a small overlap.

Xero's If-Modified-Since is accurate to the second: a record updated in the same second as the
newest one read, but after the read, would be missed if the next read started exactly at the
watermark. So the first read after the watermark moves starts a few seconds earlier (re-read
records dedupe by id and content hash, so no writes). Once a read has started well after the
watermark's second (SETTLE, generous for clock skew) and found nothing newer, that second can hold
nothing new: the watermark is "settled" and later reads start exactly at it, so a burst of
changes inside the overlap is not re-read on every poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

OVERLAP = timedelta(seconds=5)
SETTLE = timedelta(seconds=120)
_SETTLED = "|settled"


@dataclass(frozen=True)
class Watermark:
    """The newest UpdatedDateUTC read, and whether its second can still change."""

    newest: datetime | None
    settled: bool = False

    @classmethod
    def parse(cls, stored: str | None) -> Watermark:
        """Read a stored cursor ("ISO" or "ISO|settled"; None = never read)."""
        if not stored:
            return cls(None)
        text, settled = stored.removesuffix(_SETTLED), stored.endswith(_SETTLED)
        return cls(datetime.fromisoformat(text), settled)

    def read_from(self) -> datetime | None:
        """Where the next incremental read starts (None = read everything)."""
        if self.newest is None:
            return None
        return self.newest if self.settled else self.newest - OVERLAP

    def after_read(self, seen: Iterable[datetime | None], *, started_at: datetime) -> Watermark:
        """The watermark after a read that began at `started_at` and saw these timestamps."""
        newest = self.newest
        for stamp in seen:
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
        if newest != self.newest:
            return Watermark(newest)
        settled = newest is not None and started_at - newest >= SETTLE
        return Watermark(newest, self.settled or settled)

    def dump(self) -> str | None:
        """The text stored as the cursor."""
        if self.newest is None:
            return None
        return self.newest.isoformat() + (_SETTLED if self.settled else "")
