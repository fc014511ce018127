"""The daemon lease: one daemon per store, stale and dead holders taken over, clean release."""

from __future__ import annotations

import pytest

from xerowatch.clock import FakeClock
from xerowatch.daemon.lease import DaemonLease, LeaseHeldError, LeaseLostError, pid_alive
from xerowatch.store.db import Store


def lease(
    store: Store, clock: FakeClock, *, pid: int, host: str, alive: bool = True
) -> DaemonLease:
    return DaemonLease(store, clock, pid=pid, host=host, is_pid_alive=lambda _pid: alive)


async def test_second_daemon_is_refused_with_pid_and_host(store: Store, clock: FakeClock) -> None:
    first = lease(store, clock, pid=4242, host="box-a")
    assert await first.acquire() is None
    clock.advance(3)

    with pytest.raises(LeaseHeldError) as refused:
        await lease(store, clock, pid=77, host="box-b").acquire()

    message = str(refused.value)
    assert "pid 4242 on host box-a" in message
    assert "last heartbeat 3 s ago" in message
    assert "\n" not in message
    current = await first.current()
    assert current is not None and current.holder == first.holder


async def test_stale_lease_is_taken_over_and_the_old_holder_learns_it(
    store: Store, clock: FakeClock
) -> None:
    old = lease(store, clock, pid=4242, host="box-a")
    await old.acquire()
    clock.advance(10)
    await old.heartbeat()
    clock.advance(30.5)  # no heartbeat for longer than stale_after

    new = lease(store, clock, pid=77, host="box-b")
    previous = await new.acquire()

    assert previous is not None and (previous.pid, previous.host) == (4242, "box-a")
    with pytest.raises(LeaseLostError, match="pid 77 on host box-b"):
        await old.heartbeat()
    assert await old.release() is False  # not ours any more: the new holder's row stays
    current = await new.current()
    assert current is not None and current.holder == new.holder


async def test_fresh_lease_of_a_dead_local_process_is_taken_over_at_once(
    store: Store, clock: FakeClock
) -> None:
    await lease(store, clock, pid=4242, host="box-a").acquire()

    with pytest.raises(LeaseHeldError):
        await lease(store, clock, pid=77, host="box-a", alive=True).acquire()
    previous = await lease(store, clock, pid=77, host="box-a", alive=False).acquire()

    assert previous is not None and previous.pid == 4242


async def test_lease_left_by_our_own_pid_is_taken_over(store: Store, clock: FakeClock) -> None:
    await lease(store, clock, pid=1, host="container").acquire()
    previous = await lease(store, clock, pid=1, host="container").acquire()
    assert previous is not None and previous.pid == 1


async def test_release_frees_the_store_for_the_next_daemon(store: Store, clock: FakeClock) -> None:
    first = lease(store, clock, pid=4242, host="box-a")
    await first.acquire()
    assert await first.release() is True
    assert await first.current() is None
    assert await lease(store, clock, pid=77, host="box-b").acquire() is None


def test_heartbeat_must_fit_twice_in_the_stale_window(store: Store, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="half"):
        DaemonLease(store, clock, heartbeat_every=20, stale_after=30)


def test_pid_alive_on_this_host() -> None:
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(0)
    assert not pid_alive(2**22 + 12345)  # above Linux's pid_max
