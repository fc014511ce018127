"""Locating the spec: explicit path, verified local copies, a verified short-timeout download."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import tests.spec as spec
from tests.spec import SPEC_ENV, SPEC_URL, SpecMismatch, SpecUnavailable, locate_spec, sha256_of

PINNED = b"openapi: 3.0.0\ninfo: {title: pinned}\n"


@pytest.fixture(autouse=True)
def pin_small_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the checksum to a tiny stand-in so these tests never need the real 926 KB file."""
    monkeypatch.setattr(spec, "SPEC_SHA256", sha256_of(PINNED))


def _http(handler: httpx.MockTransport) -> httpx.Client:
    return httpx.Client(transport=handler)


def _never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected download of {request.url}")


def test_the_env_path_is_used_as_given(tmp_path: Path) -> None:
    custom = tmp_path / "custom.yaml"
    custom.write_bytes(b"anything")
    found = locate_spec(env={SPEC_ENV: str(custom)}, shared=tmp_path / "none", cache=tmp_path / "c")
    assert found == custom


def test_a_missing_env_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpecMismatch, match="not a file"):
        locate_spec(env={SPEC_ENV: str(tmp_path / "nope.yaml")})


def test_the_shared_copy_is_verified_and_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_bytes(PINNED)
    http = _http(httpx.MockTransport(_never_called))
    assert locate_spec(env={}, shared=shared, cache=tmp_path / "c", http=http) == shared


def test_a_changed_local_copy_is_an_error_not_a_skip(tmp_path: Path) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_bytes(PINNED + b"# edited\n")
    with pytest.raises(SpecMismatch, match="sha256"):
        locate_spec(env={}, shared=shared, cache=tmp_path / "c")


def test_the_pinned_file_is_downloaded_once_into_the_cache(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=PINNED)

    cache = tmp_path / ".cache" / "spec.yaml"
    http = _http(httpx.MockTransport(serve))
    assert locate_spec(env={}, shared=tmp_path / "none", cache=cache, http=http) == cache
    assert cache.read_bytes() == PINNED
    assert str(seen[0].url) == SPEC_URL
    assert seen[0].extensions["timeout"]["connect"] == 5.0
    assert locate_spec(env={}, shared=tmp_path / "none", cache=cache, http=http) == cache
    assert len(seen) == 1


def test_a_download_with_the_wrong_checksum_is_an_error_and_not_cached(tmp_path: Path) -> None:
    http = _http(httpx.MockTransport(lambda request: httpx.Response(200, content=b"tampered")))
    cache = tmp_path / "spec.yaml"
    with pytest.raises(SpecMismatch, match="downloaded spec"):
        locate_spec(env={}, shared=tmp_path / "none", cache=cache, http=http)
    assert not cache.exists()


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectTimeout("timed out"), httpx.ConnectError("no route to host")],
)
def test_no_copy_and_no_network_means_unavailable(tmp_path: Path, failure: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    cache = tmp_path / "spec.yaml"
    with pytest.raises(SpecUnavailable, match="download"):
        locate_spec(
            env={}, shared=tmp_path / "none", cache=cache, http=_http(httpx.MockTransport(fail))
        )
    assert not cache.exists()


def test_an_http_error_status_means_unavailable(tmp_path: Path) -> None:
    http = _http(httpx.MockTransport(lambda request: httpx.Response(404)))
    with pytest.raises(SpecUnavailable):
        locate_spec(env={}, shared=tmp_path / "none", cache=tmp_path / "s.yaml", http=http)
