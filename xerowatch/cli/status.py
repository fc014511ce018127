"""`xerowatch status` data: the store's shared read model, as JSON-ready data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from xerowatch.store.db import Store
from xerowatch.store.overview import daemon_holder, read_overview


async def daemon_state(store: Store) -> dict[str, Any] | None:
    """The daemon holding the store's lease, if its heartbeat is fresh."""
    holder = await daemon_holder(store, datetime.now(UTC))
    return asdict(holder) if holder else None


async def collect_status(store: Store) -> dict[str, Any]:
    """Everything `xerowatch status` shows (the dashboard reads the same overview)."""
    return (await read_overview(store, datetime.now(UTC))).to_json()
