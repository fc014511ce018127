"""Knobs of the Xero simulator: limits, token lifetimes, request caps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class XeroSimConfig:
    """Limits and lifetimes the simulator enforces (defaults are Xero's published values)."""

    minute_limit: int = 60
    day_limit: int = 5000
    app_minute_limit: int = 10_000
    concurrent_limit: int = 5
    access_token_ttl: int = 1800
    refresh_grace_seconds: int = 1800
    idempotency_ttl: int = 360
    client_id: str = "sim-client"
    client_secret: str = "sim-secret"
    max_page_size: int = 1000
    minute_window_offset_s: float = 17.0
    """Xero's windows are not wall-clock aligned: minute and day windows start this far past."""
    default_page_size: int = 100
    max_body_bytes: int = 3_500_000
    """Xero's 3.5 MB request cap; larger bodies get 413."""
    max_elements: int = 1000
    """Most elements one PUT/POST may carry (Xero recommends ~50 and states no hard cap)."""
    refresh_token_ttl: int = 60 * 86_400
    """An unused refresh token expires after 60 days."""
    auth_code_ttl: int = 300
    """Seconds an authorization code stays exchangeable."""
    seed: int | None = None
    """When set, record IDs come from a seeded generator so runs are reproducible."""
