"""Authorization code + PKCE: the verifier and challenge, the authorize URL, the redirect."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from pydantic import SecretStr

from xerowatch.oauth.errors import AuthorizationDenied, AuthorizationError, StateMismatchError

VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
"""RFC 7636 unreserved characters."""


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


def authorize_url(
    endpoint: str, *, client_id: str, redirect_uri: str, scopes: str, state: str, pkce: PkcePair
) -> str:
    """The browser URL of a code-flow request with an S256 challenge (keeps `endpoint`'s query)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params, quote_via=quote)


def code_grant(code: str, *, redirect_uri: str, pkce: PkcePair) -> dict[str, str]:
    """The token request form that trades an authorisation code (and its verifier) for tokens."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pkce.verifier.get_secret_value(),
    }


def parse_redirect(text: str, *, expected_state: str, provider: str) -> str:
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
