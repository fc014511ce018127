"""The simulated Wisenet token endpoint: strict refresh-token rotation, as OAuth 2.1 advises.

Every refresh spends the refresh token it was sent and issues a new pair; a spent token is
refused with `invalid_grant` (no grace period), so a client that sends one twice — two
processes racing a refresh — loses the connection, just as it would at a strict provider.
Issued access tokens are accepted by the API routes until they expire.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from xerowatch.clock import Clock

TOKEN_PATH = "/oauth/token"
SIM_CLIENT_ID = "sim-wisenet-client"


@dataclass
class SimTokenIssuer:
    """Issues and rotates Wisenet OAuth tokens; counts every refresh grant and its outcome."""

    clock: Clock
    client_id: str = SIM_CLIENT_ID
    access_ttl_s: int = 3600
    scope: str = "learners.read invoices.write offline_access"
    refreshes: list[tuple[str, str]] = field(default_factory=list)
    """(refresh token sent, outcome) per refresh grant: "rotated" or "spent"."""
    _live_refresh: set[str] = field(default_factory=set)
    _spent_refresh: set[str] = field(default_factory=set)
    _access: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def grant(self) -> dict[str, Any]:
        """A fresh token pair, as a completed authorisation would give (for seeding tests)."""
        with self._lock:
            return self._issue()

    def accepts(self, access_token: str) -> bool:
        """True when `access_token` was issued here and has not expired."""
        with self._lock:
            expiry = self._access.get(access_token)
        return expiry is not None and expiry > self.clock.now()

    @property
    def live_refresh_tokens(self) -> set[str]:
        """The refresh tokens that would be accepted now."""
        with self._lock:
            return set(self._live_refresh)

    async def endpoint(self, request: Request) -> Response:
        """POST /oauth/token: the refresh_token grant of a public client."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("client_id") != self.client_id:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        sent = form.get("refresh_token", "")
        with self._lock:
            if sent not in self._live_refresh:
                self.refreshes.append((sent, "spent" if sent in self._spent_refresh else "unknown"))
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self._live_refresh.discard(sent)
            self._spent_refresh.add(sent)
            self.refreshes.append((sent, "rotated"))
            return JSONResponse(self._issue())

    def _issue(self) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self._access[access] = self.clock.now() + timedelta(seconds=self.access_ttl_s)
        self._live_refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_ttl_s,
            "token_type": "Bearer",
            "scope": self.scope,
        }
