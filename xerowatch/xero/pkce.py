"""Authorization code + PKCE: the authorize URL, the redirect (loopback or pasted), the exchange.

Built for an admin on SSH: the redirect arrives either on a tiny loopback listener (when the
registered redirect URI is http://localhost or 127.0.0.1) or as the URL the admin pastes back
from the browser's address bar, whichever comes first.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import anyio
import anyio.abc
import httpx
from pydantic import SecretStr

from xerowatch.config import XeroSettings
from xerowatch.xero.errors import XeroAuthError
from xerowatch.xero.token_endpoint import TokenGrantRejected, TokenResponse, request_token

VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
"""RFC 7636 unreserved characters."""
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_MAX_REQUEST_HEAD = 16 * 1024


class AuthorizationError(XeroAuthError):
    """The browser step failed: denied, wrong state, or an unusable redirect."""


class AuthorizationDenied(AuthorizationError):
    """Xero redirected back with an error (the admin chose Cancel, or the request was bad)."""


class StateMismatchError(AuthorizationError):
    """A redirect that belongs to another authorisation attempt (or a forged one)."""


@dataclass(frozen=True)
class PkcePair:
    """A PKCE code verifier (secret) and its S256 challenge."""

    verifier: SecretStr
    challenge: str


def new_pkce_pair(length: int = 64) -> PkcePair:
    """Make a random verifier of `length` (43 to 128) unreserved characters and its challenge."""
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier must be 43 to 128 characters long")
    verifier = "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(length))
    return PkcePair(SecretStr(verifier), s256_challenge(verifier))


def s256_challenge(verifier: str) -> str:
    """Return BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    """Return an unguessable `state` value."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorisation attempt: what the browser is sent to and what must come back."""

    url: str
    state: str
    redirect_uri: str
    pkce: PkcePair = field(repr=False)


def start_authorization(settings: XeroSettings) -> AuthorizationRequest:
    """Build a fresh authorize URL (code flow, S256 PKCE, the configured scopes)."""
    if not settings.client_id:
        raise ValueError("xero.client_id is empty")
    pkce = new_pkce_pair()
    state = new_state()
    params = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": settings.redirect_uri,
        "scope": settings.scopes,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    url = f"{settings.authorize_url}?{urlencode(params, quote_via=quote)}"
    return AuthorizationRequest(url=url, state=state, redirect_uri=settings.redirect_uri, pkce=pkce)


def parse_redirect(text: str, *, expected_state: str, provider: str = "Xero") -> str:
    """Return the code from a redirect URL (or its query string) after checking `state`."""
    cleaned = text.strip().strip("'\"<>")
    if not cleaned:
        raise AuthorizationError("nothing was pasted: paste the whole URL from the address bar")
    split = urlsplit(cleaned)
    query = split.query or (cleaned.lstrip("?") if "=" in cleaned and "://" not in cleaned else "")
    params = {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}
    state_matches = "state" in params and secrets.compare_digest(
        params["state"].encode(), expected_state.encode()
    )
    if "error" in params and ("state" not in params or state_matches):
        detail = params.get("error_description", "")
        raise AuthorizationDenied(
            f"{provider} did not authorise xerowatch: {params['error'][:100]}"
            + (f" ({detail[:200]})" if detail else "")
        )
    if ("code" not in params and "error" not in params) or "state" not in params:
        raise AuthorizationError(
            f"that is not a redirect URL from {provider} (no code and state in it): paste the "
            "whole URL the browser was sent to after you chose Allow access"
        )
    if not state_matches:
        raise StateMismatchError(
            "the redirect belongs to another authorisation attempt (state does not match): "
            "use the URL printed by this run of xerowatch"
        )
    if not params["code"]:
        raise AuthorizationError("the redirect URL holds an empty code")
    return params["code"]


def loopback_address(redirect_uri: str) -> tuple[str, int, str] | None:
    """Return (host, port, path) to listen on when the redirect URI is a loopback http URL."""
    split = urlsplit(redirect_uri)
    host = split.hostname or ""
    if split.scheme != "http" or host not in LOOPBACK_HOSTS:
        return None
    return host, split.port if split.port is not None else 80, split.path or "/"


class LoopbackCallback:
    """Answers browser requests on the loopback listener until a valid redirect arrives."""

    def __init__(self, path: str, expected_state: str, port: int, provider: str = "Xero") -> None:
        self.path = path
        self.provider = provider
        self.port = port
        self._expected_state = expected_state
        self._done = anyio.Event()
        self._code: str | None = None
        self._error: AuthorizationError | None = None

    async def wait_for_code(self) -> str:
        """Wait for the browser's redirect; return its code or raise why it failed."""
        await self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._code is not None
        return self._code

    async def handle(self, stream: anyio.abc.ByteStream) -> None:
        """Serve one HTTP request from the browser."""
        async with stream:
            try:
                with anyio.fail_after(10):
                    head = await _read_head(stream)
                status, body = self._answer(head)
                await stream.send(_http_response(status, body))
            except (
                TimeoutError,
                OSError,
                ValueError,
                anyio.EndOfStream,
                anyio.BrokenResourceError,
            ):
                return

    def _answer(self, head: bytes) -> tuple[str, str]:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            return "405 Method Not Allowed", f"Only the {self.provider} redirect is served here."
        target = urlsplit(parts[1])
        if target.path != self.path:
            return "404 Not Found", "Not found."
        if self._done.is_set():
            return "409 Conflict", "This authorisation is already finished; close this tab."
        try:
            code = parse_redirect(
                parts[1], expected_state=self._expected_state, provider=self.provider
            )
        except StateMismatchError as exc:
            return "400 Bad Request", str(exc.message)
        except AuthorizationError as exc:
            self._error = exc
            self._done.set()
            return "400 Bad Request", exc.message + ". Return to the terminal."
        self._code = code
        self._done.set()
        done = f"xerowatch received {self.provider}'s authorisation. You can close this tab."
        return "200 OK", done


async def _read_head(stream: anyio.abc.ByteStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
        if len(data) > _MAX_REQUEST_HEAD:
            raise ValueError("request head too large")
    return data


def _http_response(status: str, message: str) -> bytes:
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>xerowatch</title></head>"
        f"<body><p>{html.escape(message)}</p></body></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(page)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + page


@asynccontextmanager
async def loopback_listener(
    redirect_uri: str, expected_state: str, *, provider: str = "Xero"
) -> AsyncIterator[LoopbackCallback]:
    """Listen on the redirect URI's loopback address while the body runs.

    Raises OSError when the port cannot be bound, and ValueError for a non-loopback URI.
    """
    address = loopback_address(redirect_uri)
    if address is None:
        raise ValueError(f"{redirect_uri} is not an http loopback URI")
    host, port, path = address
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 (anyio, not Django)
    callback = LoopbackCallback(path, expected_state, bound, provider)
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, callback.handle)
        try:
            yield callback
        finally:
            group.cancel_scope.cancel()


async def first_of(*sources: Callable[[], Awaitable[str]]) -> str:
    """Run the sources concurrently; return the first result (or raise the first error)."""
    if not sources:
        raise ValueError("no source to wait for")
    outcomes: list[str | Exception] = []
    async with anyio.create_task_group() as group:

        async def run(source: Callable[[], Awaitable[str]]) -> None:
            try:
                outcome: str | Exception = await source()
            except Exception as exc:
                outcome = exc
            if not outcomes:
                outcomes.append(outcome)
            group.cancel_scope.cancel()

        for source in sources:
            group.start_soon(run, source)
    first = outcomes[0]
    if isinstance(first, Exception):
        raise first
    return first


async def exchange_code(
    http: httpx.AsyncClient, settings: XeroSettings, request: AuthorizationRequest, code: str
) -> TokenResponse:
    """Trade an authorisation code (short-lived: call at once) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.pkce.verifier.get_secret_value(),
    }
    try:
        return await request_token(http, settings, form)
    except TokenGrantRejected as exc:
        if exc.error == "invalid_grant":
            raise AuthorizationError(
                "Xero refused the authorisation code (expired, already used, or the redirect URI "
                "differs from the app's): run `xerowatch connect` again and finish within a "
                "few minutes",
                status=exc.status,
                correlation_id=exc.correlation_id,
            ) from None
        raise
