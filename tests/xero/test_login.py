"""PKCE pair, authorize URL, redirect parsing, the loopback listener and the code exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from tests.xero.fake_identity import CLIENT_ID, TOKEN_URL, FakeXeroIdentity
from xerowatch.clock import FakeClock
from xerowatch.config import XeroSettings
from xerowatch.oauth.errors import AuthorizationDenied, AuthorizationError, StateMismatchError
from xerowatch.oauth.loopback import first_of, loopback_address, loopback_listener
from xerowatch.oauth.pkce import VERIFIER_ALPHABET, new_pkce_pair, parse_redirect, s256_challenge
from xerowatch.xero.login import exchange_code, start_authorization

SETTINGS = XeroSettings(client_id=CLIENT_ID, redirect_uri="http://localhost:8765/callback")


@given(st.integers(min_value=43, max_value=128))
def test_verifier_has_the_asked_length_and_only_unreserved_characters(length: int) -> None:
    pair = new_pkce_pair(length)
    verifier = pair.verifier.get_secret_value()
    assert len(verifier) == length
    assert set(verifier) <= set(VERIFIER_ALPHABET)
    assert pair.challenge == s256_challenge(verifier)
    assert verifier not in repr(pair)


@given(st.integers().filter(lambda n: not 43 <= n <= 128))
def test_verifier_lengths_outside_43_to_128_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        new_pkce_pair(length)


def test_s256_matches_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorize_url_carries_code_flow_pkce_scopes_and_state() -> None:
    request = start_authorization(SETTINGS)
    split = urlsplit(request.url)
    assert f"{split.scheme}://{split.netloc}{split.path}" == SETTINGS.authorize_url
    params = {k: v[0] for k, v in parse_qs(split.query).items()}
    assert params == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://localhost:8765/callback",
        "scope": SETTINGS.scopes,
        "state": request.state,
        "code_challenge": request.pkce.challenge,
        "code_challenge_method": "S256",
    }
    assert "+" not in split.query  # spaces in scope are %20
    assert start_authorization(SETTINGS).state != request.state


def test_parse_redirect_returns_the_code() -> None:
    url = "http://localhost:8765/callback?code=abc123&scope=offline_access&state=s1&session_state=x"
    assert parse_redirect(url, expected_state="s1", provider="Xero") == "abc123"
    assert parse_redirect(f"  '{url}'\n", expected_state="s1", provider="Xero") == "abc123"
    assert parse_redirect("code=abc123&state=s1", expected_state="s1", provider="Xero") == "abc123"
    assert parse_redirect("?code=abc123&state=s1", expected_state="s1", provider="Xero") == "abc123"


def test_parse_redirect_rejects_a_wrong_state() -> None:
    with pytest.raises(StateMismatchError, match="state does not match"):
        parse_redirect(
            "https://example.com/cb?code=abc&state=other", expected_state="s1", provider="Xero"
        )


def test_parse_redirect_reports_a_denial() -> None:
    with pytest.raises(AuthorizationDenied, match="access_denied"):
        parse_redirect(
            "https://example.com/cb?error=access_denied&state=s1",
            expected_state="s1",
            provider="Xero",
        )


def test_a_denial_carrying_another_attempts_state_is_ignored() -> None:
    with pytest.raises(StateMismatchError):
        parse_redirect(
            "https://example.com/cb?error=access_denied&state=xx",
            expected_state="s1",
            provider="Xero",
        )


@pytest.mark.parametrize(
    "text",
    ["", "   ", "https://example.com/cb", "hello world", "https://example.com/cb?code=&state=s1"],
)
def test_parse_redirect_explains_unusable_input(text: str) -> None:
    with pytest.raises(AuthorizationError):
        parse_redirect(text, expected_state="s1", provider="Xero")


@given(st.text(max_size=300))
def test_parse_redirect_never_fails_with_anything_but_an_authorization_error(text: str) -> None:
    try:
        code = parse_redirect(text, expected_state="s1", provider="Xero")
    except AuthorizationError:
        return
    assert code


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://localhost:8765/callback", ("localhost", 8765, "/callback")),
        ("http://127.0.0.1/cb", ("127.0.0.1", 80, "/cb")),
        ("http://[::1]:9000/", ("::1", 9000, "/")),
        ("https://localhost:8765/callback", None),
        ("https://xerowatch.example.com/callback", None),
    ],
)
def test_loopback_address(uri: str, expected: tuple[str, int, str] | None) -> None:
    assert loopback_address(uri) == expected


async def test_loopback_listener_receives_the_browser_redirect() -> None:
    async with (
        loopback_listener("http://127.0.0.1:0/callback", "s1", provider="Xero") as callback,
        httpx.AsyncClient() as http,
    ):
        base = f"http://127.0.0.1:{callback.port}"
        wrong = await http.get(f"{base}/callback", params={"code": "c", "state": "forged"})
        assert wrong.status_code == 400
        assert "state does not match" in wrong.text
        assert (await http.get(f"{base}/favicon.ico")).status_code == 404
        good = await http.get(f"{base}/callback", params={"code": "c-42", "state": "s1"})
        assert good.status_code == 200
        assert "You can close this tab" in good.text
        with anyio.fail_after(5):
            assert await callback.wait_for_code() == "c-42"
        late = await http.get(f"{base}/callback", params={"code": "c-43", "state": "s1"})
        assert late.status_code == 409


async def test_loopback_listener_reports_a_denial() -> None:
    async with (
        loopback_listener("http://127.0.0.1:0/callback", "s1", provider="Xero") as callback,
        httpx.AsyncClient() as http,
    ):
        url = f"http://127.0.0.1:{callback.port}/callback"
        answer = await http.get(url, params={"error": "access_denied", "state": "s1"})
        assert answer.status_code == 400
        with anyio.fail_after(5), pytest.raises(AuthorizationDenied):
            await callback.wait_for_code()


async def test_first_of_returns_the_first_result_and_cancels_the_rest() -> None:
    cancelled: list[bool] = []

    async def slow() -> str:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(True)
        return "never"

    async def fast() -> str:
        await anyio.lowlevel.checkpoint()
        return "pasted-code"

    assert await first_of(slow, fast) == "pasted-code"
    assert cancelled == [True]


async def test_first_of_raises_the_first_error_unwrapped() -> None:
    async def denied() -> str:
        raise AuthorizationDenied("no")

    async def never() -> str:
        await anyio.sleep_forever()
        return "never"

    with pytest.raises(AuthorizationDenied):
        await first_of(denied, never)


async def test_exchange_sends_the_code_and_verifier_and_parses_tokens() -> None:
    identity = FakeXeroIdentity(FakeClock())
    request = start_authorization(SETTINGS)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=identity.handler)
        async with httpx.AsyncClient() as http:
            tokens = await exchange_code(http, SETTINGS, request, "the-code")
    [form] = identity.forms
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == SETTINGS.redirect_uri
    assert form["client_id"] == CLIENT_ID
    assert s256_challenge(form["code_verifier"]) == request.pkce.challenge
    assert identity.auth_headers == [None]  # a PKCE app sends no secret
    assert tokens.access_token.get_secret_value() == "access-1"
    assert tokens.refresh_token is not None
    assert "offline_access" in tokens.scope.split()


async def test_an_expired_code_asks_to_connect_again() -> None:
    identity = FakeXeroIdentity(FakeClock())
    request = start_authorization(SETTINGS)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=identity.handler)
        async with httpx.AsyncClient() as http:
            with pytest.raises(AuthorizationError, match="run `xerowatch connect` again"):
                await exchange_code(http, SETTINGS, request, "stale-code")
