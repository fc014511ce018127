"""Split a batch write into requests Xero accepts: at most 50 elements and 3.5 MB each.

Sizes are measured exactly as httpx will send the body (compact UTF-8 JSON of
`{"<Collection>": [...]}`), so a planned request never exceeds the limit. Order is kept and
every chunk knows the input index of each element, so per-element results map back to
their inputs. An element too large to send even alone is reported, never sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BATCH_ITEMS = 50
MAX_BATCH_BYTES = 3_500_000  # Xero's 3.5 MB request limit, read as decimal megabytes (smaller)


def json_size(value: Any) -> int:
    """Return the byte length of `value` serialised the way httpx sends JSON bodies."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Chunk:
    """One request's worth of elements, with the input index of each (ascending)."""

    indexes: tuple[int, ...]
    elements: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class BatchPlan:
    """Chunks to send in order, and inputs too large to send at all (index → reason)."""

    chunks: list[Chunk] = field(default_factory=list)
    oversized: dict[int, str] = field(default_factory=dict)


def plan_batches(
    elements: Sequence[Mapping[str, Any]],
    *,
    collection: str,
    max_items: int = MAX_BATCH_ITEMS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> BatchPlan:
    """Group elements into chunks within both limits, keeping input order."""
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    envelope = json_size({collection: []})  # '{"Contacts":[]}'
    plan = BatchPlan()
    indexes: list[int] = []
    chunk_bytes = envelope
    for index, element in enumerate(elements):
        size = json_size(element)
        if envelope + size > max_bytes:
            plan.oversized[index] = f"element is {size} bytes; one request may carry {max_bytes}"
            continue
        comma = 1 if indexes else 0
        if indexes and (len(indexes) >= max_items or chunk_bytes + comma + size > max_bytes):
            plan.chunks.append(_chunk(elements, indexes))
            indexes, chunk_bytes, comma = [], envelope, 0
        indexes.append(index)
        chunk_bytes += comma + size
    if indexes:
        plan.chunks.append(_chunk(elements, indexes))
    return plan


def _chunk(elements: Sequence[Mapping[str, Any]], indexes: list[int]) -> Chunk:
    return Chunk(indexes=tuple(indexes), elements=tuple(elements[i] for i in indexes))
