"""`xerowatch connect`, `connections`, `disconnect`: Xero authorisation for admins on SSH."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add the auth commands to the root group."""
