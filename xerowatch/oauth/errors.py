"""The errors of the OAuth package; each provider turns them into its own error types."""

from __future__ import annotations


class OAuthError(Exception):
    """Base of every OAuth failure; `message` is one line for the admin, never a secret."""

    def __init__(
        self, message: str, *, status: int | None = None, correlation_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id

    def __str__(self) -> str:
        suffix = f" (correlation id {self.correlation_id})" if self.correlation_id else ""
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{status}{self.message}{suffix}"


class AuthorizationError(OAuthError):
    """The browser step failed: denied, wrong state, or an unusable redirect."""


class AuthorizationDenied(AuthorizationError):
    """The provider redirected back with an error (the admin chose Cancel, or a bad request)."""


class StateMismatchError(AuthorizationError):
    """A redirect that belongs to another authorisation attempt (or a forged one)."""


class TokenEndpointUnavailable(OAuthError):
    """The token endpoint's answer was lost or unusable; the same grant may be sent again.

    `kind` is "timeout", "unreachable" (with `cause`, the transport error's name),
    "unavailable" (429 or 5xx) or "unreadable" (a 200 whose body is not a token answer).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        cause: str = "",
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.kind = kind
        self.cause = cause


class GrantRefused(OAuthError):
    """The token endpoint refused a grant; `error` is the OAuth code (e.g. invalid_grant)."""

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        detail = f" ({description[:200]})" if description else ""
        super().__init__(
            f"token endpoint refused the grant: {error}{detail}",
            status=status,
            correlation_id=correlation_id,
        )
        self.error = error
        self.description = description
        self.detail = detail
