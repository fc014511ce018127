"""Xero's tenant connections: GET /connections (who we may reach), DELETE /connections/{id}."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from xerowatch import __version__
from xerowatch.config import XeroSettings
from xerowatch.store.tenants import TenantInfo
from xerowatch.xero.auth import XeroTokenManager
from xerowatch.xero.errors import XeroAuthError, XeroError, XeroNotFound, XeroTransientError


class XeroConnection(BaseModel):
    """One entry of GET /connections (spec: xero-identity.yaml `Connection`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    id: str
    tenant_id: str = Field(alias="tenantId")
    tenant_name: str = Field("", alias="tenantName")
    tenant_type: str = Field("ORGANISATION", alias="tenantType")
    auth_event_id: str | None = Field(None, alias="authEventId")
    created_date_utc: str | None = Field(None, alias="createdDateUtc")
    updated_date_utc: str | None = Field(None, alias="updatedDateUtc")

    def to_tenant_info(self) -> TenantInfo:
        """Describe this connection as a tenant for the store."""
        return TenantInfo(
            tenant_id=self.tenant_id,
            name=self.tenant_name or "",
            tenant_type=self.tenant_type or "ORGANISATION",
            xero_connection_id=self.id,
        )


_CONNECTIONS = TypeAdapter(list[XeroConnection])


class XeroConnectionsClient:
    """Calls the connections endpoint with a connection's access token (refreshing once on 401)."""

    def __init__(
        self, *, http: httpx.AsyncClient, settings: XeroSettings, tokens: XeroTokenManager
    ) -> None:
        self._http = http
        self._settings = settings
        self._tokens = tokens

    async def list_connections(
        self, connection_id: str, *, auth_event_id: str | None = None
    ) -> list[XeroConnection]:
        """Return the tenants this connection's grant reaches."""
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = await self._send("GET", self._settings.connections_url, connection_id, params)
        if response.status_code != 200:
            raise _error(response, "listing Xero connections")
        try:
            return _CONNECTIONS.validate_json(response.content)
        except ValidationError:
            raise XeroError(
                "GET /connections answered with an unexpected body",
                status=200,
                correlation_id=_correlation(response),
            ) from None

    async def delete_connection(self, connection_id: str, xero_connection_id: str) -> bool:
        """Disconnect one tenant at Xero; False when Xero no longer had that connection."""
        url = f"{self._settings.connections_url.rstrip('/')}/{xero_connection_id}"
        response = await self._send("DELETE", url, connection_id, None)
        if response.status_code in (200, 204):
            return True
        if response.status_code == 404:
            return False
        raise _error(response, "disconnecting a Xero tenant")

    async def _send(
        self, method: str, url: str, connection_id: str, params: dict[str, str] | None
    ) -> httpx.Response:
        token = await self._tokens.access_token(connection_id)
        response = await self._request(method, url, token, params)
        if response.status_code == 401:
            token = await self._tokens.access_token(connection_id, force_refresh=True)
            response = await self._request(method, url, token, params)
        return response

    async def _request(
        self, method: str, url: str, token: str, params: dict[str, str] | None
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": f"xerowatch/{__version__}",
        }
        try:
            return await self._http.request(
                method,
                url,
                params=params,
                headers=headers,
                timeout=self._settings.timeout_seconds,
            )
        except httpx.TimeoutException:
            raise XeroTransientError(
                f"{method} {url} timed out", config_key="[xero] connections_url"
            ) from None
        except httpx.TransportError as exc:
            raise XeroTransientError(
                f"cannot reach Xero at {url} ({type(exc).__name__})",
                config_key="[xero] connections_url",
            ) from None


def _correlation(response: httpx.Response) -> str | None:
    value = response.headers.get("Xero-Correlation-Id")
    return str(value) if value else None


def _error(response: httpx.Response, doing: str) -> XeroError:
    status = response.status_code
    correlation = _correlation(response)
    if status in (401, 403):
        return XeroAuthError(
            f"Xero refused {doing}: the authorisation is no longer valid",
            status=status,
            correlation_id=correlation,
        )
    if status == 404:
        return XeroNotFound(f"Xero found nothing while {doing}", status=status)
    if status == 429 or status >= 500:
        return XeroTransientError(
            f"Xero is unavailable while {doing}", status=status, correlation_id=correlation
        )
    return XeroError(
        f"Xero answered {status} while {doing}", status=status, correlation_id=correlation
    )
