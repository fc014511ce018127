"""The provider-neutral token client: answers, lifetimes, client authentication, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from xerowatch.oauth.errors import GrantRefused, TokenEndpointUnavailable
from xerowatch.oauth.token_client import (
    DEFAULT_LIFETIME_S,
    MAX_LIFETIME_S,
    TokenEndpoint,
    TokenResponse,
    request_token,
)

URL = "https://auth.example.test/token"
PUBLIC = TokenEndpoint(provider="Example", url=URL, client_id="client-1")
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_expires_at_wins_over_expires_in_and_a_missing_lifetime_takes_the_default() -> None:
    at = SENT + timedelta(minutes=20)
    both = TokenResponse.model_validate(
        {"access_token": "a", "expires_in": 60, "expires_at": int(at.timestamp())}
    )
    naive = TokenResponse.model_validate({"access_token": "a", "expires_at": "2026-11-02T09:20:00"})
    neither = TokenResponse.model_validate({"access_token": "a"})
    assert both.issued(SENT).access_expires_at == at
    assert naive.issued(SENT).access_expires_at == at  # a zone-less time is taken as UTC
    assert neither.issued(SENT).access_expires_at == SENT + timedelta(seconds=DEFAULT_LIFETIME_S)


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_any_expires_at_is_kept_as_said_but_never_beyond_a_day(stamp: int) -> None:
    answer = TokenResponse.model_validate({"access_token": "a", "expires_at": stamp})
    expiry = answer.issued(SENT).access_expires_at
    assert expiry <= SENT + timedelta(seconds=MAX_LIFETIME_S)
    if -(10**10) < stamp < SENT.timestamp():  # a past moment the platform can represent
        assert expiry == datetime.fromtimestamp(stamp, UTC)


@respx.mock
async def test_a_public_client_sends_its_id_in_the_form_and_a_confidential_one_basic() -> None:
    route = respx.post(URL).respond(json={"access_token": "a", "expires_in": 60})
    confidential = TokenEndpoint(
        provider="Example", url=URL, client_id="client-1", client_secret=SecretStr("s3cret")
    )
    async with httpx.AsyncClient() as http:
        await request_token(http, PUBLIC, {"grant_type": "refresh_token", "refresh_token": "r"})
        await request_token(http, confidential, {"grant_type": "client_credentials"})
    public_call, confidential_call = route.calls
    assert parse_qs(public_call.request.content.decode())["client_id"] == ["client-1"]
    assert "authorization" not in public_call.request.headers
    assert "client_id" not in parse_qs(confidential_call.request.content.decode())
    assert confidential_call.request.headers["authorization"].startswith("Basic ")
    assert "s3cret" not in repr(confidential)


@respx.mock
async def test_a_refusal_names_the_oauth_error_without_echoing_the_grant() -> None:
    respx.post(URL).respond(
        400, json={"error": "invalid_grant", "error_description": "token r-secret is spent"}
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(GrantRefused) as info:
            await request_token(http, PUBLIC, {"refresh_token": "r-secret"})
    assert info.value.error == "invalid_grant"
    assert "r-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.Response(503), "unavailable"),
        (httpx.Response(429), "unavailable"),
        (httpx.Response(200, content=b"<html>"), "unreadable"),
        (httpx.ConnectError("refused"), "unreachable"),
        (httpx.ReadTimeout("slow"), "timeout"),
    ],
)
@respx.mock
async def test_a_lost_or_unusable_answer_is_retryable(
    answer: httpx.Response | Exception, kind: str
) -> None:
    respx.post(URL).mock(side_effect=[answer])
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenEndpointUnavailable) as info:
            await request_token(http, PUBLIC, {"grant_type": "refresh_token"})
    assert info.value.kind == kind


@respx.mock
async def test_an_endpoint_that_requires_expires_in_refuses_an_answer_without_one() -> None:
    strict = TokenEndpoint(provider="Example", url=URL, client_id="c", expiry_required=True)
    respx.post(URL).respond(json={"access_token": "a"})
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenEndpointUnavailable, match="unreadable"):
            await request_token(http, strict, {"grant_type": "client_credentials"})
