"""An endpoint xerowatch cannot reach is named, with the setting that chose it."""

from __future__ import annotations

import httpx
import pytest
import respx

from xerowatch.config import XeroSettings
from xerowatch.sync.engine import xero_error_fix
from xerowatch.xero.errors import XeroError, XeroTransientError
from xerowatch.xero.token_endpoint import request_token

IDENTITY = "https://identity.example.test"


@respx.mock
async def test_an_unreachable_token_endpoint_names_identity_url() -> None:
    respx.post(f"{IDENTITY}/connect/token").mock(side_effect=httpx.ConnectError("refused"))
    settings = XeroSettings(client_id="app", identity_url=IDENTITY)
    async with httpx.AsyncClient() as http:
        with pytest.raises(XeroTransientError) as info:
            await request_token(http, settings, {"grant_type": "client_credentials"})
    assert f"{IDENTITY}/connect/token" in str(info.value)
    assert info.value.config_key == "[xero] identity_url"
    assert "[xero] identity_url" in xero_error_fix(info.value)


def test_a_xero_error_with_an_answer_points_at_xero_status_not_a_setting() -> None:
    fix = xero_error_fix(XeroError("Xero is unavailable", status=503))
    assert "status.developer.xero.com" in fix and "[xero]" not in fix
