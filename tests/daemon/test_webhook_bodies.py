"""Malformed webhook bodies: Xero's signed ones get 200 + alert, Wisenet's a 4xx, never a 500."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests.daemon.test_webhooks import KEY, SECRET, TENANT, event
from tests.store.damage import build_store, zero_table
from xerowatch.clock import FakeClock
from xerowatch.config import DaemonSettings
from xerowatch.daemon.http_routes import WEBHOOK_MALFORMED, WISENET_SECRET_HEADER, build_app
from xerowatch.daemon.metrics import CallMetrics
from xerowatch.daemon.webhooks import (
    MAX_JSON_DEPTH,
    WebhookPayloadError,
    parse_wisenet_event,
    parse_xero_payload,
    xero_signature,
)
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import Store, open_store


async def post(store: Store, path: str, body: bytes) -> httpx.Response:
    daemon = DaemonSettings(
        xero_webhook_key=SecretStr(KEY), wisenet_webhook_secret=SecretStr(SECRET)
    )
    app = build_app(
        store=store, clock=FakeClock(), daemon=daemon, loops=lambda: None, calls=CallMetrics()
    )
    # raise_app_exceptions=False: an exception escaping the app is seen as the 500 Xero sees.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"content-type": "application/json", WISENET_SECRET_HEADER: SECRET}
    headers["x-xero-signature"] = xero_signature(body, KEY)
    async with httpx.AsyncClient(transport=transport, base_url="http://daemon") as http:
        return await http.post(path, content=body, headers=headers)


def nested(depth: int) -> bytes:
    return b'{"events": ' + b"[" * depth + b"]" * depth + b"}"


async def test_deeply_nested_signed_xero_body_is_200_with_an_alert(store: Store) -> None:
    response = await post(store, "/webhooks/xero", nested(200_000))

    assert (response.status_code, response.content) == (200, b"")
    [alert] = await open_alerts(store, type_=WEBHOOK_MALFORMED)
    assert f"nested deeper than {MAX_JSON_DEPTH}" in alert.message


async def test_deeply_nested_wisenet_body_is_400(store: Store) -> None:
    response = await post(store, "/webhooks/wisenet", b'{"RecordId": ' + b"[" * 100_000 + b"}")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]


async def test_text_that_cannot_be_stored_is_not_a_500(store: Store) -> None:
    """JSON may escape lone surrogates ("\\ud800"), which no UTF-8 store or hash accepts."""
    bad = json.dumps({"events": [{**event(), "tenantId": "\ud800"}]}).encode()
    assert (await post(store, "/webhooks/xero", bad)).status_code == 200
    wisenet = json.dumps({"RecordId": "\udfff", "EntityName": "Learner", "Event": "x"}).encode()
    response = await post(store, "/webhooks/wisenet", wisenet)
    assert response.status_code == 400
    assert "RecordId" in response.json()["error"]


def test_nesting_within_the_cap_still_parses() -> None:
    inner: Any = "deep"
    for _ in range(MAX_JSON_DEPTH - 3):
        inner = [inner]
    body = json.dumps({"events": [{**event(), "extra": inner}]}).encode()
    assert [e.tenant_id for e in parse_xero_payload(body).events] == [TENANT]


FIELD_NAMES = [
    *("events", "tenantId", "resourceId", "eventCategory", "eventType", "eventDateUtc"),
    *("RecordId", "EntityName", "Event", "AccountNumber", "x"),
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "\u202e", "\x00", TENANT, "INVOICE", "Learner"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(FIELD_NAMES),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(lambda v: json.dumps({"events": [v]}).encode(), json_values),
    st.integers(min_value=1, max_value=5000).map(nested),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_no_webhook_body_gets_a_500(body: bytes) -> None:
    async def run() -> tuple[int, int]:
        store = await open_store(":memory:")
        try:
            xero = await post(store, "/webhooks/xero", body)
            wisenet = await post(store, "/webhooks/wisenet", body)
            return xero.status_code, wisenet.status_code
        finally:
            await store.close()

    xero, wisenet = anyio.run(run)
    assert xero == 200  # signed: Xero's, so accepted (with an alert when unreadable)
    assert wisenet in (200, 400)


@settings(max_examples=150, deadline=None)
@given(body=bodies)
def test_parsers_return_or_raise_their_own_error_only(body: bytes) -> None:
    for parse in (parse_xero_payload, parse_wisenet_event):
        with contextlib.suppress(WebhookPayloadError):
            parse(body)


async def test_a_damaged_store_is_a_503_not_a_500(tmp_path: Path) -> None:
    """Xero delivers again later (after the restore); the daemon itself stops on the damage."""
    path = tmp_path / "x.db"
    await build_store(path, alerts=5)
    zero_table(path, "webhook_events")
    damaged = await open_store(path, run_migrations=False)
    try:
        body = json.dumps({"events": [event()]}).encode()
        assert (await post(damaged, "/webhooks/xero", body)).status_code == 503
        wisenet = json.dumps({"RecordId": 7, "EntityName": "Learner", "Event": "x"}).encode()
        assert (await post(damaged, "/webhooks/wisenet", wisenet)).status_code == 503
    finally:
        await damaged.close()
