"""The Wisenet request budget's day counts, kept in the store so a restart remembers them."""

from __future__ import annotations

from typing import Any

from xerowatch.store import runtime
from xerowatch.store.backlog import SOURCE_BUDGET_KEY
from xerowatch.store.db import Store

LEDGER_KEY = SOURCE_BUDGET_KEY


class StoreBudgetLedger:
    """A `BudgetLedger` in the store's runtime key/value table."""

    def __init__(self, store: Store, key: str = LEDGER_KEY) -> None:
        self._store = store
        self._key = key

    async def load(self) -> Any:
        """Return the saved counts, or None."""
        return await runtime.get(self._store, self._key)

    async def save(self, state: Any) -> None:
        """Replace the saved counts."""
        await runtime.put(self._store, self._key, state)
