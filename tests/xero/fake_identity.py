"""A stateful fake of Xero's token endpoint: rotation, the 30-minute grace, lost answers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import httpx

from xerowatch.clock import FakeClock
from xerowatch.oauth.pkce import VERIFIER_ALPHABET

TOKEN_URL = "https://identity.xero.com/connect/token"
CONNECTIONS_URL = "https://api.xero.com/connections"
CLIENT_ID = "client-abc"
CLIENT_SECRET = "s3cret-client-value"
GRACE = timedelta(minutes=30)
GRANTED = "offline_access accounting.contacts accounting.invoices.read accounting.payments.read"


@dataclass
class FakeXeroIdentity:
    """Issues `access-N` / `refresh-N`; a rotated refresh token stays usable for GRACE."""

    clock: FakeClock
    current_refresh: str = "refresh-0"
    valid_code: str = "the-code"
    granted_scope: str = GRANTED
    issue_refresh_token: bool = True
    serial: int = 0
    retired: dict[str, datetime] = field(default_factory=dict)
    forms: list[dict[str, str]] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)
    lose_answers: int = 0
    """Rotate, then drop the answer (ReadTimeout) this many times."""
    scripted: list[httpx.Response | Exception] = field(default_factory=list)
    """Answers (or exceptions) returned before the grant is even looked at."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        """respx side effect for POST /connect/token."""
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        self.auth_headers.append(request.headers.get("Authorization"))
        if self.scripted:
            answer = self.scripted.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        grant = form.get("grant_type")
        if grant == "refresh_token":
            return self._refresh(request, form)
        if grant == "client_credentials":
            return self._client_credentials(request)
        if grant == "authorization_code":
            return self._code(request, form)
        return _error(400, "unsupported_grant_type")

    def _refresh(self, request: httpx.Request, form: dict[str, str]) -> httpx.Response:
        token = form.get("refresh_token", "")
        now = self.clock.now()
        in_grace = token in self.retired and now - self.retired[token] <= GRACE
        if token != self.current_refresh and not in_grace:
            return _error(400, "invalid_grant")
        self.retired[self.current_refresh] = now
        body = self._issue(with_refresh=True)
        self.current_refresh = str(body["refresh_token"])
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return httpx.Response(200, json=body)

    def _client_credentials(self, request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(400, "invalid_client")
        return httpx.Response(200, json=self._issue(with_refresh=False))

    def _code(self, request: httpx.Request, form: dict[str, str]) -> httpx.Response:
        verifier = form.get("code_verifier", "")
        if form.get("code") != self.valid_code or not form.get("redirect_uri"):
            return _error(400, "invalid_grant")
        if not (43 <= len(verifier) <= 128 and set(verifier) <= set(VERIFIER_ALPHABET)):
            return _error(400, "invalid_request")
        body = self._issue(with_refresh=self.issue_refresh_token)
        if self.issue_refresh_token:
            self.current_refresh = str(body["refresh_token"])
        return httpx.Response(200, json=body)

    def _issue(self, *, with_refresh: bool) -> dict[str, object]:
        self.serial += 1
        body: dict[str, object] = {
            "id_token": f"id-{self.serial}",
            "access_token": f"access-{self.serial}",
            "expires_in": 1800,
            "token_type": "Bearer",
            "scope": self.granted_scope,
        }
        if with_refresh:
            body["refresh_token"] = f"refresh-{self.serial}"
        return body

    def refresh_tokens_sent(self) -> list[str]:
        """The refresh tokens of every refresh grant received, in order."""
        return [f["refresh_token"] for f in self.forms if f.get("grant_type") == "refresh_token"]


def _error(status: int, error: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps({"error": error}).encode())


def connections_body(*tenants: tuple[str, str, str]) -> list[dict[str, str]]:
    """GET /connections entries for (xero connection id, tenant id, name)."""
    return [
        {
            "id": conn_id,
            "authEventId": "d99ecdfe-3d5a-4e3b-9f3b-2f7e8b4ad2a1",
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": name,
            "createdDateUtc": "2026-11-02T09:00:00.0000000",
            "updatedDateUtc": "2026-11-02T09:00:00.0000000",
        }
        for conn_id, tenant_id, name in tenants
    ]
