"""The runner in-process: graceful stop, abandoned work, lease, reload, commands, HTTP."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import httpx
import pytest

from tests.daemon.helpers import wait_until
from xerowatch.clock import FakeClock
from xerowatch.config import ConfigError, Settings
from xerowatch.daemon.commands_loop import CommandRow
from xerowatch.daemon.lease import DaemonLease
from xerowatch.daemon.notify import SystemdNotifier
from xerowatch.daemon.runner import (
    EXIT_FAILURE,
    EXIT_LEASE_HELD,
    EXIT_OK,
    DaemonRunner,
    LoopServices,
)
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.store import command_queue
from xerowatch.store.db import Store


def settings_for(store: Store, **sections: Any) -> Settings:
    return Settings(store={"path": store.path}, **sections)


def make_runner(
    store: Store,
    clock: FakeClock,
    factory: Callable[[LoopServices], Sequence[LoopSpec]],
    settings: Settings | None = None,
    **options: Any,
) -> DaemonRunner:
    return DaemonRunner(
        settings=settings or settings_for(store),
        store=store,
        clock=clock,
        loops_factory=factory,
        notifier=SystemdNotifier(None),
        lease=DaemonLease(store, clock, pid=101, host="test-host"),
        handle_signals=False,
        **options,
    )


async def serve_in(tg: anyio.abc.TaskGroup, runner: DaemonRunner, codes: list[int]) -> None:
    async def serve() -> None:
        codes.append(await runner.serve())

    tg.start_soon(serve)
    await runner.ready.wait()


def idle_loop() -> Callable[[], Awaitable[float | None]]:
    async def body() -> float | None:
        return None

    return body


async def lease_row(store: Store) -> Any:
    return await store.fetchone("SELECT holder, pid, host FROM daemon_lease")


async def test_stop_lets_the_in_flight_iteration_finish_then_releases_the_lease(
    store: Store, clock: FakeClock
) -> None:
    started, release = anyio.Event(), anyio.Event()
    finished: list[bool] = []

    async def work() -> float | None:
        started.set()
        await release.wait()
        finished.append(True)
        return None

    runner = make_runner(store, clock, lambda ctx: [LoopSpec("work", work, 1.0)])
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        await started.wait()
        assert (await lease_row(store))["pid"] == 101
        runner.request_stop()
        for _ in range(100):
            await anyio.lowlevel.checkpoint()
        assert codes == []  # still waiting for the iteration
        release.set()

    assert codes == [EXIT_OK]
    assert finished == [True]
    assert await lease_row(store) is None


async def test_work_still_running_after_the_grace_period_is_abandoned(
    store: Store, clock: FakeClock
) -> None:
    started = anyio.Event()
    outcome: list[str] = []

    async def stuck() -> float | None:
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        return None

    runner = make_runner(
        store, clock, lambda ctx: [LoopSpec("stuck", stuck, 1.0)], shutdown_grace=0.05
    )
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        await started.wait()
        runner.request_stop()

    assert codes == [EXIT_OK]
    assert outcome == ["cancelled"]
    assert await lease_row(store) is None


async def test_force_stop_does_not_wait_for_the_grace_period(
    store: Store, clock: FakeClock
) -> None:
    started = anyio.Event()

    async def stuck() -> float | None:
        started.set()
        await anyio.sleep_forever()
        return None

    runner = make_runner(
        store, clock, lambda ctx: [LoopSpec("stuck", stuck, 1.0)], shutdown_grace=3600
    )
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        await started.wait()
        runner.request_stop()  # first SIGTERM: would wait an hour for `stuck`
        for _ in range(20):
            await anyio.lowlevel.checkpoint()
        assert codes == []
        runner.force_stop()  # second SIGTERM

    assert codes == [EXIT_OK]
    assert await lease_row(store) is None


async def test_a_second_daemon_is_refused_naming_the_holder(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await DaemonLease(store, clock, pid=4242, host="box-a").acquire()
    runner = make_runner(store, clock, lambda ctx: [])

    with caplog.at_level(logging.ERROR, logger="xerowatch.daemon.runner"):
        code = await runner.serve()

    assert code == EXIT_LEASE_HELD
    [record] = [r for r in caplog.records if r.name == "xerowatch.daemon.runner"]
    assert "pid 4242 on host box-a" in record.getMessage()
    assert (await lease_row(store))["pid"] == 4242  # untouched


async def test_losing_the_lease_stops_the_daemon_with_failure(
    store: Store, clock: FakeClock
) -> None:
    runner = make_runner(store, clock, lambda ctx: [LoopSpec("idle", idle_loop(), 1.0)])
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        await store.execute("UPDATE daemon_lease SET holder = 'usurper', pid = 9, host = 'b'")

    assert codes == [EXIT_FAILURE]
    assert (await lease_row(store))["holder"] == "usurper"  # theirs: not released by us


async def test_reload_rebuilds_the_loops_with_the_new_settings(
    store: Store, clock: FakeClock
) -> None:
    seen: list[float] = []

    def factory(ctx: LoopServices) -> list[LoopSpec]:
        seen.append(ctx.settings.sync.poll_seconds)
        return [LoopSpec("poll_source", idle_loop(), ctx.settings.sync.poll_seconds)]

    answers: list[Settings | Exception] = [
        ConfigError("config error: sync.poll_seconds: must be > 0"),
        Settings(store={"path": store.path.with_name("other.db")}),
        settings_for(store, sync={"poll_seconds": 30}),
    ]

    def loader() -> Settings:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    runner = make_runner(store, clock, factory, settings_loader=loader)
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        assert runner.request_reload() is False  # invalid config: keep running as before
        assert runner.request_reload() is False  # store.path changed: needs a restart
        assert runner.request_reload() is True
        await wait_until(lambda: runner.generation == 2)
        runner.request_stop()

    assert codes == [EXIT_OK]
    assert seen == [60.0, 30.0]
    assert runner.settings.sync.poll_seconds == 30


async def test_commands_are_executed_and_interrupted_ones_resumed(
    store: Store, clock: FakeClock
) -> None:
    interrupted = await command_queue.enqueue(store, "pause")
    assert await command_queue.claim_next(store) is not None  # a crashed daemon's leftover
    done: list[int] = []

    async def executor(command: CommandRow) -> str:
        done.append(command.id)
        return "ok"

    runner = make_runner(store, clock, lambda ctx: [], executor=executor)
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        fresh = await command_queue.enqueue(store, "resume")
        await wait_until(lambda: fresh in done)
        runner.request_stop()

    assert done == [interrupted, fresh]
    assert codes == [EXIT_OK]


async def test_http_server_serves_healthz_inside_the_daemon(store: Store, clock: FakeClock) -> None:
    settings = settings_for(store, daemon={"http_enabled": True, "http_port": 0})
    runner = make_runner(
        store, clock, lambda ctx: [LoopSpec("idle", idle_loop(), 1.0)], settings=settings
    )
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        assert runner.http_address is not None
        host, port = runner.http_address
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            response = await http.get("/healthz")
        runner.request_stop()

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "loops": 1}
    assert codes == [EXIT_OK]
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1).close()


async def test_an_unusable_http_port_fails_with_one_line(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = settings_for(store, daemon={"http_enabled": True, "http_port": port})
        runner = make_runner(store, clock, lambda ctx: [], settings=settings)
        with caplog.at_level(logging.ERROR):
            code = await runner.serve()

    assert code == EXIT_FAILURE
    assert any(f"cannot listen on 127.0.0.1:{port}" in r.getMessage() for r in caplog.records)
    assert await lease_row(store) is None


async def test_a_reload_whose_http_port_is_taken_keeps_the_running_configuration(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(store, daemon={"http_enabled": True, "http_port": 0})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        moved = settings_for(store, daemon={"http_enabled": True, "http_port": port})
        runner = make_runner(
            store,
            clock,
            lambda ctx: [LoopSpec("idle", idle_loop(), 1.0)],
            settings=settings,
            settings_loader=lambda: moved,
        )
        codes: list[int] = []
        async with anyio.create_task_group() as tg:
            await serve_in(tg, runner, codes)
            with caplog.at_level(logging.ERROR):
                assert runner.request_reload()
                await wait_until(lambda: runner.generation == 2)
            assert runner.settings.daemon.http_port == 0  # the running configuration stayed
            assert runner.http_address is not None
            host, served = runner.http_address
            async with httpx.AsyncClient(base_url=f"http://{host}:{served}") as http:
                assert (await http.get("/healthz")).status_code == 200
            runner.request_stop()

    assert codes == [EXIT_OK]
    assert any(f"cannot listen on 127.0.0.1:{port}" in r.getMessage() for r in caplog.records)
