"""The official Xero Accounting OpenAPI spec for contract checks: find it, verify it, load it once.

Lookup order: 1) `XEROWATCH_XERO_SPEC` (an explicit path, used as given); 2) the team copy in
`<repo>/../shared/xero-openapi/`; 3) a cached download in `<repo>/.cache/`, fetched on first use
from the pinned commit with a short timeout. Copies 2 and 3 must match the pinned sha256: a
mismatch is an error (`SpecMismatch`), while no copy at all is `SpecUnavailable` (tests skip).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest

SPEC_COMMIT = "e952d0bda3628facbf7afc5990ad6a0e7e77bd1e"
SPEC_URL = (
    f"https://raw.githubusercontent.com/XeroAPI/Xero-OpenAPI/{SPEC_COMMIT}/xero_accounting.yaml"
)
SPEC_SHA256 = "140f64f8e6bd2d8524b8ffdbffd08589d417efa5466ba57bfa04939a69ff6db8"
SPEC_ENV = "XEROWATCH_XERO_SPEC"
DOWNLOAD_TIMEOUT_S = 5.0

REPO = Path(__file__).resolve().parents[1]
SHARED_SPEC = REPO.parent / "shared" / "xero-openapi" / "xero_accounting.yaml"
CACHED_SPEC = REPO / ".cache" / f"xero_accounting-{SPEC_COMMIT[:12]}.yaml"

API_HOST = "https://api.xero.com"
API_PREFIX = "/api.xro/2.0"


class SpecUnavailable(Exception):
    """No copy of the spec could be found or downloaded (contract tests skip, visibly)."""


class SpecMismatch(Exception):
    """A copy of the spec is not the pinned file (contract tests fail)."""


def sha256_of(data: bytes) -> str:
    """Hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def locate_spec(
    *,
    env: Mapping[str, str] | None = None,
    shared: Path = SHARED_SPEC,
    cache: Path = CACHED_SPEC,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    http: httpx.Client | None = None,
) -> Path:
    """Return the path of a usable spec file, downloading it into `cache` if needed."""
    env = os.environ if env is None else env
    explicit = env.get(SPEC_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SpecMismatch(f"{SPEC_ENV}={explicit} is not a file")
        return path
    for candidate in (shared, cache):
        if candidate.is_file():
            actual = sha256_of(candidate.read_bytes())
            if actual != SPEC_SHA256:
                raise SpecMismatch(f"{candidate} has sha256 {actual}, expected {SPEC_SHA256}")
            return candidate
    _download(cache, timeout=timeout, http=http)
    return cache


def _download(dest: Path, *, timeout: float, http: httpx.Client | None) -> None:
    client = http or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        response = client.get(SPEC_URL, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SpecUnavailable(
            f"no local copy and download failed ({exc!r}) from {SPEC_URL}"
        ) from None
    finally:
        if http is None:
            client.close()
    actual = sha256_of(response.content)
    if actual != SPEC_SHA256:
        raise SpecMismatch(f"downloaded spec has sha256 {actual}, expected {SPEC_SHA256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".part")
    partial.write_bytes(response.content)
    partial.replace(dest)


@functools.cache
def _spec_path_or_error() -> Path | Exception:
    try:
        return locate_spec()
    except (SpecUnavailable, SpecMismatch) as exc:
        return exc


def spec_path() -> Path:
    """`locate_spec()` with its outcome (path or error) remembered for the process."""
    found = _spec_path_or_error()
    if isinstance(found, Exception):
        raise found
    return found


@functools.cache
def load_spec_dict() -> dict[str, Any]:
    """The parsed spec (cached for the process; the C loader keeps this under a second)."""
    with spec_path().open("rb") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return loaded


@functools.cache
def load_openapi() -> Any:
    """An openapi-core `OpenAPI` for the spec (spec self-validation off: see notes §9)."""
    return OpenAPI.from_dict(load_spec_dict(), config=Config(spec_validator_cls=None))


def _path_params(template: str, path: str) -> dict[str, str]:
    names = re.findall(r"{(\w+)}", template)
    pattern = "^" + re.sub(r"\\{\w+\\}", "([^/]+)", re.escape(template)) + "$"
    match = re.match(pattern, path)
    if match is None:
        raise AssertionError(f"{path} does not match {template}")
    return dict(zip(names, match.groups(), strict=True))


def as_mock_request(request: httpx.Request, *, template: str | None = None) -> MockRequest:
    """Turn a captured httpx request into openapi-core's request, keeping every header and byte.

    `template` (e.g. "/Contacts/{ContactID}") picks the operation when two share one path
    shape; without it openapi-core picks the first template that matches.
    """
    assert f"{request.url.scheme}://{request.url.host}" == API_HOST, request.url
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    pattern = None
    view_args = None
    if template is not None:
        pattern = API_PREFIX + template
        view_args = _path_params(pattern, raw_path)
    return MockRequest(
        API_HOST,
        request.method.lower(),
        raw_path,
        path_pattern=pattern,
        view_args=view_args,
        args=dict(request.url.params.multi_items()),
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
    )


def validate_request(request: httpx.Request, *, template: str | None = None) -> None:
    """Raise openapi-core's validation error if `request` breaks the spec."""
    load_openapi().validate_request(as_mock_request(request, template=template))


def schema_property_names(schema_name: str) -> set[str]:
    """Property names of `components.schemas.<schema_name>`."""
    schema = load_spec_dict()["components"]["schemas"][schema_name]
    return set(schema.get("properties", {}))


def body_json(request: httpx.Request) -> Any:
    """The JSON body of a captured request."""
    return json.loads(request.content)
