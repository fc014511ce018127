"""systemd notify messages, received on a unix datagram socket the test owns."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from xerowatch.clock import FakeClock
from xerowatch.daemon.notify import SystemdNotifier, ping_systemd


class NotifySocket:
    """A bound AF_UNIX datagram socket standing in for systemd."""

    def __init__(self, address: str) -> None:
        self.env_value = address
        bind_to = "\0" + address[1:] if address.startswith("@") else address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(bind_to)
        self.sock.setblocking(False)

    def messages(self) -> list[str]:
        received = []
        while True:
            try:
                received.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return received


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(str(tmp_path / "notify.sock"))
    yield sock
    sock.sock.close()


def test_lifecycle_messages_reach_the_socket(notify_socket: NotifySocket) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": notify_socket.env_value})

    assert notifier.enabled
    assert notifier.ready(status="starting")
    assert notifier.status("1,234 synced · 3 alerts · 41/60 this minute")
    assert notifier.reloading()
    assert notifier.stopping()
    notifier.close()

    ready, status, reloading, stopping = notify_socket.messages()
    assert ready == "READY=1\nSTATUS=starting"
    assert status == "STATUS=1,234 synced · 3 alerts · 41/60 this minute"
    assert reloading.startswith("RELOADING=1\nMONOTONIC_USEC=")
    assert stopping == "STOPPING=1\nSTATUS=stopping"


def test_abstract_namespace_socket() -> None:
    sock = NotifySocket(f"@xerowatch-test-{uuid.uuid4().hex}")
    try:
        notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": sock.env_value})
        assert notifier.ready()
        assert sock.messages() == ["READY=1"]
    finally:
        sock.sock.close()


def test_status_secrets_are_redacted(notify_socket: NotifySocket) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": notify_socket.env_value})
    notifier.status("failing: client_secret=hunter2\nsecond line")
    [message] = notify_socket.messages()
    assert "hunter2" not in message
    assert "\n" not in message


def test_without_notify_socket_everything_is_a_no_op() -> None:
    notifier = SystemdNotifier.from_environ({})
    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    assert not notifier.ready()
    assert not notifier.stopping()


def test_missing_socket_is_reported_not_raised(tmp_path: Path) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "60000000"}
    assert SystemdNotifier.from_environ(env).watchdog_interval == 30.0
    mine = {**env, "WATCHDOG_PID": str(os.getpid())}
    assert SystemdNotifier.from_environ(mine).watchdog_interval == 30.0
    someone_else = {**env, "WATCHDOG_PID": str(os.getpid() + 1)}
    assert SystemdNotifier.from_environ(someone_else).watchdog_interval is None
    assert SystemdNotifier.from_environ({**env, "WATCHDOG_USEC": "0"}).watchdog_interval is None


async def test_pings_send_watchdog_and_changed_status(notify_socket: NotifySocket) -> None:
    clock = FakeClock()
    notifier = SystemdNotifier.from_environ(
        {"NOTIFY_SOCKET": notify_socket.env_value, "WATCHDOG_USEC": "4000000"}
    )
    texts = iter(["2 loops up", "2 loops up", "1/2 loops up"])
    sent_at: list[float] = []

    async def status() -> str:
        sent_at.append(clock.monotonic())
        if len(sent_at) == 3:
            tg.cancel_scope.cancel()
        return next(texts)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ping_systemd, notifier, clock, status)

    assert sent_at == [0.0, 2.0, 4.0]  # every WATCHDOG_USEC / 2
    assert notify_socket.messages() == [
        "WATCHDOG=1",
        "STATUS=2 loops up",
        "WATCHDOG=1",  # unchanged status: not re-sent
        "WATCHDOG=1",
        "STATUS=1/2 loops up",
    ]
