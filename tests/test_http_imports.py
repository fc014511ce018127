"""A real HTTP request imports nothing new: httpcore's `import sniffio` must find the package."""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

import httpx
import pytest

from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim


class ImportCounter:
    """A meta path finder that only counts the imports Python had to search for."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(
        self, name: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.searched.append(name)
        return None


async def test_requests_over_real_http_search_for_no_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = WisenetSim(api_key="k")
    with serve_in_thread(sim.app) as server:
        async with httpx.AsyncClient() as client:
            await client.get(server.url + "/v1/combos/states", headers={"x-api-key": "k"})
            counter = ImportCounter()
            monkeypatch.setattr(sys, "meta_path", [counter, *sys.meta_path])
            for _ in range(5):
                await client.get(server.url + "/v1/combos/states", headers={"x-api-key": "k"})
    # Without sniffio installed httpcore tried (and failed) to import it 4 times per request.
    assert counter.searched == []
