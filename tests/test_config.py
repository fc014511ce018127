"""Config: TOML plus XEROWATCH_* env; every key documented; bad input is one line naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from xerowatch.config import ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "xerowatch.toml.example"


def _documented_keys(text: str) -> set[str]:
    """Keys set or shown commented-out (`# key = …`) in each [section] of the example."""
    keys: set[str] = set()
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        line = line.removeprefix("#").strip()
        name, eq, _ = line.partition("=")
        if eq and name.strip().isidentifier():
            keys.add(f"{section}.{name.strip()}")
    return keys


def test_every_setting_is_documented_in_the_example() -> None:
    expected = set()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        expected |= {f"{section}.{name}" for name in model.model_fields}
    assert expected - _documented_keys(EXAMPLE.read_text("utf-8")) == set()


def test_the_example_itself_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XEROWATCH_CONFIG", raising=False)
    tomllib.loads(EXAMPLE.read_text("utf-8"))
    settings = load_settings(EXAMPLE)
    assert settings.xero.minute_limit == 60
    assert settings.store.retention_days == 90


def test_environment_overrides_the_file_with_nested_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[xero]\nclient_id = "from-file"\ndaily_limit = 1000\n', encoding="utf-8")
    monkeypatch.setenv("XEROWATCH_XERO__CLIENT_ID", "from-env")
    monkeypatch.setenv("XEROWATCH_XERO__CLIENT_SECRET", "s3cret")
    settings = load_settings(config)
    assert settings.xero.client_id == "from-env"
    assert settings.xero.daily_limit == 1000
    assert settings.xero.client_secret is not None
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[xero]\nminute_limit = "lots"\n', "xero.minute_limit"),
        ("[xero]\nminute_limit = 0\n", "xero.minute_limit"),
        ('[source]\nkind = "excel"\n', "source.kind"),
        ("[store]\nretention = 5\n", "store.retention"),
        ('[xero]\nscopes = "accounting.contacts"\n', "offline_access"),
        ("[xero\n", "config file"),
        ("[wisenet]\nread_reserve_share = 1.0\n", "wisenet.read_reserve_share"),
        ("[wisenet]\nread_reserve_share = -0.1\n", "wisenet.read_reserve_share"),
        ("[sync]\nwriteback_concurrency = 9\n", "sync.writeback_concurrency"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "\n" not in message
    assert expected in message


def test_missing_config_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"xerowatch\.toml\.example"):
        load_settings(tmp_path / "nope.toml")
