"""The daemon's command loop: poll `commands` four times a second, run each, record the outcome.

Rows are claimed and finished with `xerowatch.store.command_queue` (shared with `sync --once`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.logs import redact
from xerowatch.store import command_queue
from xerowatch.store.command_queue import Command
from xerowatch.store.db import Store
from xerowatch.sync.commands import failure_reason

log = logging.getLogger(__name__)

COMMAND_LOOP_NAME = "commands"
DEFAULT_POLL_SECONDS = 0.25
"""Four polls a second, so a command takes effect within one second."""
INTERRUPTED_BY_SHUTDOWN = "interrupted by daemon shutdown; request it again"

CommandRow = Command
"""A claimed command row, as handed to the executor."""
CommandExecutor = Callable[[CommandRow], Awaitable[str]]
"""Runs one command and returns its result text; raising marks the command failed."""


async def recover_interrupted_commands(store: Store) -> int:
    """Put commands a previous daemon left `running` back to pending (call with the lease held)."""
    count = await command_queue.requeue_stale_running(store)
    if count:
        log.warning("%d command(s) left running by a previous daemon requeued", count)
    return count


async def run_one_command(store: Store, executor: CommandExecutor, command: CommandRow) -> bool:
    """Execute a claimed command and record the outcome; return whether it succeeded."""
    try:
        result = await executor(command)
    except Exception as exc:
        reason = redact(failure_reason(exc))
        log.warning("command %d (%s) failed: %s", command.id, command.kind, reason)
        await command_queue.complete(store, command.id, ok=False, result=reason)
        return False
    except BaseException:  # cancelled once the shutdown grace ran out: do not leave it running
        with anyio.CancelScope(shield=True):
            await command_queue.complete(
                store, command.id, ok=False, result=INTERRUPTED_BY_SHUTDOWN
            )
        raise
    log.info("command %d (%s) done: %s", command.id, command.kind, redact(result)[:200])
    await command_queue.complete(store, command.id, ok=True, result=result)
    return True


def command_loop(
    store: Store,
    executor: CommandExecutor,
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    batch: int = 20,
    name: str = COMMAND_LOOP_NAME,
) -> LoopSpec:
    """Build the loop that polls for pending commands every `poll_seconds`, oldest first.

    Each iteration runs up to `batch` commands; if more wait it asks to run again at once, so
    a stop request is honoured between batches.
    """

    async def drain() -> float:
        for _ in range(batch):
            command = await command_queue.claim_next(store)
            if command is None:
                return poll_seconds
            await run_one_command(store, executor, command)
        return 0.0

    return LoopSpec(name=name, body=drain, interval=poll_seconds)
