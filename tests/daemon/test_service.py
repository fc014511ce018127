"""`xerowatch service install` and the unit it writes; secrets from systemd credentials."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xerowatch.cli import cli
from xerowatch.daemon.credentials import credential_overrides
from xerowatch.daemon.service import UnitOptions, render_unit

HARDENING = [
    "Type=notify",
    "DynamicUser=yes",
    "StateDirectory=xerowatch",
    "ConfigurationDirectory=xerowatch",
    "WorkingDirectory=%S/xerowatch",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "NoNewPrivileges=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "CapabilityBoundingSet=",
    "SystemCallFilter=@system-service",
    "WatchdogSec=60",
    "Restart=on-failure",
    "ExecReload=/bin/kill -HUP $MAINPID",
]


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_install_output_writes_a_hardened_unit_and_prints_how_to_enable(tmp_path: Path) -> None:
    target = tmp_path / "units" / "xerowatch.service"
    result = CliRunner().invoke(
        cli,
        ["service", "install", "--output", str(target), "--credentials-dir", str(tmp_path)],
    )

    assert result.exit_code == 0, result.output
    unit = lines(target.read_text())
    for line in HARDENING:
        assert line in unit
    assert "ProtectHome=yes" in unit or "ProtectHome=read-only" in unit
    [exec_start] = [line for line in unit if line.startswith("ExecStart=")]
    assert exec_start.startswith(f"ExecStart={sys.executable} -m xerowatch ")
    assert exec_start.endswith("--config %E/xerowatch/xerowatch.toml --log-level INFO run")
    assert "WantedBy=multi-user.target" in unit
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert "sudo systemctl daemon-reload" in result.output
    assert "sudo systemctl enable --now xerowatch.service" in result.output
    assert "journalctl -fu xerowatch.service" in result.output


def test_only_existing_credential_files_become_load_credential_lines(tmp_path: Path) -> None:
    (tmp_path / "xero_client_secret").write_text("s3cret\n")
    unit = lines(render_unit(UnitOptions(credentials_dir=tmp_path)))

    assert f"LoadCredential=xero_client_secret:{tmp_path}/xero_client_secret" in unit
    assert f"#LoadCredential=wisenet_api_key:{tmp_path}/wisenet_api_key" in unit
    assert not any("s3cret" in line for line in unit)


def test_named_account_replaces_dynamic_user() -> None:
    unit = lines(render_unit(UnitOptions(run_as="xerowatch")))
    assert "User=xerowatch" in unit
    assert "Group=xerowatch" in unit
    assert "DynamicUser=yes" not in unit


def test_user_unit_keeps_only_what_a_user_manager_can_apply(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["service", "install", "--user", "--output", "-"])

    assert result.exit_code == 0, result.output
    unit = lines(result.output)
    assert "Type=notify" in unit
    assert "NoNewPrivileges=yes" in unit
    assert "WantedBy=default.target" in unit
    assert not any(line.startswith(("DynamicUser", "CapabilityBoundingSet")) for line in unit)


def test_home_is_hidden_unless_the_interpreter_lives_there() -> None:
    elsewhere = lines(render_unit(UnitOptions(exec_command=["/opt/xw/bin/python", "-m", "xw"])))
    assert "ProtectHome=yes" in elsewhere
    at_home = lines(render_unit(UnitOptions(exec_command=["/home/ops/venv/bin/python", "-m", "x"])))
    assert "ProtectHome=read-only" in at_home
    assert "ProtectHome=yes" not in at_home


def test_percent_in_the_interpreter_path_is_escaped() -> None:
    unit = render_unit(UnitOptions(exec_command=["/opt/x%y/python", "-m", "xerowatch"]))
    assert "ExecStart=/opt/x%%y/python -m xerowatch" in unit


def test_run_as_and_user_mode_conflict() -> None:
    result = CliRunner().invoke(cli, ["service", "install", "--user", "--run-as", "x"])
    assert result.exit_code == 2
    assert "--run-as" in result.output


def test_credentials_become_settings_overrides(tmp_path: Path) -> None:
    (tmp_path / "xero_client_secret").write_text("abc\n")
    (tmp_path / "wisenet_webhook_secret").write_text("hook")
    (tmp_path / "unrelated").write_text("ignored")

    overrides = credential_overrides({"CREDENTIALS_DIRECTORY": str(tmp_path)})

    assert overrides == {
        "xero": {"client_secret": "abc"},
        "daemon": {"wisenet_webhook_secret": "hook"},
    }
    assert credential_overrides({}) == {}


def test_service_paths_are_where_the_unit_keeps_config_and_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xerowatch.daemon.service import service_paths

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert service_paths(user_mode=True) == (
        tmp_path / "cfg" / "xerowatch" / "xerowatch.toml",
        tmp_path / "state" / "xerowatch" / "xerowatch.db",
    )
    config, store = service_paths(user_mode=False)
    unit = render_unit(UnitOptions())
    assert f"XEROWATCH_STORE__PATH=%S/xerowatch/{store.name}" in unit  # %S = /var/lib
    assert store == Path("/var/lib/xerowatch/xerowatch.db")
    assert config == Path("/etc/xerowatch/xerowatch.toml")  # %E = /etc


def test_install_warns_about_a_credential_file_others_can_read(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "wisenet_api_key").write_text("k\n")
    (creds / "wisenet_api_key").chmod(0o644)
    (creds / "xero_client_secret").write_text("s\n")
    (creds / "xero_client_secret").chmod(0o600)
    unit = str(tmp_path / "u.service")
    result = CliRunner().invoke(
        cli, ["service", "install", "--output", unit, "--credentials-dir", str(creds)]
    )

    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "readable by others" in line]
    assert len(warnings) == 1
    assert f"{creds / 'wisenet_api_key'}" in warnings[0]
    assert "0644" in warnings[0] and "chmod 600" in warnings[0]


def test_the_unit_does_not_restart_on_a_configuration_or_store_error() -> None:
    """Exit 2 (bad configuration, damaged store) cannot be fixed by restarting every 5 s."""
    assert "RestartPreventExitStatus=2" in lines(render_unit(UnitOptions()))
