"""The generic token store: create, load, refresh markers, atomic rotation, status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from xerowatch.store.db import Store, open_store
from xerowatch.store.tokens import (
    IssuedTokens,
    TokenStoreError,
    claim_refresh,
    commit_rotation,
    create_connection,
    delete_connection,
    list_connections,
    load_connection,
    mark_needs_reconnect,
    mark_refresh_started,
    release_refresh,
    replace_tokens,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def issued(access: str, refresh: str | None, *, minutes: int = 30, scopes: str = "a b"):
    return IssuedTokens(
        SecretStr(access),
        NOW + timedelta(minutes=minutes),
        SecretStr(refresh) if refresh else None,
        scopes,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "x.db")
    yield opened
    await opened.close()


async def test_a_created_connection_loads_back_with_secrets_hidden(store):
    cid = await create_connection(
        store, provider="wisenet", auth_mode="oauth", tokens=issued("acc-XYZ", "ref-XYZ"), now=NOW
    )
    stored = await load_connection(store, cid)
    assert stored is not None
    assert (stored.provider, stored.auth_mode, stored.status) == ("wisenet", "oauth", "connected")
    assert stored.access_token == SecretStr("acc-XYZ")
    assert stored.refresh_token == SecretStr("ref-XYZ")
    assert stored.previous_refresh_token is None
    assert stored.seconds_left(NOW) == 1800
    assert not stored.refresh_pending
    assert "XYZ" not in repr(stored)
    assert await load_connection(store, "missing") is None


async def test_rotation_is_atomic_and_remembers_the_refresh_token_it_replaced(store):
    cid = await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=issued("a0", "r0"), now=NOW
    )
    later = NOW + timedelta(minutes=29)
    await mark_refresh_started(store, cid, later)
    pending = await load_connection(store, cid)
    assert pending is not None and pending.refresh_started_at == later

    new = issued("a1", "r1", minutes=59, scopes="a b c")
    committed = await commit_rotation(
        store, cid, new, used_refresh_token=SecretStr("r0"), now=later
    )

    assert committed == await load_connection(store, cid)
    assert committed.access_token == SecretStr("a1")
    assert committed.refresh_token == SecretStr("r1")
    assert committed.previous_refresh_token == SecretStr("r0")
    assert committed.rotated_at == later
    assert committed.refresh_started_at is None
    assert committed.scopes == "a b c"


async def test_a_provider_that_does_not_rotate_keeps_its_refresh_token(store):
    cid = await create_connection(
        store, provider="wisenet", auth_mode="oauth", tokens=issued("a0", "r0"), now=NOW
    )
    committed = await commit_rotation(
        store, cid, issued("a1", None, scopes=""), used_refresh_token=SecretStr("r0"), now=NOW
    )
    assert committed.refresh_token == SecretStr("r0")
    assert committed.previous_refresh_token is None
    assert committed.rotated_at is None
    assert committed.scopes == "a b"


async def test_needs_reconnect_clears_a_pending_refresh_and_a_new_grant_repairs_it(store):
    cid = await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=issued("a0", "r0"), now=NOW
    )
    await mark_refresh_started(store, cid, NOW)
    await mark_needs_reconnect(store, cid, "invalid_grant", now=NOW)
    broken = await load_connection(store, cid)
    assert broken is not None
    assert (broken.status, broken.status_reason, broken.refresh_pending) == (
        "needs_reconnect",
        "invalid_grant",
        False,
    )
    repaired = await replace_tokens(store, cid, issued("a9", "r9"), now=NOW)
    assert (repaired.status, repaired.status_reason) == ("connected", None)
    assert repaired.refresh_token == SecretStr("r9")
    assert repaired.previous_refresh_token is None


async def test_operations_on_a_missing_connection_raise(store):
    with pytest.raises(TokenStoreError):
        await mark_refresh_started(store, "missing", NOW)
    with pytest.raises(TokenStoreError):
        await commit_rotation(store, "missing", issued("a", "r"), used_refresh_token=None, now=NOW)
    with pytest.raises(TokenStoreError):
        await mark_needs_reconnect(store, "missing", "x", now=NOW)
    with pytest.raises(TokenStoreError):
        await replace_tokens(store, "missing", issued("a", "r"), now=NOW)


async def test_list_by_provider_and_delete(store):
    x = await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=issued("a", "r"), now=NOW
    )
    w = await create_connection(
        store, provider="wisenet", auth_mode="oauth", tokens=issued("b", "s"), now=NOW
    )
    assert [c.connection_id for c in await list_connections(store, provider="xero")] == [x]
    assert {c.connection_id for c in await list_connections(store)} == {x, w}
    assert await delete_connection(store, x) is True
    assert await delete_connection(store, x) is False
    assert await load_connection(store, x) is None


async def test_a_refresh_claim_excludes_other_holders_until_its_lease_ends(store):
    cid = await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=issued("a0", "r0"), now=NOW
    )
    first = await claim_refresh(store, cid, holder="daemon", now=NOW, lease_s=90)
    assert first.claimed
    assert first.connection.refresh_holder == "daemon"
    assert first.connection.refresh_lease_until == NOW + timedelta(seconds=90)
    assert not first.connection.refresh_pending  # claiming is not sending

    busy = await claim_refresh(
        store, cid, holder="cli", now=NOW + timedelta(seconds=89), lease_s=90
    )
    assert not busy.claimed
    assert busy.connection.refresh_claimed_by_other("cli", NOW + timedelta(seconds=89))
    assert not busy.connection.refresh_claimed_by_other("daemon", NOW)

    renewed = await claim_refresh(
        store, cid, holder="daemon", now=NOW + timedelta(seconds=60), lease_s=90, mark_started=True
    )
    assert renewed.claimed
    assert renewed.connection.refresh_lease_until == NOW + timedelta(seconds=150)
    assert renewed.connection.refresh_started_at == NOW + timedelta(seconds=60)

    # The daemon died: once its lease has run out, the claim is anybody's.
    taken = await claim_refresh(
        store, cid, holder="cli", now=NOW + timedelta(seconds=150), lease_s=90
    )
    assert taken.claimed
    assert taken.connection.refresh_holder == "cli"
    assert taken.connection.refresh_pending  # the dead holder's refresh is still unanswered


async def test_release_frees_only_ones_own_claim_and_writes_clear_any_claim(store):
    cid = await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=issued("a0", "r0"), now=NOW
    )
    await claim_refresh(store, cid, holder="daemon", now=NOW, lease_s=90)
    await release_refresh(store, cid, holder="cli")
    held = await load_connection(store, cid)
    assert held is not None and held.refresh_holder == "daemon"
    await release_refresh(store, cid, holder="daemon")
    freed = await load_connection(store, cid)
    assert freed is not None and (freed.refresh_holder, freed.refresh_lease_until) == (None, None)

    await claim_refresh(store, cid, holder="daemon", now=NOW, lease_s=90, mark_started=True)
    committed = await commit_rotation(
        store, cid, issued("a1", "r1"), used_refresh_token=SecretStr("r0"), now=NOW
    )
    assert (committed.refresh_holder, committed.refresh_lease_until) == (None, None)
    await claim_refresh(store, cid, holder="daemon", now=NOW, lease_s=90)
    await mark_needs_reconnect(store, cid, "invalid_grant", now=NOW)
    broken = await load_connection(store, cid)
    assert broken is not None and broken.refresh_holder is None
    await claim_refresh(store, cid, holder="daemon", now=NOW, lease_s=90)
    repaired = await replace_tokens(store, cid, issued("a9", "r9"), now=NOW)
    assert repaired.refresh_holder is None
    with pytest.raises(TokenStoreError):
        await claim_refresh(store, "missing", holder="daemon", now=NOW, lease_s=90)
