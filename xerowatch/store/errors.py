"""Store errors: the CLI turns every one of them into one line and exit code 2."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened or migrated."""


class StoreDamagedError(StoreError):
    """The store file exists but is empty or damaged: refused rather than treated as new."""
