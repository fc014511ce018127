"""`xerowatch wisenet-connect` and `wisenet-status`: Wisenet OAuth 2.1 for admins on SSH."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import click
import httpx

from xerowatch.cli.context import CliContext
from xerowatch.cli.options import json_option
from xerowatch.clock import Clock, SystemClock
from xerowatch.config import ConfigError, WisenetSettings
from xerowatch.oauth.errors import AuthorizationError
from xerowatch.oauth.pasted import StdinLines, receive_code
from xerowatch.oauth.pkce import new_pkce_pair, new_state
from xerowatch.oauth.token_client import missing_scopes
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.oauth import (
    PROVIDER,
    TokenGrantError,
    authorize_url,
    exchange_code,
    store_authorization,
)
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import StoredConnection, list_connections, load_connection

DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"
"""Used when --redirect-uri is not given; it must be registered for the Wisenet client."""

_REQUIRED_KEYS = {
    "oauth_client_id": "from Wisenet > Settings > Developer Tools",
    "oauth_authorize_url": "from Wisenet's developer documentation",
    "oauth_token_url": "from Wisenet's developer documentation",
    "oauth_scopes": "space-separated, including the one that grants a refresh token",
}


def register(group: click.Group) -> None:
    """Add the Wisenet authorisation commands to the root group."""
    group.add_command(wisenet_connect)
    group.add_command(wisenet_status)


def require_oauth_settings(wisenet: WisenetSettings) -> None:
    """Refuse, naming the key and the fix, unless OAuth is selected and fully configured."""
    if wisenet.auth_mode != "oauth":
        raise ConfigError(
            f'config error: wisenet.auth_mode is "{wisenet.auth_mode}" — set [wisenet] '
            'auth_mode = "oauth" in xerowatch.toml (or XEROWATCH_WISENET__AUTH_MODE=oauth) '
            "to authorise xerowatch with Wisenet OAuth"
        )
    for key, where in _REQUIRED_KEYS.items():
        if not str(getattr(wisenet, key)).strip():
            raise ConfigError(
                f"config error: wisenet.{key} is empty — set [wisenet] {key} in xerowatch.toml "
                f"or XEROWATCH_WISENET__{key.upper()} ({where})"
            )


@dataclass(frozen=True)
class Authorised:
    """The outcome of one successful authorisation, as stored."""

    connection: StoredConnection
    reconnected: bool
    lacking_scopes: list[str]


@click.command("wisenet-connect")
@click.option(
    "--no-listen",
    is_flag=True,
    help="Do not listen on a localhost redirect URI; only accept the pasted URL.",
)
@click.option(
    "--redirect-uri",
    default=DEFAULT_REDIRECT_URI,
    show_default=True,
    metavar="URI",
    help="Redirect URI registered for xerowatch's client in Wisenet.",
)
@click.pass_obj
def wisenet_connect(obj: CliContext, no_listen: bool, redirect_uri: str) -> None:
    """Authorise xerowatch to use the Wisenet API (OAuth 2.1 code + PKCE).

    Prints a URL to open in any browser. After you allow access, the browser is sent to the
    redirect URI: with a localhost URI this command receives it directly; otherwise (or from
    another machine) copy the address bar and paste it here. Running it again re-authorises.
    """
    settings = obj.settings
    require_oauth_settings(settings.wisenet)
    lines = StdinLines()
    stored: list[Authorised] = []

    async def body() -> None:
        store = await open_store(settings.store.path)
        try:
            async with httpx.AsyncClient() as http:
                stored.append(
                    await authorise(
                        store,
                        http,
                        settings.wisenet,
                        lines,
                        redirect_uri=redirect_uri,
                        listen=not no_listen,
                        clock=SystemClock(),
                    )
                )
        finally:
            await store.close()

    try:
        obj.run(body)
    except KeyboardInterrupt:
        if not stored:
            click.echo("Cancelled: no Wisenet tokens were stored.", err=True)
            raise click.Abort from None
    except (AuthorizationError, SourceError) as exc:
        raise click.ClickException(str(exc)) from None
    _print_authorised(stored[0], settings.wisenet, SystemClock().now())


async def authorise(
    store: Store,
    http: httpx.AsyncClient,
    wisenet: WisenetSettings,
    lines: StdinLines,
    *,
    redirect_uri: str,
    listen: bool,
    clock: Clock,
) -> Authorised:
    """Run the browser step and the code exchange, then keep the tokens as the connection."""
    pkce = new_pkce_pair()
    state = new_state()
    url = authorize_url(wisenet, redirect_uri=redirect_uri, state=state, pkce=pkce)
    click.echo("Open this URL in a browser, sign in to Wisenet and allow access:\n")
    click.echo(f"  {url}\n")
    code = await receive_code(
        redirect_uri, state, lines, listen=listen, provider="Wisenet", echo=click.echo
    )
    sent_at = clock.now()
    try:
        tokens = await exchange_code(http, wisenet, code=code, pkce=pkce, redirect_uri=redirect_uri)
    except TokenGrantError as exc:
        if exc.error != "invalid_grant":
            raise
        raise SourceError(
            f"{exc}: the code expired, was already used, or --redirect-uri differs from the one "
            "registered in Wisenet; run `xerowatch wisenet-connect` again and finish within a "
            "few minutes",
            transient=False,
        ) from None
    reconnected = bool(await list_connections(store, provider=PROVIDER))
    connection_id = await store_authorization(StoreTokens(store), tokens, now=sent_at)
    connection = await load_connection(store, connection_id)
    if connection is None:  # only if another process deleted it in between
        raise SourceError(
            "the Wisenet connection vanished right after it was stored", transient=True
        )
    lacking = missing_scopes(wisenet.oauth_scopes, tokens.scope) if tokens.scope else []
    return Authorised(connection, reconnected, lacking)


def _print_authorised(done: Authorised, wisenet: WisenetSettings, now: datetime) -> None:
    conn = done.connection
    verb = "Reconnected" if done.reconnected else "Connected"
    host = urlsplit(wisenet.oauth_authorize_url).hostname or wisenet.oauth_authorize_url
    click.echo(
        f"{verb} xerowatch to Wisenet: client {wisenet.oauth_client_id} authorised at {host} "
        f"for {wisenet.base_url}."
    )
    click.echo(f"Scopes: {conn.scopes or wisenet.oauth_scopes + ' (as requested)'}")
    click.echo(
        f"Access token expires {_expiry(conn.access_expires_at, now)}; xerowatch refreshes it "
        "before then."
    )
    if done.lacking_scopes:
        click.echo(
            f"Warning: Wisenet did not grant {' '.join(done.lacking_scopes)}; calls needing "
            "them will fail until the client is allowed those scopes.",
            err=True,
        )


def _expiry(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "at an unknown time"
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = round((moment - now).total_seconds() / 60)
    return f"{stamp} (in {minutes} min)" if minutes >= 0 else f"{stamp} ({-minutes} min ago)"


@click.command("wisenet-status")
@json_option
@click.pass_obj
def wisenet_status(obj: CliContext, as_json: bool) -> None:
    """Show whether Wisenet is authorised, when its access token expires, and the budget."""
    settings = obj.settings
    now = SystemClock().now()

    async def body() -> dict[str, Any]:
        store = await open_store(settings.store.path)
        try:
            return await describe(store, settings.wisenet, now)
        finally:
            await store.close()

    report = obj.run(body)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_status(report, now)


async def describe(store: Store, wisenet: WisenetSettings, now: datetime) -> dict[str, Any]:
    """The stored Wisenet connection and the configured budget, without calling Wisenet."""
    connections = await list_connections(store, provider=PROVIDER)
    conn = connections[0] if connections else None
    expires = conn.access_expires_at if conn is not None else None
    budget = RequestBudget(  # only for its limits: the running daemon counts usage
        SystemClock(),
        daily_quota=wisenet.daily_quota,
        requests_per_second=wisenet.requests_per_second,
        read_reserve_share=wisenet.read_reserve_share,
    )
    return {
        "auth_mode": wisenet.auth_mode,
        "status": conn.status if conn is not None else "not_connected",
        "status_reason": conn.status_reason if conn is not None else None,
        "connection_id": conn.connection_id if conn is not None else None,
        "access_token_expires_at": expires.isoformat() if expires is not None else None,
        "access_token_expired": expires is not None and expires <= now,
        "refresh_pending": conn.refresh_pending if conn is not None else False,
        "refresh_token_rotated_at": (
            conn.rotated_at.isoformat() if conn is not None and conn.rotated_at else None
        ),
        "scopes": conn.scopes if conn is not None else "",
        "api_key_configured": wisenet.api_key is not None,
        "budget": {
            "daily_quota": budget.daily_quota,
            "read_reserve": budget.read_reserve,
            "requests_per_second": budget.rate,
        },
    }


def _print_status(report: dict[str, Any], now: datetime) -> None:
    status = report["status"]
    if status == "not_connected":
        click.echo("Wisenet OAuth: not connected.")
    elif status == "needs_reconnect":
        click.echo(f"Wisenet OAuth: needs reconnect ({report['status_reason']}).")
    else:
        expires = report["access_token_expires_at"]
        moment = datetime.fromisoformat(expires) if expires else None
        note = " (refreshed on the next request)" if report["access_token_expired"] else ""
        click.echo(f"Wisenet OAuth: connected; access token expires {_expiry(moment, now)}{note}.")
    budget = report["budget"]
    click.echo(
        f"Budget: {budget['daily_quota']} requests per rolling 24 h (the last "
        f"{budget['read_reserve']} kept for reading learners), {budget['requests_per_second']:g} "
        "per second; the running daemon counts usage."
    )
    if report["auth_mode"] != "oauth":
        click.echo(
            'xerowatch uses the API key ([wisenet] auth_mode = "api_key"); set auth_mode = '
            '"oauth" and run `xerowatch wisenet-connect` to switch.'
        )
    elif status != "connected":
        click.echo("Run `xerowatch wisenet-connect` to authorise.")
