"""Secrets from systemd credentials ($CREDENTIALS_DIRECTORY), as settings overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CREDENTIALS: dict[str, tuple[str, str]] = {
    "xero_client_secret": ("xero", "client_secret"),
    "xero_webhook_key": ("daemon", "xero_webhook_key"),
    "wisenet_api_key": ("wisenet", "api_key"),
    "wisenet_webhook_secret": ("daemon", "wisenet_webhook_secret"),
}
"""Credential name (file name under $CREDENTIALS_DIRECTORY) → settings section and key."""


def credential_overrides(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Read the known credentials systemd passed in; return them as nested settings overrides.

    Missing files are skipped; a trailing newline (as `echo` writes) is dropped.
    """
    env = os.environ if environ is None else environ
    directory = env.get("CREDENTIALS_DIRECTORY", "")
    if not directory:
        return {}
    overrides: dict[str, dict[str, str]] = {}
    for name, (section, key) in CREDENTIALS.items():
        path = Path(directory) / name
        if path.is_file():
            value = path.read_text("utf-8").rstrip("\r\n")
            if value:
                overrides.setdefault(section, {})[key] = value
    return overrides
