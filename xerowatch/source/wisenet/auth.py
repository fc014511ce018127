"""Wisenet authentication: the legacy `x-api-key`, and OAuth 2.1 (authorization code + PKCE).

Every provider answers two questions for the client: which headers to send, and whether a 401
is worth one retry after refreshing. Secrets are held as SecretStr and never appear in reprs.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr


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
    """The legacy `x-api-key` header (Wisenet LRM > Settings > Integration > API Keys)."""

    def __init__(self, api_key: SecretStr) -> None:
        if not api_key.get_secret_value().strip():
            raise ValueError("the Wisenet API key is empty")
        self._api_key = api_key

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=***)"

    async def headers(self) -> dict[str, str]:
        """Return the x-api-key header."""
        return {"x-api-key": self._api_key.get_secret_value()}

    async def refresh_after_unauthorized(self) -> bool:
        """An API key cannot be refreshed."""
        return False

    def unauthorized_hint(self) -> str:
        """Point the admin at the key setting."""
        return (
            "Wisenet rejected the API key: check [wisenet] api_key (or XEROWATCH_WISENET__API_KEY) "
            "against LRM > Settings > Integration > API Keys"
        )
