"""Incremental-read watermarks: the newest UpdatedDateUTC seen, read back with a small overlap.

Xero's If-Modified-Since is accurate to the second: a record updated in the same second as the
newest one read, but after the read, would be missed if the next read started exactly at the
watermark. So every read starts a few seconds earlier; the re-read records are deduplicated by
id and content hash, so the overlap costs no writes and no extra calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

OVERLAP = timedelta(seconds=5)


def read_from(stored: str | None) -> datetime | None:
    """Where the next incremental read starts (None = read everything)."""
    if not stored:
        return None
    return datetime.fromisoformat(stored) - OVERLAP


def advance(current: datetime | None, stamps: Iterable[datetime | None]) -> datetime | None:
    """The newest of `current` and the UpdatedDateUTC values just read (never "now")."""
    for stamp in stamps:
        if stamp is not None and (current is None or stamp > current):
            current = stamp
    return current
