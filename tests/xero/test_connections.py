"""GET/DELETE /connections, and tenants in the store (upsert, move, prune, deactivate)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr

from tests.xero.fake_identity import (
    CLIENT_ID,
    CONNECTIONS_URL,
    TOKEN_URL,
    FakeXeroIdentity,
    connections_body,
)
from xerowatch.clock import FakeClock
from xerowatch.config import XeroSettings
from xerowatch.store.alerts import open_alerts, raise_alert
from xerowatch.store.db import Store, open_store
from xerowatch.store.tenants import (
    TenantInfo,
    deactivate_tenant,
    get_tenant,
    list_tenants,
    upsert_tenants,
)
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import IssuedTokens, create_connection, load_connection
from xerowatch.xero.auth import XeroTokenManager
from xerowatch.xero.connections import XeroConnectionsClient
from xerowatch.xero.errors import XeroError, XeroTransientError

SETTINGS = XeroSettings(client_id=CLIENT_ID, max_retries=1)
CONN_A = "7cb59f93-2964-421d-bb5e-a0f7a4572a44"
TENANT_A = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
CONN_B = "0b5e0a3c-5a4e-4d4c-9d61-3b1a2b7c8d9e"
TENANT_B = "3c0d6b6e-7f5a-4c1e-a2b3-c4d5e6f7a8b9"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "x.db")
    yield opened
    await opened.close()


async def seed(store: Store, clock: FakeClock, access: str = "access-0") -> str:
    tokens = IssuedTokens(
        SecretStr(access), clock.now() + timedelta(minutes=20), SecretStr("refresh-0"), ""
    )
    return await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=tokens, now=clock.now()
    )


@pytest.fixture
async def client(store: Store, clock: FakeClock) -> AsyncIterator[XeroConnectionsClient]:
    async with httpx.AsyncClient() as http:
        tokens = XeroTokenManager(
            store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock
        )
        yield XeroConnectionsClient(http=http, settings=SETTINGS, tokens=tokens)


async def test_list_parses_the_spec_example_and_sends_the_bearer_token(store, clock, client):
    cid = await seed(store, clock)
    spec_example = (
        '[ { "id": "7cb59f93-2964-421d-bb5e-a0f7a4572a44", "tenantId": '
        '"fe79f7dd-b6d4-4a92-ba7b-538af6289c58", "tenantName": "Demo Company (NZ)", '
        '"tenantType": "ORGANISATION", "createdDateUtc": "2019-12-07T18:46:19.5165400", '
        '"updatedDateUtc": "2019-12-07T18:46:19.5187840" } ]'
    )
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get(CONNECTIONS_URL).respond(200, text=spec_example)
        [conn] = await client.list_connections(cid)
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer access-0"
    assert "xero-tenant-id" not in request.headers
    assert (conn.id, conn.tenant_id, conn.tenant_name) == (CONN_A, TENANT_A, "Demo Company (NZ)")
    assert conn.to_tenant_info() == TenantInfo(
        TENANT_A, "Demo Company (NZ)", "ORGANISATION", CONN_A
    )


async def test_list_filters_by_auth_event(store, clock, client):
    cid = await seed(store, clock)
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get(CONNECTIONS_URL).respond(200, json=[])
        assert await client.list_connections(cid, auth_event_id="abc") == []
    assert route.calls.last.request.url.params["authEventId"] == "abc"


async def test_a_401_refreshes_once_and_retries(store, clock, client):
    identity = FakeXeroIdentity(clock)
    cid = await seed(store, clock)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=identity.handler)
        route = mock.get(CONNECTIONS_URL).mock(
            side_effect=[
                httpx.Response(401, json={"Title": "Unauthorized", "Detail": "TokenExpired"}),
                httpx.Response(200, json=connections_body((CONN_A, TENANT_A, "Demo"))),
            ]
        )
        [conn] = await client.list_connections(cid)
    assert conn.tenant_id == TENANT_A
    auths = [call.request.headers["Authorization"] for call in route.calls]
    assert auths == ["Bearer access-0", "Bearer access-1"]
    assert identity.refresh_tokens_sent() == ["refresh-0"]


async def test_delete_answers_true_on_204_and_false_when_already_gone(store, clock, client):
    cid = await seed(store, clock)
    with respx.mock(assert_all_mocked=True) as mock:
        gone = mock.delete(f"{CONNECTIONS_URL}/{CONN_A}").respond(204)
        missing = mock.delete(f"{CONNECTIONS_URL}/{CONN_B}").respond(404)
        assert await client.delete_connection(cid, CONN_A) is True
        assert await client.delete_connection(cid, CONN_B) is False
    assert gone.call_count == missing.call_count == 1


async def test_server_errors_and_odd_bodies_are_typed(store, clock, client):
    cid = await seed(store, clock)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(CONNECTIONS_URL).mock(
            side_effect=[httpx.Response(503), httpx.Response(200, json={"not": "a list"})]
        )
        with pytest.raises(XeroTransientError):
            await client.list_connections(cid)
        with pytest.raises(XeroError, match="unexpected body"):
            await client.list_connections(cid)
        mock.delete(f"{CONNECTIONS_URL}/{CONN_A}").mock(side_effect=httpx.ConnectError("down"))
        with pytest.raises(XeroTransientError):
            await client.delete_connection(cid, CONN_A)


async def test_upsert_stores_tenants_and_lists_them_by_name(store, clock):
    cid = await seed(store, clock)
    infos = [
        TenantInfo(TENANT_B, "Zeta College", "ORGANISATION", CONN_B),
        TenantInfo(TENANT_A, "Alpha Academy", "ORGANISATION", CONN_A),
    ]
    assert await upsert_tenants(store, cid, infos) == 2
    assert [t.name for t in await list_tenants(store)] == ["Alpha Academy", "Zeta College"]
    tenant = await get_tenant(store, TENANT_A)
    assert tenant is not None
    assert (tenant.connection_id, tenant.xero_connection_id, tenant.active) == (cid, CONN_A, True)
    assert await get_tenant(store, "nope") is None


async def test_deactivated_tenants_are_hidden_unless_asked(store, clock):
    cid = await seed(store, clock)
    await upsert_tenants(store, cid, [TenantInfo(TENANT_A, "Alpha", "ORGANISATION", CONN_A)])
    assert await deactivate_tenant(store, TENANT_A) is True
    assert await deactivate_tenant(store, "nope") is False
    assert await list_tenants(store) == []
    [tenant] = await list_tenants(store, active_only=False)
    assert tenant.active is False
    # Connecting it again re-activates it.
    await upsert_tenants(store, cid, [TenantInfo(TENANT_A, "Alpha", "ORGANISATION", CONN_A)])
    assert [t.tenant_id for t in await list_tenants(store)] == [TENANT_A]


async def test_reconnecting_moves_tenants_and_removes_the_broken_connection(store, clock):
    old = await seed(store, clock, "access-old")
    await upsert_tenants(store, old, [TenantInfo(TENANT_A, "Alpha", "ORGANISATION", CONN_A)])
    await raise_alert(store, "xero_needs_reconnect", "broken", record=old)
    keep = await seed(store, clock, "access-other")
    await upsert_tenants(store, keep, [TenantInfo(TENANT_B, "Beta", "ORGANISATION", CONN_B)])
    new = await seed(store, clock, "access-new")

    await upsert_tenants(store, new, [TenantInfo(TENANT_A, "Alpha", "ORGANISATION", CONN_A)])

    tenant = await get_tenant(store, TENANT_A)
    assert tenant is not None and tenant.connection_id == new
    assert await load_connection(store, old) is None
    assert await load_connection(store, keep) is not None
    assert await open_alerts(store, type_="xero_needs_reconnect") == []
