"""The daemon_lease table: read, take (vetted in the same transaction), heartbeat, release."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from xerowatch.store import daemon_lease
from xerowatch.store.daemon_lease import LeaseClaim, LeaseInfo
from xerowatch.store.db import Store, open_store

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
A = LeaseClaim(name="daemon", holder="box-a:4242:aaaa", pid=4242, host="box-a")
B = LeaseClaim(name="daemon", holder="box-b:77:bbbb", pid=77, host="box-b")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


def _never(previous: LeaseInfo) -> None:
    raise AssertionError(f"nobody else should hold the lease, found {previous.holder}")


async def test_a_free_lease_is_taken_and_read_back(store: Store) -> None:
    assert await daemon_lease.get(store, "daemon") is None
    assert await daemon_lease.take(store, A, NOW, vet=_never) is None

    held = await daemon_lease.get(store, "daemon")
    assert held == LeaseInfo(A.holder, 4242, "box-a", NOW, NOW)
    assert await daemon_lease.get(store, "other") is None


async def test_taking_again_as_the_same_holder_skips_the_vetting(store: Store) -> None:
    await daemon_lease.take(store, A, NOW, vet=_never)
    previous = await daemon_lease.take(store, A, NOW + timedelta(seconds=5), vet=_never)
    assert previous is not None and previous.holder == A.holder
    held = await daemon_lease.get(store, "daemon")
    assert held is not None and held.acquired_at == NOW + timedelta(seconds=5)


async def test_a_refusing_vet_leaves_the_holder_in_place(store: Store) -> None:
    await daemon_lease.take(store, A, NOW, vet=_never)
    seen: list[str] = []

    def refuse(previous: LeaseInfo) -> None:
        seen.append(previous.holder)
        raise RuntimeError("held")

    with pytest.raises(RuntimeError, match="held"):
        await daemon_lease.take(store, B, NOW + timedelta(seconds=1), vet=refuse)
    assert seen == [A.holder]
    held = await daemon_lease.get(store, "daemon")
    assert held is not None and held.holder == A.holder


async def test_an_approved_takeover_replaces_the_row_and_returns_the_old_one(store: Store) -> None:
    await daemon_lease.take(store, A, NOW, vet=_never)
    later = NOW + timedelta(seconds=40)
    previous = await daemon_lease.take(store, B, later, vet=lambda _previous: None)
    assert previous == LeaseInfo(A.holder, 4242, "box-a", NOW, NOW)
    assert await daemon_lease.get(store, "daemon") == LeaseInfo(B.holder, 77, "box-b", later, later)


async def test_heartbeat_and_release_only_touch_our_own_row(store: Store) -> None:
    await daemon_lease.take(store, A, NOW, vet=_never)
    beat = NOW + timedelta(seconds=5)
    assert await daemon_lease.heartbeat(store, B, beat) is False
    assert await daemon_lease.release(store, B) is False
    assert await daemon_lease.heartbeat(store, A, beat) is True
    held = await daemon_lease.get(store, "daemon")
    assert held is not None and (held.acquired_at, held.heartbeat_at) == (NOW, beat)
    assert await daemon_lease.release(store, A) is True
    assert await daemon_lease.get(store, "daemon") is None
    assert await daemon_lease.release(store, A) is False


async def test_times_are_stored_in_utc_and_read_back_aware(store: Store) -> None:
    sydney = NOW.astimezone(timezone(timedelta(hours=11)))
    await daemon_lease.take(store, A, sydney, vet=_never)
    raw = await store.fetchone("SELECT acquired_at FROM daemon_lease WHERE name = 'daemon'")
    assert raw is not None and raw[0] == "2026-12-03T10:30:00.000+00:00"
    await store.execute("UPDATE daemon_lease SET heartbeat_at = '2026-12-03T10:31:00'")
    held = await daemon_lease.get(store, "daemon")
    assert held is not None and held.heartbeat_at == NOW + timedelta(minutes=1)


def test_describe_names_pid_host_and_heartbeat_age() -> None:
    info = LeaseInfo(A.holder, 4242, "box-a", NOW, NOW)
    assert info.describe(NOW + timedelta(seconds=3)) == (
        "pid 4242 on host box-a (last heartbeat 3 s ago)"
    )
    assert "0 s ago" in info.describe(NOW - timedelta(seconds=9))  # a clock step back
