"""The store: SQLite via aiosqlite, the one source of truth shared by daemon, dashboard and CLI."""

from xerowatch.store.db import Migration, Store, StoreError, migrate, open_store, utc_now_iso

__all__ = ["Migration", "Store", "StoreError", "migrate", "open_store", "utc_now_iso"]
