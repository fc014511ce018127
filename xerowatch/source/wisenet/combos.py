"""Wisenet's state and country look-up lists (`/combos/states`, `/combos/countries`), cached."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from xerowatch.clock import Clock
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet.client import WisenetClient

log = logging.getLogger(__name__)

STATES_PATH = "/combos/states"
COUNTRIES_PATH = "/combos/countries"
DEFAULT_TTL_SECONDS = 6 * 3600.0


@dataclass(frozen=True)
class Combos:
    """State id → state code and country id → country name."""

    states: Mapping[int, str] = field(default_factory=dict)
    countries: Mapping[int, str] = field(default_factory=dict)

    def state(self, state_id: int | None) -> str | None:
        """The state code, the raw id as text when it is unknown, or None when unset."""
        if state_id is None:
            return None
        return self.states.get(state_id, str(state_id))

    def country(self, country_id: int | None) -> str | None:
        """The country name, the raw id as text when it is unknown, or None when unset."""
        if country_id is None:
            return None
        return self.countries.get(country_id, str(country_id))


class ComboCache:
    """Fetches both lists once per `ttl_seconds`; if a refresh fails, serves the old ones."""

    def __init__(
        self, client: WisenetClient, clock: Clock, *, ttl_seconds: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl_seconds
        self._combos: Combos | None = None
        self._fetched_at = 0.0
        self._lock = anyio.Lock()

    async def get(self) -> Combos:
        """Return the cached lists, fetching them first if they are missing or expired."""
        async with self._lock:
            fresh = self._clock.monotonic() - self._fetched_at < self._ttl
            if self._combos is not None and fresh:
                return self._combos
            try:
                states = await self._client.get_json(STATES_PATH)
                countries = await self._client.get_json(COUNTRIES_PATH)
            except SourceError as exc:
                if self._combos is None or not exc.transient:
                    raise
                log.warning("Wisenet combos refresh failed, using the cached lists: %s", exc)
                return self._combos
            self._combos = Combos(
                states=_index(states, "StateId", "Code", STATES_PATH),
                countries=_index(countries, "CountryId", "Description", COUNTRIES_PATH),
            )
            self._fetched_at = self._clock.monotonic()
            return self._combos


def _index(payload: Any, id_key: str, text_key: str, path: str) -> dict[int, str]:
    """Map id → text from a combo list; items may be bare or wrapped in a `Data` envelope."""
    if not isinstance(payload, list):
        raise SourceError(f"Wisenet GET {path}: expected a JSON array", transient=False)
    index: dict[int, str] = {}
    for item in payload:
        row = item.get("Data", item) if isinstance(item, dict) else None
        if not isinstance(row, dict):
            continue
        key, text = row.get(id_key), row.get(text_key)
        if isinstance(key, int) and isinstance(text, str) and text.strip():
            index[key] = text.strip()
    return index
