"""The command loop: picked up in the next poll, oldest first, failures recorded, no orphans."""

from __future__ import annotations

import anyio

from tests.daemon.helpers import wait_until
from xerowatch.clock import FakeClock
from xerowatch.daemon.commands_loop import (
    DEFAULT_POLL_SECONDS,
    INTERRUPTED_BY_SHUTDOWN,
    CommandRow,
    command_loop,
    recover_interrupted_commands,
)
from xerowatch.daemon.supervisor import Supervisor
from xerowatch.store import command_queue
from xerowatch.store.db import Store


async def test_a_command_is_picked_up_in_the_next_poll(store: Store, clock: FakeClock) -> None:
    executed_at: dict[int, float] = {}

    async def executor(command: CommandRow) -> str:
        executed_at[command.id] = clock.monotonic()
        return f"paused {command.args['tenant_id']}"

    supervisor = Supervisor(store, clock)
    async with anyio.create_task_group() as tg:
        tg.start_soon(supervisor.run, [command_loop(store, executor)])
        await wait_until(lambda: clock.monotonic() >= 5.0)  # the loop is polling on its own
        inserted_at = clock.monotonic()
        command_id = await command_queue.enqueue(
            store, "pause", {"tenant_id": "t1"}, requested_by="tui"
        )
        await wait_until(lambda: command_id in executed_at)
        supervisor.stop()

    # Virtual time: at most one poll interval passed between the insert and the pickup.
    assert 0.0 <= executed_at[command_id] - inserted_at <= DEFAULT_POLL_SECONDS
    stored = await command_queue.get(store, command_id)
    assert stored is not None
    assert (stored.state, stored.result) == ("done", "paused t1")
    assert stored.started_at is not None and stored.finished_at is not None


async def test_commands_run_oldest_first_in_batches(store: Store) -> None:
    seen: list[str] = []

    async def executor(command: CommandRow) -> str:
        seen.append(command.kind)
        return "ok"

    for kind in ("pause", "resume", "retry_all"):
        await command_queue.enqueue(store, kind)
    loop = command_loop(store, executor, batch=2)

    assert await loop.body() == 0.0  # more are waiting: run again at once
    assert await loop.body() == DEFAULT_POLL_SECONDS
    assert seen == ["pause", "resume", "retry_all"]
    assert loop.name == "commands"
    assert loop.interval == DEFAULT_POLL_SECONDS


async def test_a_failing_command_is_recorded_and_the_next_still_runs(store: Store) -> None:
    async def executor(command: CommandRow) -> str:
        if command.kind == "retry":
            raise ValueError("no learner known as LRN-1 (api_key=sekret)")
        return "resumed"

    failing = await command_queue.enqueue(store, "retry", {"ref": "LRN-1"})
    fine = await command_queue.enqueue(store, "resume")
    await command_loop(store, executor).body()

    first, second = await command_queue.get(store, failing), await command_queue.get(store, fine)
    assert first is not None and first.state == "failed"
    assert first.result is not None and "no learner known as LRN-1" in first.result
    assert "sekret" not in first.result
    assert second is not None and (second.state, second.result) == ("done", "resumed")


async def test_a_command_cancelled_at_shutdown_is_not_left_running(store: Store) -> None:
    started = anyio.Event()

    async def executor(command: CommandRow) -> str:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    command_id = await command_queue.enqueue(store, "resync", {"from": "2026-01-01"})
    loop = command_loop(store, executor)

    async def one_iteration() -> None:
        await loop.body()

    async with anyio.create_task_group() as tg:
        tg.start_soon(one_iteration)
        await started.wait()
        tg.cancel_scope.cancel()

    stored = await command_queue.get(store, command_id)
    assert stored is not None
    assert (stored.state, stored.result) == ("failed", INTERRUPTED_BY_SHUTDOWN)


async def test_commands_left_running_by_a_crash_are_requeued(store: Store) -> None:
    command_id = await command_queue.enqueue(store, "pause")
    claimed = await command_queue.claim_next(store)
    assert claimed is not None and claimed.id == command_id

    assert await recover_interrupted_commands(store) == 1
    stored = await command_queue.get(store, command_id)
    assert stored is not None and stored.state == "pending"
