"""The [connectwise] section: validated at load, one line naming the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.proc import xerowatch
from xerowatch.config import ConfigError, check_credentials, load_settings


def _write(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "xerowatch.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "x.db"}"\n[xero]\nclient_id = "app"\n{body}',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[connectwise]\nclient_id = "not-a-guid"\n',
            "connectwise.client_id: 'not-a-guid' is not a GUID",
        ),
        (
            '[connectwise]\nsite_url = "https://na.myconnectwise.net/v4_6_release/apis/3.0"\n',
            "must be the site only",
        ),
        ('[connectwise]\napi_version = "latest"\n', "is not a ConnectWise release such as 2025.8"),
        ("[connectwise]\npage_size = 5000\n", "connectwise.page_size"),
        ('[connectwise]\nkeys = "x"\n', "connectwise.keys"),
    ],
)
def test_bad_values_are_refused_at_load_in_one_line(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, body))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XEROWATCH_CONNECTWISE__PUBLIC_KEY", "pub")
    monkeypatch.setenv("XEROWATCH_CONNECTWISE__PRIVATE_KEY", "priv")
    settings = load_settings(_write(tmp_path, '[connectwise]\ncompany_id = "acme"\n'))
    assert settings.connectwise.public_key is not None
    assert settings.connectwise.public_key.get_secret_value() == "pub"
    assert settings.connectwise.missing_credentials() == "client_id"
    assert settings.connectwise.api_base_url == (
        "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    )


def test_a_missing_key_is_named_with_its_environment_variable(tmp_path: Path) -> None:
    settings = load_settings(
        _write(tmp_path, '[source]\nkind = "connectwise"\n[connectwise]\ncompany_id = "acme"\n')
    )
    with pytest.raises(ConfigError, match="XEROWATCH_CONNECTWISE__PUBLIC_KEY"):
        check_credentials(settings)


def test_the_real_entry_point_says_what_is_wrong_and_exits_2(tmp_path: Path) -> None:
    config = _write(tmp_path, '[source]\nkind = "connectwise"\n[connectwise]\ncompany_id = "a"\n')
    proc = xerowatch("sync", "--once", config=config)
    assert proc.returncode == 2, proc.stderr
    assert "connectwise.public_key is not set" in proc.stderr
    assert "XEROWATCH_CONNECTWISE__PUBLIC_KEY" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad = xerowatch("status", config=_write(tmp_path, '[connectwise]\nclient_id = "x"\n'))
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "is not a GUID" in bad.stderr
