"""A hardened systemd unit for `xerowatch run` (Type=notify, watchdog, sandboxing, credentials)."""

from __future__ import annotations

import os
import shlex
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xerowatch.daemon.credentials import CREDENTIALS

UNIT_NAME = "xerowatch.service"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
SYSTEM_CREDENTIALS_DIR = Path("/etc/xerowatch/credentials")

# Sandboxing for a system unit. User units get a subset (see `_hardening`): a user manager
# cannot drop capabilities or set up mount namespaces without unprivileged user namespaces.
_SYSTEM_HARDENING = (
    "ProtectSystem=strict",
    "ProtectHome={protect_home}",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "NoNewPrivileges=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "UMask=0077",
)
_USER_HARDENING = (
    "NoNewPrivileges=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "UMask=0077",
)


def default_exec() -> list[str]:
    """The command that runs this very installation: the current interpreter with `-m xerowatch`."""
    return [sys.executable, "-m", "xerowatch"]


def user_state_home() -> Path:
    """$XDG_STATE_HOME or ~/.local/state (systemd's %S for user units)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def service_paths(*, user_mode: bool) -> tuple[Path, Path]:
    """The (config, store) paths the installed unit runs with: what `tui --service` attaches to."""
    if user_mode:
        return (
            user_config_home() / "xerowatch" / "xerowatch.toml",
            user_state_home() / "xerowatch" / "xerowatch.db",
        )
    return Path("/etc/xerowatch/xerowatch.toml"), Path("/var/lib/xerowatch/xerowatch.db")


def user_config_home() -> Path:
    """$XDG_CONFIG_HOME or ~/.config."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


@dataclass(frozen=True)
class UnitOptions:
    """Choices that shape the unit file."""

    user_mode: bool = False
    """A `systemctl --user` unit instead of a system one."""
    run_as: str | None = None
    """An existing account to run as; None means DynamicUser=yes (system units only)."""
    exec_command: list[str] = field(default_factory=default_exec)
    credentials_dir: Path | None = None
    """Where credential files live; defaults to /etc/xerowatch/credentials or the user's."""
    log_level: str = "INFO"

    @property
    def credentials_path(self) -> Path:
        """The credentials directory in use."""
        if self.credentials_dir is not None:
            return self.credentials_dir
        if self.user_mode:
            return user_config_home() / "xerowatch" / "credentials"
        return SYSTEM_CREDENTIALS_DIR

    def default_unit_path(self) -> Path:
        """Where systemd looks for the unit."""
        if self.user_mode:
            return user_config_home() / "systemd" / "user" / UNIT_NAME
        return SYSTEM_UNIT_DIR / UNIT_NAME


def _under_home(path: str) -> bool:
    resolved = Path(path).absolute()
    return any(resolved.is_relative_to(root) for root in (Path("/home"), Path("/root")))


def _hardening(options: UnitOptions) -> list[str]:
    if options.user_mode:
        return list(_USER_HARDENING)
    # ProtectHome=yes hides /home: keep an interpreter installed there readable, and say so.
    protect_home = "read-only" if _under_home(options.exec_command[0]) else "yes"
    return [line.format(protect_home=protect_home) for line in _SYSTEM_HARDENING]


def _credential_lines(options: UnitOptions) -> list[str]:
    """LoadCredential= for each secret file that exists; a commented template for the rest.

    systemd refuses to start a unit whose LoadCredential= source is missing, so only present
    files become active lines.
    """
    lines = []
    for name in CREDENTIALS:
        source = options.credentials_path / name
        line = f"LoadCredential={name}:{source}"
        lines.append(line if source.is_file() else f"#{line}")
    return lines


def credential_warnings(options: UnitOptions) -> list[str]:
    """One line per credential file that others than its owner can read or write."""
    warnings = []
    for name in CREDENTIALS:
        path = options.credentials_path / name
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            access = "readable" if mode & 0o044 else "writable"
            warnings.append(
                f"warning: credential file {path} is mode {mode:04o}, {access} by others: "
                f"run `chmod 600 {path}` (owned by root)"
            )
    return warnings


def render_unit(options: UnitOptions) -> str:
    """Return the unit file text."""
    exec_start = shlex.join(
        [
            *(part.replace("%", "%%") for part in options.exec_command),
            "--config",
            "%E/xerowatch/xerowatch.toml",
            "--log-level",
            options.log_level,
            "run",
        ]
    )
    if options.user_mode:
        identity: list[str] = []
    elif options.run_as:
        identity = [f"User={options.run_as}", f"Group={options.run_as}"]
    else:
        identity = ["DynamicUser=yes"]
    service = [
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={exec_start}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        *identity,
        "StateDirectory=xerowatch",
        "StateDirectoryMode=0700",
        "ConfigurationDirectory=xerowatch",
        "WorkingDirectory=%S/xerowatch",
        "Environment=XEROWATCH_STORE__PATH=%S/xerowatch/xerowatch.db",
        "Environment=PYTHONUNBUFFERED=1",
        "WatchdogSec=60",
        "Restart=on-failure",
        "RestartSec=5",
        # 2: a configuration error or a damaged store, which no restart can fix.
        "RestartPreventExitStatus=2",
        "TimeoutStopSec=20",
        *_hardening(options),
        "# Secrets: one file per credential, readable by root only (mode 0600).",
        *_credential_lines(options),
    ]
    unit = [
        "# Generated by `xerowatch service install`; re-run it after moving xerowatch.",
        "[Unit]",
        "Description=xerowatch: keeps Wisenet LRM learners and Xero accounting in step",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        *service,
        "",
        "[Install]",
        f"WantedBy={'default.target' if options.user_mode else 'multi-user.target'}",
        "",
    ]
    return "\n".join(unit)


def write_unit(text: str, path: Path) -> None:
    """Write the unit atomically (temp file + rename), mode 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)


def enable_commands(options: UnitOptions) -> list[str]:
    """The commands that load, start and follow the unit."""
    if options.user_mode:
        return [
            "systemctl --user daemon-reload",
            f"systemctl --user enable --now {UNIT_NAME}",
            f"journalctl --user -fu {UNIT_NAME}",
        ]
    return [
        "sudo systemctl daemon-reload",
        f"sudo systemctl enable --now {UNIT_NAME}",
        f"journalctl -fu {UNIT_NAME}",
    ]


def install_notes(options: UnitOptions) -> list[str]:
    """What the operator must still do, one line each."""
    config_dir = user_config_home() / "xerowatch" if options.user_mode else Path("/etc/xerowatch")
    notes = [
        f"config: put xerowatch.toml in {config_dir}/ (readable by the service, no secrets in it)",
        f"secrets: files named {', '.join(CREDENTIALS)} in {options.credentials_path}/ "
        "(mode 0600), then re-run this command to enable their LoadCredential= lines",
    ]
    if not options.user_mode and _under_home(options.exec_command[0]):
        notes.append(
            f"warning: {options.exec_command[0]} is under /home, so the unit uses "
            "ProtectHome=read-only and the service account must be able to read it; "
            "installing xerowatch under /opt keeps ProtectHome=yes"
        )
    if options.user_mode:
        notes.append("to keep it running after you log out: loginctl enable-linger $USER")
    return notes
