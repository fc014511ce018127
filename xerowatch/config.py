"""Settings: `xerowatch.toml` (path from --config or XEROWATCH_CONFIG) plus XEROWATCH_* env vars.

Environment variables win over the file and nest with `__`, e.g. `XEROWATCH_XERO__CLIENT_SECRET`,
so secrets can come from the environment or a systemd credential instead of the file.
"""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from xerowatch.config_connectwise import ConnectWiseSettings

CONFIG_ENV = "XEROWATCH_CONFIG"
DEFAULT_CONFIG_PATH = Path("xerowatch.toml")
DEFAULT_SCOPES = (
    "offline_access accounting.contacts accounting.invoices.read accounting.payments.read"
)


class ConfigError(Exception):
    """A configuration problem, phrased as one line that names the key and the fix."""


class Section(BaseModel):
    """A settings section: unknown keys are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> str:
    """Return `name` if it is an IANA time zone this machine knows, else raise ValueError."""
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    close = difflib.get_close_matches(name, sorted(_zone_names()), n=1)
    hint = f" (did you mean {close[0]}?)" if close else " such as Australia/Sydney"
    raise ValueError(f"unknown time zone {name!r}: use an IANA name{hint}")


def check_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL, else raise ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL (e.g. https://host/path)")
    return value.strip()


class StoreSettings(Section):
    """Where the SQLite store lives and how long history is kept."""

    path: Path = Path("xerowatch.db")
    """SQLite file holding tokens, state, history, alerts and commands (created 0600)."""
    retention_days: int = Field(90, ge=1)
    """Days of integration history and quota samples to keep."""


class XeroSettings(Section):
    """Xero app credentials, endpoints and the limits the quota scheduler enforces."""

    auth_mode: Literal["custom_connection", "authorization_code"] = "authorization_code"
    """`custom_connection` (client_credentials, one organisation) or `authorization_code` (PKCE)."""
    client_id: str = ""
    """The app's client id from developer.xero.com."""
    client_secret: SecretStr | None = None
    """Needed for custom connections; omit for a PKCE app."""
    scopes: str = DEFAULT_SCOPES
    """Space-separated OAuth scopes (2026 granular set by default)."""
    redirect_uri: str = "http://localhost:8765/callback"
    """Redirect URI registered for the app; a localhost one enables the loopback listener."""
    api_url: str = "https://api.xero.com/api.xro/2.0"
    """Accounting API base URL."""
    identity_url: str = "https://identity.xero.com"
    """Identity server (token endpoint is {identity_url}/connect/token)."""
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    """Browser authorize endpoint."""
    connections_url: str = "https://api.xero.com/connections"
    """Tenant connections endpoint."""
    concurrent_limit: int = Field(5, ge=1)
    """Requests in flight per tenant."""
    minute_limit: int = Field(60, ge=1)
    """Calls per minute per tenant."""
    daily_limit: int = Field(5000, ge=1)
    """Calls per day per tenant (1000 on Xero's Starter tier)."""
    app_minute_limit: int = Field(10000, ge=1)
    """Calls per minute across all tenants of the app."""
    reserve_share: float = Field(0.2, ge=0.0, le=1.0)
    """Share of the daily budget bulk resyncs may not touch (kept for operators and incremental)."""
    timeout_seconds: float = Field(30.0, gt=0)
    """Per-request timeout."""
    max_retries: int = Field(6, ge=0)
    """Retries for transient failures before giving up."""

    @field_validator("redirect_uri", "api_url", "identity_url", "authorize_url", "connections_url")
    @classmethod
    def _urls(cls, value: str) -> str:
        return check_url(value)


class WisenetSettings(Section):
    """Wisenet LRM API v1 client settings."""

    base_url: str = "https://api.wisenet.co/v1"
    """API base URL."""
    region: Literal["AU", "NZ"] = "AU"
    """Learner endpoint region: /learnersAU or /learnersNZ."""
    api_key: SecretStr | None = None
    """x-api-key (legacy auth; also sent beside OAuth tokens when set)."""
    auth_mode: Literal["api_key", "oauth"] = "api_key"
    """`api_key` or `oauth` (authorization code + PKCE with refresh)."""
    oauth_client_id: str = ""
    """OAuth client id from Wisenet Settings > Developer Tools."""
    oauth_authorize_url: str = ""
    """OAuth authorize endpoint (from Wisenet's developer docs)."""
    oauth_token_url: str = ""
    """OAuth token endpoint (from Wisenet's developer docs)."""
    oauth_scopes: str = ""
    """Space-separated OAuth scopes."""
    timezone: str = "Australia/Sydney"
    """Zone of Wisenet's zone-less timestamps."""
    overlap_seconds: int = Field(300, ge=0)
    """Re-read this window before the cursor on every poll, so boundary records are never missed."""
    daily_quota: int = Field(10000, ge=1)
    """Requests per day on the licence (1000 Basic, 10000 Full)."""
    requests_per_second: float = Field(10.0, gt=0)
    """Request rate limit per API key."""
    read_reserve_share: float = Field(0.2, ge=0, lt=1)
    """Share of the daily quota kept for reading learners: write-backs stop when it is all left."""
    page_size: int = Field(1000, ge=1, le=1000)
    """Records per page (`take`)."""
    timeout_seconds: float = Field(30.0, gt=0)
    """Per-request timeout."""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("oauth_authorize_url", "oauth_token_url")
    @classmethod
    def _oauth_urls(cls, value: str) -> str:
        return check_url(value) if value.strip() else ""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)


class FileSourceSettings(Section):
    """A watched folder of learner CSV exports, for organisations without an API licence."""

    inbox: Path = Path("learners-in")
    """Folder scanned for learner CSV files."""
    outbox: Path = Path("transactions-out")
    """Folder where transactions are written back (atomically)."""
    write_format: Literal["json", "csv"] = "json"
    """Format of written-back transactions."""
    timezone: str = "Australia/Sydney"
    """Zone of LastModified values in the CSV that carry no offset."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)


class SourceSettings(Section):
    """Which student system xerowatch reads learners from."""

    kind: Literal["wisenet", "file", "connectwise"] = "wisenet"
    """`wisenet` (API), `file` (CSV exports) or `connectwise` (ConnectWise Manage, see
    docs/connectwise.md)."""


class SyncSettings(Section):
    """Sync-engine policies."""

    adopt_name_matches: bool = False
    """Adopt a pre-existing contact with the same Name and no ContactNumber instead of alerting."""
    reactivate_archived: bool = False
    """Re-activate an ARCHIVED contact instead of alerting."""
    batch_size: int = Field(50, ge=1, le=50)
    """Contacts per write call (Xero recommends ~50)."""
    max_attempts: int = Field(8, ge=1)
    """Attempts for a transient failure before the job goes dead."""
    poll_seconds: float = Field(60.0, gt=0)
    """Minimum seconds between source polls."""
    fetch_online_invoice_urls: bool = True
    """Fetch online-invoice links in the background from spare daily budget."""
    writeback_concurrency: int = Field(3, ge=1, le=4)
    """Write-backs in flight at once (they share the source's rate limit)."""


class DaemonSettings(Section):
    """The headless daemon and its optional HTTP server."""

    http_enabled: bool = False
    """Serve webhooks, /metrics and /healthz."""
    http_host: str = "127.0.0.1"
    """Bind address of the HTTP server."""
    http_port: int = Field(8787, ge=0, le=65535)
    """Port of the HTTP server."""
    xero_webhook_key: SecretStr | None = None
    """Xero webhook signing key."""
    wisenet_webhook_secret: SecretStr | None = None
    """Shared secret expected on Wisenet webhook posts."""
    log_json: bool = False
    """Log one JSON object per line instead of text."""


class TuiSettings(Section):
    """The terminal dashboard (`xerowatch tui`)."""

    keymap: dict[str, str] = Field(default_factory=dict)
    """Key overrides: binding id = "keys" (e.g. retry = "ctrl+r"); `?` lists the ids."""
    refresh_seconds: float = Field(0.5, ge=0.2, le=10)
    """How often the dashboard checks the store for changes."""
    log_file: Path | None = None
    """Where the embedded daemon logs while the dashboard owns the terminal (default: beside
    the store, xerowatch-tui.log)."""


class Settings(BaseSettings):
    """All of xerowatch's settings."""

    model_config = SettingsConfigDict(
        env_prefix="XEROWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    store: StoreSettings = StoreSettings()
    xero: XeroSettings = XeroSettings()
    source: SourceSettings = SourceSettings()
    wisenet: WisenetSettings = WisenetSettings()
    file_source: FileSourceSettings = FileSourceSettings()
    connectwise: ConnectWiseSettings = ConnectWiseSettings()
    sync: SyncSettings = SyncSettings()
    daemon: DaemonSettings = DaemonSettings()
    tui: TuiSettings = TuiSettings()

    @field_validator("xero")
    @classmethod
    def _scopes_have_offline_access(cls, value: XeroSettings) -> XeroSettings:
        if value.auth_mode == "authorization_code" and "offline_access" not in value.scopes.split():
            raise ValueError("scopes must include offline_access, or no refresh token is issued")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order: explicit arguments, environment, then the TOML file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_path_in_use()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


_explicit_path: Path | None = None


def _config_path_in_use() -> Path | None:
    if _explicit_path is not None:
        return _explicit_path
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load settings, turning any problem into a one-line `ConfigError`."""
    global _explicit_path
    _explicit_path = path
    try:
        chosen = _config_path_in_use()
        if chosen is not None and not chosen.is_file():
            raise ConfigError(
                f"config file {chosen} not found: create it from xerowatch.toml.example "
                f"or point --config / {CONFIG_ENV} at an existing file"
            )
        try:
            return Settings(**overrides)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, chosen)) from None
        except ValueError as exc:  # TOML syntax errors arrive as ValueError subclasses
            raise ConfigError(f"config file {chosen}: {exc}".splitlines()[0]) from None
    finally:
        _explicit_path = None


def _describe(exc: ValidationError, path: Path | None) -> str:
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"]]
    key = ".".join(loc) or "(root)"
    env = "XEROWATCH_" + "__".join(part.upper() for part in loc)
    where = f"in {path}" if path else "in xerowatch.toml"
    if err["type"] == "extra_forbidden":
        fix = f"remove it {where} (see xerowatch.toml.example for the valid keys)"
    else:
        section, _, name = key.rpartition(".")
        place = f"[{section}] {name}" if section else name
        fix = f"set {place} {where} or {env}"
    extra = f" ({len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"config error: {key}: {msg} — {fix}{extra}"


def check_credentials(settings: Settings) -> None:
    """Refuse (ConfigError) a configuration whose chosen auth modes lack their secret.

    Called by the commands that talk to Xero and the source (`run`, `sync --once`), before any
    network call: without the secret every cycle would fail the same way.
    """
    xero = settings.xero
    if not xero.client_id:
        raise ConfigError(
            "config error: xero.client_id is empty — set [xero] client_id in xerowatch.toml "
            "or XEROWATCH_XERO__CLIENT_ID (from your app at developer.xero.com)"
        )
    if xero.auth_mode == "custom_connection" and xero.client_secret is None:
        raise ConfigError(
            "config error: xero.client_secret is not set — xero.auth_mode custom_connection "
            "needs it: set XEROWATCH_XERO__CLIENT_SECRET (or [xero] client_secret)"
        )
    if settings.source.kind == "connectwise":
        missing = settings.connectwise.missing_credentials()
        if missing is not None:
            raise ConfigError(
                f"config error: connectwise.{missing} is not set — source.kind connectwise needs "
                f"it: set XEROWATCH_CONNECTWISE__{missing.upper()} (or [connectwise] {missing})"
            )
        return
    if settings.source.kind != "wisenet":
        return
    wisenet = settings.wisenet
    if wisenet.auth_mode == "api_key" and wisenet.api_key is None:
        raise ConfigError(
            "config error: wisenet.api_key is not set — wisenet.auth_mode api_key needs it: set "
            'XEROWATCH_WISENET__API_KEY (or [wisenet] api_key), or use auth_mode = "oauth"'
        )
    if wisenet.auth_mode == "oauth":
        for key in ("oauth_client_id", "oauth_authorize_url", "oauth_token_url"):
            if not getattr(wisenet, key):
                raise ConfigError(
                    f"config error: wisenet.{key} is empty — wisenet.auth_mode oauth needs it: "
                    f"set [wisenet] {key} in xerowatch.toml or XEROWATCH_WISENET__{key.upper()}"
                )
