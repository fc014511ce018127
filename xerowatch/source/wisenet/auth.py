"""Wisenet authentication: the protocol the client uses, and the legacy `x-api-key`.

Every provider answers three questions for the client: which headers to send, whether a 401 is
worth one retry after refreshing, and what to tell the admin when it is not. OAuth 2.1 (code +
PKCE with refresh) is in `oauth.py`. Secrets are SecretStr and never appear in reprs.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from xerowatch.source.port import SourceAuthError


class WisenetAuth(Protocol):
    """Credentials for Wisenet requests."""

    async def headers(self) -> dict[str, str]:
        """Return the auth headers for the next request (refreshing a token if it is due)."""
        ...

    async def refresh_after_unauthorized(self) -> bool:
        """After a 401: obtain new credentials and return True if a retry can succeed."""
        ...

    def unauthorized_hint(self) -> str:
        """One sentence telling an admin how to fix a 401."""
        ...


class ApiKeyAuth:
    """The legacy `x-api-key` header (Wisenet LRM > Settings > Integration > API Keys).

    A missing key is reported when a request is about to be made, so commands that never call
    Wisenet still work without one.
    """

    def __init__(self, api_key: SecretStr | None) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=***)"

    async def headers(self) -> dict[str, str]:
        """Return the x-api-key header."""
        key = self._api_key.get_secret_value().strip() if self._api_key else ""
        if not key:
            raise SourceAuthError(
                "no Wisenet API key: set [wisenet] api_key or XEROWATCH_WISENET__API_KEY "
                "(LRM > Settings > Integration > API Keys)"
            )
        return {"x-api-key": key}

    async def refresh_after_unauthorized(self) -> bool:
        """An API key cannot be refreshed."""
        return False

    def unauthorized_hint(self) -> str:
        """Point the admin at the key setting."""
        return (
            "Wisenet rejected the API key — set [wisenet] api_key (or XEROWATCH_WISENET__API_KEY) "
            "to the key in LRM > Settings > Integration > API Keys"
        )
