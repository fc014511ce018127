"""`Idempotency-Key` values for Xero writes, derived from the logical write.

Xero replays the stored answer for a repeated key for 6 minutes and rejects a key reused with a
different URL, method or body. So the key is a digest of everything Xero compares (tenant,
method, path, query, canonical body) plus an optional caller scope such as an outbox row's key:
a retry after a lost answer sends the same key and replays, while a different request can
never collide with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_KEY_LENGTH = 128
KEY_PREFIX = "xw1-"
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: no spaces, controls or non-ASCII


class IdempotencyKeyError(ValueError):
    """A caller-supplied idempotency key that Xero would refuse or that is unsafe in a header."""


def validate_key(key: str) -> str:
    """Return `key` if it is 1-128 visible ASCII characters, else raise `IdempotencyKeyError`."""
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyError(f"idempotency key must be 1-{MAX_KEY_LENGTH} characters")
    if not _HEADER_SAFE.match(key):
        raise IdempotencyKeyError("idempotency key must be visible ASCII without spaces")
    return key


def canonical_json(value: Any) -> str:
    """Serialise JSON-ready data with sorted keys and no whitespace (stable across runs)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def derive_key(
    *,
    tenant_id: str,
    method: str,
    path: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    scope: str | None = None,
) -> str:
    """Return the key for one request: `xw1-` + sha256 of the request and the caller's scope."""
    material = canonical_json(
        {
            "scope": scope,
            "tenant": tenant_id,
            "method": method.upper(),
            "path": path,
            "params": dict(sorted((params or {}).items())),
            "body": body,
        }
    )
    return validate_key(KEY_PREFIX + hashlib.sha256(material.encode("utf-8")).hexdigest())
