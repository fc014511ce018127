"""The README's command table and `xerowatch --help` list the same commands and options."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tests.cli.proc import xerowatch
from xerowatch.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _table_cells() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [row.split(" | ", 1)[0] for row in rows]


def _documented() -> dict[str, set[str]]:
    """Command path (e.g. "report invoices") → options the README gives it."""
    found: dict[str, set[str]] = {}
    for cell in _table_cells():
        for segment in re.findall(r"`([^`]+)`", cell):
            words = segment.removeprefix("xerowatch ").split()
            command: click.Command = cli
            path: list[str] = []
            for word in words:
                if not isinstance(command, click.Group) or word not in command.commands:
                    break
                command = command.commands[word]
                path.append(word)
            assert path, f"README row names no command: {segment}"
            found.setdefault(" ".join(path), set()).update(re.findall(r"--[a-z][a-z-]*", segment))
    return found


def _commands(group: click.Group, prefix: str = "") -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out.update(_commands(command, path + " "))
            continue
        options = {
            opt
            for param in command.params
            if isinstance(param, click.Option)
            for opt in param.opts
            if opt.startswith("--")
        }
        out[path] = options
    return out


def test_every_command_in_help_is_in_the_readme_and_back() -> None:
    listed = xerowatch("--help").stdout.split("Commands:", 1)[1]
    top = set(re.findall(r"^  ([a-z][a-z-]*)\s", listed, re.MULTILINE))
    documented = _documented()
    assert top == {path.split()[0] for path in documented}
    assert set(_commands(cli)) == set(documented)


def test_every_option_of_every_command_is_in_the_readme_and_exists() -> None:
    documented = _documented()
    for path, options in _commands(cli).items():
        assert documented[path] == options, path


def test_json_is_worded_once_and_tenant_takes_a_tenant_id() -> None:
    helps: dict[str, set[str]] = {}
    for path, command in _all_commands(cli):
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] in ("--json", "--tenant"):
                helps.setdefault(param.opts[0], set()).add(str(param.help))
                if param.opts[0] == "--tenant":
                    assert param.metavar == "TENANT_ID", path
    assert len(helps["--json"]) == 1


def _all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _all_commands(command, f"{prefix}{name} ")
        else:
            out.append((f"{prefix}{name}", command))
    return out
