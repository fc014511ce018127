"""Idempotency-Key replay: same key and same request within the TTL → the cached answer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from xerowatch.clock import Clock
from xerowatch.sim.xero.responses import SimResponse

MAX_KEY_LENGTH = 128


@dataclass
class _Entry:
    fingerprint: str
    response: SimResponse
    stored_at: float


@dataclass(frozen=True)
class Conflict:
    """The key was already used with a different method, URL or body."""


def fingerprint(method: str, url: str, body: bytes) -> str:
    """What Xero compares: the method, the URL and the body."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()} {url} {digest}"


class IdempotencyCache:
    """Answers of keyed writes per tenant, kept for `ttl` seconds from the first call."""

    def __init__(self, ttl: float, clock: Clock) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}

    def _purge(self) -> None:
        now = self.clock.monotonic()
        for key in [k for k, e in self._entries.items() if now - e.stored_at >= self.ttl]:
            del self._entries[key]

    def lookup(self, tenant_id: str, key: str, request_print: str) -> SimResponse | Conflict | None:
        """The cached answer for a repeat, a Conflict for a reused key, or None if new."""
        self._purge()
        entry = self._entries.get((tenant_id, key))
        if entry is None:
            return None
        if entry.fingerprint != request_print:
            return Conflict()
        return entry.response

    def store(self, tenant_id: str, key: str, request_print: str, response: SimResponse) -> None:
        """Remember the answer to a keyed write (error answers too, as Xero does)."""
        self._entries[(tenant_id, key)] = _Entry(request_print, response, self.clock.monotonic())
