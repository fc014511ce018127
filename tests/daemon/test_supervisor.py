"""Supervision: a failing loop restarts alone with backoff and an alert; wake; graceful stop."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import anyio
import pytest

from tests.daemon.helpers import StillClock, wait_until
from xerowatch.clock import FakeClock
from xerowatch.daemon.supervisor import LOOP_FAILED, Backoff, LoopSpec, Supervisor
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import Store


def test_backoff_doubles_then_caps() -> None:
    backoff = Backoff(base=2.0, cap=10.0)
    assert [backoff.delay(n) for n in range(6)] == [0.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert Backoff().delay(10_000) == 300.0


async def test_failing_loop_restarts_alone_and_raises_an_alert(
    store: Store, clock: FakeClock
) -> None:
    good_ticks = 0
    bad_attempts: list[float] = []

    async def good() -> float | None:
        nonlocal good_ticks
        good_ticks += 1
        return None

    async def bad() -> float | None:
        bad_attempts.append(clock.monotonic())
        raise RuntimeError("Xero said no (access_token=abc.def.ghi)")

    supervisor = Supervisor(store, clock, backoff=Backoff(base=10.0, cap=40.0))
    loops = [
        LoopSpec("push_contacts[t1]", good, interval=1.0, tenant_id="t1"),
        LoopSpec("pull_transactions[t2]", bad, interval=1.0, tenant_id="t2"),
    ]
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, loops)
        await wait_until(lambda: len(bad_attempts) >= 4 and good_ticks >= 20)
        health = supervisor.health()
        supervisor.stop()

    gaps = [later - earlier for earlier, later in itertools.pairwise(bad_attempts)]
    assert all(gap >= expected for gap, expected in zip(gaps, [10.0, 20.0, 40.0], strict=False))
    assert health["push_contacts[t1]"].alive
    assert health["push_contacts[t1]"].failures == 0
    broken = health["pull_transactions[t2]"]
    assert not broken.alive  # crash-looping: 3+ failures in a row
    assert broken.failures >= 4
    assert broken.last_error is not None
    assert "abc.def.ghi" not in broken.last_error
    [alert] = await open_alerts(store, type_=LOOP_FAILED)
    assert (alert.record, alert.tenant_id) == ("pull_transactions[t2]", "t2")
    assert alert.count >= 4
    assert "abc.def.ghi" not in alert.message


async def test_recovery_resolves_the_alert_and_resets_failures(
    store: Store, clock: FakeClock
) -> None:
    attempts = 0

    async def flaky() -> float | None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise ConnectionError("network down")
        return None

    supervisor = Supervisor(store, clock, backoff=Backoff(base=1.0, cap=5.0))
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, [LoopSpec("poll_source", flaky, interval=5.0)])
        await wait_until(lambda: attempts >= 4)
        supervisor.stop()

    health = supervisor.health()["poll_source"]
    assert (health.failures, health.total_failures) == (0, 2)
    assert health.last_ok_at is not None
    assert await open_alerts(store, type_=LOOP_FAILED) == []
    row = await store.fetchone("SELECT count, resolved_at FROM alerts WHERE record = 'poll_source'")
    assert row is not None and row["count"] == 2 and row["resolved_at"] is not None


async def test_wake_cuts_only_matching_pauses_and_is_kept_mid_iteration(store: Store) -> None:
    runs = {"pull_transactions[t1]": 0, "push_contacts[t1]": 0}
    in_body = anyio.Event()
    release = anyio.Event()

    def body_for(name: str, *, block_first: bool = False) -> Callable[[], Awaitable[float | None]]:
        async def body() -> float | None:
            runs[name] += 1
            if block_first and runs[name] == 1:
                in_body.set()
                await release.wait()
            return None

        return body

    supervisor = Supervisor(store, StillClock())
    loops = [
        LoopSpec("pull_transactions[t1]", body_for("pull_transactions[t1]", block_first=True), 60),
        LoopSpec("push_contacts[t1]", body_for("push_contacts[t1]"), 60),
    ]
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, loops)
        await in_body.wait()
        supervisor.wake("pull_transactions")  # arrives mid-iteration: must not be lost
        release.set()
        await wait_until(lambda: runs["pull_transactions[t1]"] == 2)
        supervisor.wake("pull_transactions")
        await wait_until(lambda: runs["pull_transactions[t1]"] == 3)
        for _ in range(50):
            await anyio.lowlevel.checkpoint()
        supervisor.stop()

    assert runs == {"pull_transactions[t1]": 3, "push_contacts[t1]": 1}


async def test_stop_lets_the_in_flight_iteration_finish(store: Store) -> None:
    started = anyio.Event()
    release = anyio.Event()
    finished: list[int] = []

    async def slow() -> float | None:
        started.set()
        await release.wait()
        finished.append(1)
        return None

    supervisor = Supervisor(store, StillClock())
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, [LoopSpec("slow", slow, 60)])
        await started.wait()
        supervisor.stop()
        assert supervisor.health()["slow"].running
        release.set()

    assert finished == [1]
    assert not supervisor.health()["slow"].running
    assert not supervisor.health()["slow"].alive


async def test_duplicate_loop_names_are_refused(store: Store, clock: FakeClock) -> None:
    async def body() -> float | None:
        return None

    with pytest.raises(ValueError, match="repeated: a"):
        await Supervisor(store, clock).run([LoopSpec("a", body, 1), LoopSpec("a", body, 1)])


class AlreadyAlerted(Exception):
    """A failure whose step raised its own alert before letting it out."""


async def test_a_failure_the_step_already_alerted_backs_off_without_a_second_alert(
    store: Store, clock: FakeClock
) -> None:
    attempts: list[float] = []

    async def step() -> float | None:
        attempts.append(clock.monotonic())
        raise AlreadyAlerted("Xero is unavailable (503)")

    supervisor = Supervisor(store, clock, backoff=Backoff(base=10.0, cap=40.0))
    spec = LoopSpec("pull_transactions[t1]", step, 1.0, "t1", alerted=(AlreadyAlerted,))
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, [spec])
        await wait_until(lambda: len(attempts) >= 3)
        health = supervisor.health()["pull_transactions[t1]"]
        supervisor.stop()

    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= expected for gap, expected in zip(gaps, [10.0, 20.0], strict=False))
    assert health.failures >= 3 and not health.alive  # still seen as failing by /healthz
    assert await open_alerts(store, type_=LOOP_FAILED) == []
