"""`xerowatch connect`, `connections`, `disconnect`: Xero authorisation for admins on SSH."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click
import httpx

from xerowatch.cli.context import CliContext
from xerowatch.cli.options import json_option
from xerowatch.clock import SystemClock
from xerowatch.config import ConfigError, Settings, XeroSettings
from xerowatch.oauth.errors import OAuthError
from xerowatch.oauth.pasted import StdinLines, receive_code
from xerowatch.oauth.token_client import missing_scopes
from xerowatch.store.db import Store, open_store
from xerowatch.store.tenants import (
    Tenant,
    deactivate_tenant,
    get_tenant,
    list_tenants,
    tenants_of_connection,
    upsert_tenants,
)
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import delete_connection, load_connection
from xerowatch.xero.auth import XeroTokenManager
from xerowatch.xero.connections import XeroConnection, XeroConnectionsClient
from xerowatch.xero.errors import XeroAuthError, XeroError
from xerowatch.xero.login import exchange_code, start_authorization

T = TypeVar("T")


def register(group: click.Group) -> None:
    """Add the auth commands to the root group."""
    group.add_command(connect)
    group.add_command(connections)
    group.add_command(disconnect)


@dataclass
class _Session:
    store: Store
    http: httpx.AsyncClient
    tokens: XeroTokenManager
    xero: XeroConnectionsClient


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[_Session]:
    store = await open_store(settings.store.path)
    try:
        async with httpx.AsyncClient() as http:
            tokens = XeroTokenManager(
                store=StoreTokens(store), settings=settings.xero, http=http, clock=SystemClock()
            )
            client = XeroConnectionsClient(http=http, settings=settings.xero, tokens=tokens)
            yield _Session(store, http, tokens, client)
    finally:
        await store.close()


def _run(obj: CliContext, body: Callable[[], Awaitable[T]]) -> T:
    """Run a command body; Xero and OAuth failures become one line and exit 1."""
    try:
        return obj.run(body)
    except (XeroError, OAuthError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option(
    "--tenant",
    "tenant_ids",
    multiple=True,
    metavar="TENANT_ID",
    help="Connect this organisation (repeatable) instead of choosing at a prompt.",
)
@click.option("--all-tenants", is_flag=True, help="Connect every organisation the grant reaches.")
@click.option(
    "--no-listen",
    is_flag=True,
    help="Do not listen on a localhost redirect URI; only accept the pasted URL.",
)
@click.pass_obj
def connect(
    obj: CliContext, tenant_ids: tuple[str, ...], all_tenants: bool, no_listen: bool
) -> None:
    """Authorise with Xero and choose the organisations to sync.

    Prints a URL to open in any browser. After you allow access, the browser is sent to the
    redirect URI: with a localhost URI this command receives it directly; otherwise (or from
    another machine) copy the address bar and paste it here.
    """
    if tenant_ids and all_tenants:
        raise click.UsageError("use either --tenant or --all-tenants, not both")
    settings = obj.settings
    _require_credentials(settings.xero)
    lines = StdinLines()

    async def body() -> None:
        async with _session(settings) as session:
            if settings.xero.auth_mode == "custom_connection":
                connection_id = await session.tokens.connect_client_credentials()
                click.echo("Custom connection authorised.")
            else:
                connection_id = await _authorize(
                    session, settings.xero, lines, listen=not no_listen
                )
            try:
                reachable = await session.xero.list_connections(connection_id)
                chosen = await _choose(reachable, tenant_ids, all_tenants, lines)
            except Exception:
                if not await tenants_of_connection(session.store, connection_id):
                    await delete_connection(session.store, connection_id)
                raise
            await upsert_tenants(session.store, connection_id, [c.to_tenant_info() for c in chosen])
            for tenant in chosen:
                click.echo(f"Connected {tenant.tenant_name} ({tenant.tenant_id}).")

    _run(obj, body)


def _require_credentials(xero: XeroSettings) -> None:
    if not xero.client_id:
        raise ConfigError(
            "config error: xero.client_id is empty — set [xero] client_id in xerowatch.toml "
            "or XEROWATCH_XERO__CLIENT_ID (from your app at developer.xero.com)"
        )
    if xero.auth_mode == "custom_connection" and xero.client_secret is None:
        raise ConfigError(
            "config error: xero.client_secret is not set — custom connections need it: set "
            "XEROWATCH_XERO__CLIENT_SECRET (or [xero] client_secret)"
        )


async def _authorize(
    session: _Session, xero: XeroSettings, lines: StdinLines, *, listen: bool
) -> str:
    """Run the browser step and the code exchange; return the new connection's id."""
    request = start_authorization(xero)
    click.echo("Open this URL in a browser, sign in to Xero and allow access:\n")
    click.echo(f"  {request.url}\n")
    code = await receive_code(
        request.redirect_uri, request.state, lines, listen=listen, provider="Xero", echo=click.echo
    )
    tokens = await exchange_code(session.http, xero, request, code)
    lacking = missing_scopes(xero.scopes, tokens.scope)
    if lacking:
        click.echo(
            f"Warning: Xero did not grant {' '.join(lacking)}; syncs needing "
            "them will fail until the app is allowed those scopes.",
            err=True,
        )
    return await session.tokens.store_authorization(tokens)


async def _choose(
    reachable: Sequence[XeroConnection],
    tenant_ids: Sequence[str],
    all_tenants: bool,
    lines: StdinLines,
) -> list[XeroConnection]:
    """Pick the organisations to connect: from the flags, or by number at a prompt."""
    if not reachable:
        raise click.ClickException(
            "the authorisation reaches no Xero organisation: run `xerowatch connect` again and "
            "tick at least one organisation on Xero's consent page"
        )
    if all_tenants:
        return list(reachable)
    if tenant_ids:
        by_id = {c.tenant_id: c for c in reachable}
        unknown = [t for t in tenant_ids if t not in by_id]
        if unknown:
            offered = ", ".join(f"{c.tenant_id} ({c.tenant_name})" for c in reachable)
            raise click.ClickException(
                f"not reachable through this authorisation: {', '.join(unknown)}; "
                f"reachable: {offered}"
            )
        return [by_id[t] for t in dict.fromkeys(tenant_ids)]
    if len(reachable) == 1:
        return list(reachable)
    click.echo("\nThis authorisation reaches these organisations:")
    for number, conn in enumerate(reachable, start=1):
        click.echo(f"  {number}. {conn.tenant_name}  ({conn.tenant_id}, {conn.tenant_type})")
    while True:
        click.echo("Connect which? Numbers separated by commas, or 'all': ", nl=False)
        line = await lines.next()
        if line is None:
            raise click.ClickException(
                "no organisation chosen: answer the prompt, or pass --tenant ID / --all-tenants"
            )
        picked = _parse_choice(line, len(reachable))
        if picked:
            return [reachable[i] for i in picked]
        click.echo(f"Answer with numbers from 1 to {len(reachable)}, or 'all'.", err=True)


def _parse_choice(answer: str, count: int) -> list[int]:
    """Turn '1, 3' or 'all' into zero-based indexes; [] if the answer is not valid."""
    text = answer.strip().lower()
    if text == "all":
        return list(range(count))
    picked: list[int] = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        number = int(part) if part.isascii() and part.isdigit() and len(part) <= 9 else 0
        if not 1 <= number <= count:
            return []
        if number - 1 not in picked:
            picked.append(number - 1)
    return picked


@click.command()
@json_option
@click.option("--all", "show_all", is_flag=True, help="Include disconnected organisations.")
@click.pass_obj
def connections(obj: CliContext, as_json: bool, show_all: bool) -> None:
    """List connected Xero organisations and their authorisation state."""
    settings = obj.settings

    async def body() -> list[dict[str, Any]]:
        store = await open_store(settings.store.path)
        try:
            return await _describe_tenants(
                store, await list_tenants(store, active_only=not show_all)
            )
        finally:
            await store.close()

    rows = _run(obj, body)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No Xero organisation is connected: run `xerowatch connect`.")
        return
    _print_table(rows)
    if any(row["status"] == "needs_reconnect" for row in rows):
        click.echo("\nSome authorisations are broken: run `xerowatch connect` to repair them.")


async def _describe_tenants(store: Store, tenants: list[Tenant]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for tenant in tenants:
        conn = await load_connection(store, tenant.connection_id)
        status = conn.status if conn is not None else "needs_reconnect"
        rows.append(
            {
                "tenant_id": tenant.tenant_id,
                "name": tenant.name,
                "tenant_type": tenant.tenant_type,
                "active": tenant.active,
                "status": status if tenant.active else "disconnected",
                "status_reason": conn.status_reason if conn is not None else "connection missing",
                "auth_mode": conn.auth_mode if conn is not None else None,
                "connection_id": tenant.connection_id,
                "xero_connection_id": tenant.xero_connection_id,
                "access_token_expires_at": (
                    conn.access_expires_at.isoformat()
                    if conn is not None and conn.access_expires_at
                    else None
                ),
                "refresh_token_rotated_at": (
                    conn.rotated_at.isoformat() if conn is not None and conn.rotated_at else None
                ),
            }
        )
    return rows


def _print_table(rows: list[dict[str, Any]]) -> None:
    columns = [("TENANT ID", "tenant_id"), ("NAME", "name"), ("TYPE", "tenant_type")]
    columns += [("STATUS", "status"), ("AUTH", "auth_mode")]
    cells = [[str(row[key] or "") for _, key in columns] for row in rows]
    widths = [max(len(title), *(len(c[i]) for c in cells)) for i, (title, _) in enumerate(columns)]
    titles = [title.ljust(w) for (title, _), w in zip(columns, widths, strict=True)]
    click.echo("  ".join(titles).rstrip())
    for line in cells:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@click.command()
@click.argument("tenant_id", metavar="TENANT_ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def disconnect(obj: CliContext, tenant_id: str, yes: bool) -> None:
    """Disconnect one Xero organisation, at Xero too."""
    settings = obj.settings

    async def find() -> Tenant | None:
        store = await open_store(settings.store.path)
        try:
            return await get_tenant(store, tenant_id)
        finally:
            await store.close()

    tenant = _run(obj, find)
    if tenant is None:
        raise click.ClickException(
            f"no organisation {tenant_id} is stored: see `xerowatch connections --all`"
        )
    if not tenant.active:
        click.echo(f"{tenant.name} ({tenant_id}) is already disconnected.")
        return
    if not yes:
        click.confirm(
            f"Disconnect {tenant.name} ({tenant_id}) from xerowatch and Xero?", abort=True
        )

    async def body() -> None:
        async with _session(settings) as session:
            await _disconnect(session, tenant)

    _run(obj, body)


async def _disconnect(session: _Session, tenant: Tenant) -> None:
    if tenant.xero_connection_id:
        try:
            existed = await session.xero.delete_connection(
                tenant.connection_id, tenant.xero_connection_id
            )
        except XeroAuthError as exc:
            if not exc.needs_reconnect:
                raise
            click.echo(
                "Xero could not be told (the authorisation is broken): remove xerowatch from "
                "this organisation under Settings > Connected apps in Xero.",
                err=True,
            )
        else:
            if not existed:
                click.echo("Xero no longer had this connection.", err=True)
    await deactivate_tenant(session.store, tenant.tenant_id)
    click.echo(f"Disconnected {tenant.name} ({tenant.tenant_id}).")
