"""`xerowatch store check` and `store backup`: the store's integrity and its online backups."""

from __future__ import annotations

from pathlib import Path

import click

from xerowatch.cli.context import CliContext
from xerowatch.store.backup import BackupResult, backup_store, check_file
from xerowatch.store.db import StoreError, open_store
from xerowatch.store.health import damaged


@click.group("store")
def store_group() -> None:
    """Check and back up the store (restoring is in docs/daemon.md)."""


@store_group.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--quick", is_flag=True, help="PRAGMA quick_check: faster, skips index contents.")
@click.pass_obj
def check_command(obj: CliContext, path: Path | None, quick: bool) -> None:
    """Run SQLite's integrity check on the store (or on PATH, e.g. a backup); exit 2 if damaged.

    Safe while the daemon runs: the check reads one consistent snapshot.
    """
    target = path or obj.settings.store.path
    problems = obj.run(lambda: check_file(target, full=not quick))
    check = "quick_check" if quick else "integrity_check"
    if not problems:
        click.echo(f"{target}: ok ({check})")
        return
    for line in problems:
        click.echo(line)
    raise damaged(target, f"{check} found {len(problems)} problem(s)")


@store_group.command("backup")
@click.argument("destination", metavar="PATH", type=click.Path(path_type=Path))
@click.pass_obj
def backup_command(obj: CliContext, destination: Path) -> None:
    """Copy the store to PATH (a file, or a directory to put a time-stamped file in), mode 0600.

    Uses SQLite's online backup API, so the copy is consistent even while the daemon runs.
    """
    source = obj.settings.store.path
    if not source.exists():
        raise StoreError(f"no store at {source}: nothing to back up")

    async def body() -> BackupResult:
        store = await open_store(source, quick_check=True)
        try:
            return await backup_store(store, destination)
        finally:
            await store.close()

    result = obj.run(body)
    click.echo(f"backed up {source} to {result.path} ({result.size:,} bytes, integrity ok)")


def register(group: click.Group) -> None:
    """Add the `store` group to the root group."""
    group.add_command(store_group)
