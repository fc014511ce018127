"""The token endpoint client: what Xero's refusals may carry never reaches errors or alerts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr

from tests.xero.fake_identity import CLIENT_ID, CLIENT_SECRET, TOKEN_URL
from xerowatch.config import XeroSettings
from xerowatch.xero.errors import TokenGrantRejected
from xerowatch.xero.token_endpoint import TokenResponse, request_token

CONFIDENTIAL = XeroSettings(client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET))
REFRESH = "rt-9f8e7d6c5b4a"
SENT_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def echoing_endpoint() -> Iterator[respx.Route]:
    """A token endpoint whose error_description quotes what it was sent."""
    with respx.mock(assert_all_mocked=True) as mock:
        yield mock.post(TOKEN_URL).mock(
            return_value=httpx.Response(
                400,
                json={
                    "error": "invalid_client",
                    "error_description": (
                        f"client {CLIENT_ID} with secret {CLIENT_SECRET} may not use "
                        f"refresh token {REFRESH}"
                    ),
                },
            )
        )


async def test_a_refusal_that_quotes_the_grant_is_scrubbed(echoing_endpoint, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="xerowatch")
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenGrantRejected) as caught:
            await request_token(
                http, CONFIDENTIAL, {"grant_type": "refresh_token", "refresh_token": REFRESH}
            )
    visible = " ".join([str(caught.value), caught.value.message, repr(caught.value), caplog.text])
    assert caught.value.error == "invalid_client"
    assert "may not use refresh token" in visible  # the description is kept, minus secrets
    assert REFRESH not in visible
    assert CLIENT_SECRET not in visible


@pytest.mark.parametrize(("expires_in", "lifetime_s"), [(1800, 1800), (10**12, 86_400)])
def test_a_lifetime_is_taken_from_expires_in_but_never_beyond_a_day(
    expires_in: int, lifetime_s: int
) -> None:
    # An absurd expires_in once made the date overflow after Xero had already rotated.
    answer = TokenResponse.model_validate({"access_token": "a", "expires_in": expires_in})
    issued = answer.issued(SENT_AT)
    assert issued.access_expires_at == SENT_AT + timedelta(seconds=lifetime_s)
