"""The daemon's log: one event per line, secrets redacted, JSON after a reload that asks for it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import anyio
import pytest

from tests.daemon.helpers import StillClock, wait_until
from xerowatch.clock import FakeClock
from xerowatch.config import Settings
from xerowatch.daemon.lease import DaemonLease
from xerowatch.daemon.notify import SystemdNotifier
from xerowatch.daemon.runner import EXIT_OK, DaemonRunner, LoopServices
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.logs import setup_logging
from xerowatch.store.db import Store

SECRETS = ("eyJhbGciOi.secret-access-token", "hunter2-client-secret")


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """The daemon configures logging for the process; put the test session's handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class Stderr:
    """Everything written to stderr so far (capsys hands it out in pieces)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    def text(self) -> str:
        self._text += self._capsys.readouterr().err
        return self._text


async def failing() -> float | None:
    raise RuntimeError(
        f"token refresh failed: Authorization: Bearer {SECRETS[0]}\n"
        f'body: {{"client_secret": "{SECRETS[1]}"}}'
    )


async def test_a_failing_loop_logs_one_line_per_event_with_secrets_redacted_text_then_json(
    store: Store, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(level="INFO", json_lines=False)  # as `xerowatch run` does
    stderr = Stderr(capsys)

    def factory(context: LoopServices) -> list[LoopSpec]:
        return [LoopSpec(f"refresh_{context.settings.daemon.log_json}", failing, 1.0)]

    as_json = Settings(store={"path": store.path}, daemon={"log_json": True})
    runner = DaemonRunner(
        settings=Settings(store={"path": store.path}),
        store=store,
        clock=StillClock(),  # after a failure, a loop waits for its backoff: here, for ever
        loops_factory=factory,
        settings_loader=lambda: as_json,
        notifier=SystemdNotifier(None),
        lease=DaemonLease(store, clock, pid=9, host="log-host"),
        handle_signals=False,
    )
    async with anyio.create_task_group() as tg:

        async def serve() -> None:
            assert await runner.serve() == EXIT_OK

        tg.start_soon(serve)
        await runner.ready.wait()
        await wait_until(lambda: "loop refresh_False failed" in stderr.text())
        assert runner.request_reload()
        await wait_until(lambda: "loop refresh_True failed" in stderr.text())
        runner.request_stop()

    output = stderr.text()
    lines = output.splitlines()
    switch = next(i for i, line in enumerate(lines) if line.startswith("{"))
    text_lines, json_lines = lines[:switch], lines[switch:]
    assert not any(secret in output for secret in SECRETS), output
    [text_failure] = [line for line in text_lines if "loop refresh_False failed" in line]
    assert "Traceback" in text_failure  # the traceback rides on the event's own line
    events = [json.loads(line) for line in json_lines]  # every line is one JSON event
    [json_failure] = [e for e in events if "loop refresh_True failed" in e["msg"]]
    assert json_failure["level"] == "error"
    assert "Traceback" in json_failure["exc"]
    assert any(e["msg"].startswith("configuration reloaded") for e in events)
