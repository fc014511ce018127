"""Stored tenants: the active-tenants read every loop and preview shares, async and at startup."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from xerowatch.store import preview_counts
from xerowatch.store.db import Store, open_store
from xerowatch.store.tenants import (
    ActiveTenant,
    TenantInfo,
    active_tenants,
    active_tenants_of_file,
    deactivate_tenant,
    upsert_tenants,
)
from xerowatch.store.tokens import IssuedTokens, create_connection

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


async def _connection(store: Store) -> str:
    tokens = IssuedTokens(
        access_token=SecretStr("a"),
        access_expires_at=NOW + timedelta(minutes=20),
        refresh_token=SecretStr("r"),
        scopes="accounting.contacts",
    )
    return await create_connection(
        store, provider="xero", auth_mode="custom_connection", tokens=tokens, now=NOW
    )


async def _three_tenants(store: Store) -> tuple[str, str]:
    org = "ORGANISATION"
    # names sort the other way from ids, so the order proven is the id order
    first = await _connection(store)
    await upsert_tenants(store, first, [TenantInfo("t-c", "Alpha", org, None)], now=NOW)
    second = await _connection(store)  # each created just before its tenants: no orphan
    await upsert_tenants(
        store,
        second,
        [TenantInfo("t-a", "Gamma", org, None), TenantInfo("t-b", "Beta", org, None)],
        now=NOW,
    )
    return first, second


async def test_active_tenants_in_id_order_with_their_connection(store: Store) -> None:
    assert await active_tenants(store) == []
    first, second = await _three_tenants(store)
    assert await active_tenants(store) == [
        ActiveTenant("t-a", second),
        ActiveTenant("t-b", second),
        ActiveTenant("t-c", first),
    ]
    await deactivate_tenant(store, "t-b", now=NOW)
    assert [t.tenant_id for t in await active_tenants(store)] == ["t-a", "t-c"]


async def test_the_file_read_sees_the_same_tenants(store: Store) -> None:
    await _three_tenants(store)
    await deactivate_tenant(store, "t-a", now=NOW)
    assert active_tenants_of_file(store.path) == await active_tenants(store)


def test_the_file_read_raises_for_a_missing_store_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir" / "x#1?.db"
    with pytest.raises(sqlite3.Error):
        active_tenants_of_file(missing)
    assert not missing.parent.exists()


async def test_the_preview_counts_the_same_tenants(store: Store) -> None:
    await _three_tenants(store)
    assert await preview_counts.active_tenants(store) == ["t-a", "t-b", "t-c"]
    assert await preview_counts.active_tenants(store, "t-b") == ["t-b"]
    assert await preview_counts.active_tenants(store, "t-zz") == []
