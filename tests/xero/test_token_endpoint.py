"""The token endpoint client: what Xero's refusals may carry never reaches errors or alerts."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import SecretStr

from tests.xero.fake_identity import CLIENT_ID, CLIENT_SECRET, TOKEN_URL
from xerowatch.config import XeroSettings
from xerowatch.xero.token_endpoint import TokenGrantRejected, request_token

CONFIDENTIAL = XeroSettings(client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET))
REFRESH = "rt-9f8e7d6c5b4a"


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
