"""Every error the Xero client raises: validation, auth, rate limits, transient, bad answers.

`transient` says whether trying again later can help, as `SourceError.transient` does for sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xerowatch.oauth.errors import GrantRefused


class XeroError(Exception):
    """Base of every error the Xero client raises; carries Xero-Correlation-Id when known."""

    transient: bool = False
    """Whether trying again later can help (the same mark sources' errors carry)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        correlation_id: str | None = None,
        config_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id
        self.config_key = config_key
        """The setting that chose the URL Xero could not be reached at (None: it answered)."""

    def __str__(self) -> str:
        suffix = f" (correlation id {self.correlation_id})" if self.correlation_id else ""
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{status}{self.message}{suffix}"


@dataclass(frozen=True)
class ElementError:
    """Validation messages for one element of a batch, by its index in the request."""

    index: int
    messages: list[str]
    element: dict[str, Any] = field(default_factory=dict)


class XeroValidationError(XeroError):
    """HTTP 400 (ValidationException and friends): permanent until the data changes."""

    def __init__(
        self,
        message: str,
        *,
        elements: list[ElementError] | None = None,
        status: int | None = 400,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.elements = elements or []


class XeroAuthError(XeroError):
    """401/403 or a failed token grant; `needs_reconnect` means an admin must run `connect`."""

    def __init__(
        self,
        message: str,
        *,
        needs_reconnect: bool = False,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.needs_reconnect = needs_reconnect


class XeroRateLimited(XeroError):
    """HTTP 429 (or a tenant parked by the scheduler): which limit, and when to try again."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        problem: str,
        retry_after: float | None,
        status: int | None = 429,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.problem = problem
        self.retry_after = retry_after


class XeroTransientError(XeroError):
    """Timeouts, dropped connections and 5xx: safe to retry with backoff."""

    transient = True


class XeroNotFound(XeroError):
    """HTTP 404: the resource does not exist (or not in this tenant)."""


class XeroResponseError(XeroError):
    """A 2xx answer whose body is not what the spec promises (shape, count, missing IDs)."""


class XeroUnavailable(XeroTransientError):
    """A timeout, dropped connection or 5xx, with the server's Retry-After when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        correlation_id: str | None = None,
        config_key: str | None = None,
    ) -> None:
        super().__init__(
            message, status=status, correlation_id=correlation_id, config_key=config_key
        )
        self.retry_after = retry_after


class TokenRejected(XeroAuthError):
    """A 401 before the token was force-refreshed: worth exactly one refresh and one more try."""


class XeroPagingError(XeroResponseError):
    """Paging that does not converge: a repeated page, a wrong page number, or too many pages."""


class TokenGrantRejected(XeroAuthError):
    """The token endpoint refused a grant (`error` is the OAuth code, e.g. invalid_grant)."""

    def __init__(self, refused: GrantRefused) -> None:
        super().__init__(
            f"Xero's {refused.message}",
            needs_reconnect=refused.error == "invalid_grant",
            status=refused.status,
            correlation_id=refused.correlation_id,
        )
        self.error = refused.error
