"""Webhooks over ASGI: Xero signatures, intent-to-receive, replays, bad bodies; Wisenet pokes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config import DaemonSettings
from xerowatch.daemon.http_routes import WEBHOOK_MALFORMED, WISENET_SECRET_HEADER, build_app
from xerowatch.daemon.metrics import CallMetrics
from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.daemon.webhooks import (
    WebhookPayloadError,
    XeroWebhookEvent,
    parse_xero_payload,
    verify_xero_signature,
    xero_signature,
)
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import Store

KEY = "jxjRnPYwXkYlTt6Ck4Up0aP2BZwWx3VNmjXzW9CqMvUPKsdZ4Yc8y4cgY7rVY0Mn"
SECRET = "wisenet-shared-secret"
TENANT = "aef86862-2015-4b6b-88bc-d89032cecc50"


class RecordingLoops:
    """Stands in for the supervisor: records wakes, reports no loops."""

    def __init__(self) -> None:
        self.woken: list[str] = []

    def health(self) -> dict[str, LoopHealth]:
        return {}

    def wake(self, name_prefix: str) -> None:
        self.woken.append(name_prefix)


@pytest.fixture
def loops() -> RecordingLoops:
    return RecordingLoops()


@pytest.fixture
async def client(
    store: Store, clock: FakeClock, loops: RecordingLoops
) -> AsyncIterator[httpx.AsyncClient]:
    daemon = DaemonSettings(
        xero_webhook_key=SecretStr(KEY), wisenet_webhook_secret=SecretStr(SECRET)
    )
    app = build_app(
        store=store, clock=clock, daemon=daemon, loops=lambda: loops, calls=CallMetrics()
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://daemon") as http:
        yield http


def event(
    category: str = "INVOICE",
    resource: str = "55d84274-a3da-4829-a7c0-0cab601b95cc",
    when: str = "2026-11-02T01:15:39.902",
) -> dict[str, Any]:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource}",
        "resourceId": resource,
        "eventDateUtc": when,
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
    }


def delivery(*events: dict[str, Any]) -> bytes:
    body = {
        "events": list(events),
        "firstEventSequence": 1,
        "lastEventSequence": len(events),
        "entropy": "FXNGWLCCGVANWHKILRUB",
    }
    return json.dumps(body).encode()


async def post_xero(
    http: httpx.AsyncClient, body: bytes, signature: str | None = None
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    headers["x-xero-signature"] = xero_signature(body, KEY) if signature is None else signature
    return await http.post("/webhooks/xero", content=body, headers=headers)


async def stored_events(store: Store) -> list[dict[str, Any]]:
    rows = await store.fetchall("SELECT * FROM webhook_events ORDER BY id")
    return [dict(row) for row in rows]


async def test_signed_events_are_enqueued_and_wake_the_pullers(
    client: httpx.AsyncClient, store: Store, loops: RecordingLoops
) -> None:
    body = delivery(
        event("INVOICE"), event("CONTACT", resource="c0ffee00-0000-4000-8000-000000000001")
    )
    response = await post_xero(client, body)

    assert response.status_code == 200
    assert response.content == b""
    rows = await stored_events(store)
    assert [(r["source"], r["category"], r["tenant_id"]) for r in rows] == [
        ("xero", "INVOICE", TENANT),
        ("xero", "CONTACT", TENANT),
    ]
    assert all(r["processed_at"] is None for r in rows)
    # only this organisation's loops: a wake costs the puller a share of the tenant's budget
    assert sorted(loops.woken) == [f"pull_contacts[{TENANT}]", f"pull_transactions[{TENANT}]"]


async def test_bad_or_missing_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, store: Store, loops: RecordingLoops
) -> None:
    body = delivery(event())
    wrong = xero_signature(body, "another-key")
    assert (await post_xero(client, body, signature=wrong)).status_code == 401
    no_header = await client.post("/webhooks/xero", content=body)
    assert no_header.status_code == 401
    assert no_header.content == b""
    tampered = await post_xero(
        client, body.replace(b"UPDATE", b"CREATE"), signature=xero_signature(body, KEY)
    )
    assert tampered.status_code == 401
    assert await stored_events(store) == []
    assert loops.woken == []


async def test_intent_to_receive_answers_200_or_401_by_signature_alone(
    client: httpx.AsyncClient, store: Store
) -> None:
    # Sequences of 0 violate the published schema (minimum: 1): the status must not depend on it.
    itr = (
        b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,'
        b'"entropy":"SFUZXIOPLHYBUMRRBSOA"}'
    )
    good = await post_xero(client, itr)
    bad = await post_xero(client, itr, signature="aW52YWxpZA==")

    assert (good.status_code, good.content) == (200, b"")
    assert (bad.status_code, bad.content) == (401, b"")
    assert await stored_events(store) == []


async def test_replayed_events_are_stored_once(
    client: httpx.AsyncClient, store: Store, loops: RecordingLoops
) -> None:
    body = delivery(event(), event())  # duplicated inside one delivery too
    assert (await post_xero(client, body)).status_code == 200
    assert (await post_xero(client, body)).status_code == 200
    later = delivery(event(when="2026-11-02T01:20:00.000"))
    assert (await post_xero(client, later)).status_code == 200

    assert len(await stored_events(store)) == 2
    puller = f"pull_transactions[{TENANT}]"
    assert loops.woken == [puller, puller]  # the replay woke nobody


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"events": "nope"}', b"\xff\xfe"],
    ids=["syntax", "array", "events-not-list", "not-utf8"],
)
async def test_signed_but_malformed_body_is_accepted_with_an_alert(
    client: httpx.AsyncClient, store: Store, body: bytes
) -> None:
    response = await post_xero(client, body)

    assert (response.status_code, response.content) == (200, b"")
    assert await stored_events(store) == []
    [alert] = await open_alerts(store, type_=WEBHOOK_MALFORMED)
    assert alert.record == "xero"


async def test_unsigned_malformed_body_is_401(client: httpx.AsyncClient, store: Store) -> None:
    assert (await post_xero(client, b"{not json", signature="x")).status_code == 401
    assert await open_alerts(store) == []


async def test_events_missing_fields_are_skipped_not_fatal(
    client: httpx.AsyncClient, store: Store
) -> None:
    partial = {k: v for k, v in event().items() if k != "tenantId"}
    response = await post_xero(client, delivery(partial, event("CREDITNOTE")))

    assert response.status_code == 200
    assert [r["category"] for r in await stored_events(store)] == ["CREDITNOTE"]


async def test_oversized_bodies_are_413(client: httpx.AsyncClient, store: Store) -> None:
    big = b'{"events": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await post_xero(client, big)).status_code == 413


async def test_oversized_chunked_body_without_content_length_is_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536  # 1.25 MiB in total, no Content-Length header

    response = await client.post(
        "/webhooks/xero", content=chunks(), headers={"x-xero-signature": "irrelevant"}
    )
    assert response.status_code == 413


async def test_wisenet_learner_event_queues_one_poke(
    client: httpx.AsyncClient, store: Store, loops: RecordingLoops
) -> None:
    body = {
        "AccountNumber": 1001,
        "RecordId": 52341,
        "RecordGuid": "b7c9",
        "EntityName": "Learner",
        "Event": "Updated",
    }
    headers = {WISENET_SECRET_HEADER: SECRET}
    first = await client.post("/webhooks/wisenet", json=body, headers=headers)
    again = await client.post("/webhooks/wisenet", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    [row] = await stored_events(store)
    assert (row["source"], row["resource_id"], row["event_type"]) == ("wisenet", "52341", "Updated")
    assert loops.woken == ["poke_learners"]  # the pending poke absorbed the repeat

    await store.execute("UPDATE webhook_events SET processed_at = 'done'")
    assert (await client.post("/webhooks/wisenet", json=body, headers=headers)).status_code == 200
    assert len(await stored_events(store)) == 2


async def test_wisenet_checks_the_secret_and_the_body(
    client: httpx.AsyncClient, store: Store
) -> None:
    body = {"RecordId": 7, "EntityName": "Learner", "Event": "Created"}
    assert (await client.post("/webhooks/wisenet", json=body)).status_code == 401
    wrong = {WISENET_SECRET_HEADER: SECRET + "x"}
    assert (await client.post("/webhooks/wisenet", json=body, headers=wrong)).status_code == 401
    ok = {WISENET_SECRET_HEADER: SECRET}
    malformed = await client.post("/webhooks/wisenet", json={"EntityName": "Learner"}, headers=ok)
    assert malformed.status_code == 400
    assert "RecordId" in malformed.json()["error"]
    course = {"RecordId": 9, "EntityName": "CourseEnrolment", "Event": "Created"}
    assert (await client.post("/webhooks/wisenet", json=course, headers=ok)).status_code == 200
    assert await stored_events(store) == []


async def test_webhook_routes_exist_only_when_configured(store: Store, clock: FakeClock) -> None:
    app = build_app(
        store=store, clock=clock, daemon=DaemonSettings(), loops=lambda: None, calls=CallMetrics()
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://d"
    ) as http:
        assert (await http.post("/webhooks/xero", content=b"{}")).status_code == 404
        assert (await http.post("/webhooks/wisenet", content=b"{}")).status_code == 404


def test_event_key_covers_the_identifying_fields() -> None:
    base = XeroWebhookEvent(TENANT, "r1", "INVOICE", "UPDATE", "2026-11-02T01:15:39.902")
    same = XeroWebhookEvent(TENANT, "r1", "INVOICE", "UPDATE", "2026-11-02T01:15:39.902", "u")
    assert base.event_key == same.event_key
    for changed in (
        XeroWebhookEvent("t2", "r1", "INVOICE", "UPDATE", "2026-11-02T01:15:39.902"),
        XeroWebhookEvent(TENANT, "r2", "INVOICE", "UPDATE", "2026-11-02T01:15:39.902"),
        XeroWebhookEvent(TENANT, "r1", "CONTACT", "UPDATE", "2026-11-02T01:15:39.902"),
        XeroWebhookEvent(TENANT, "r1", "INVOICE", "CREATE", "2026-11-02T01:15:39.902"),
        XeroWebhookEvent(TENANT, "r1", "INVOICE", "UPDATE", "2026-11-02T01:15:39.903"),
    ):
        assert changed.event_key != base.event_key


@given(body=st.binary(max_size=512), key=st.text(min_size=1, max_size=64))
def test_signature_verifies_exactly_the_signed_bytes(body: bytes, key: str) -> None:
    signature = xero_signature(body, key)
    assert verify_xero_signature(body, signature, key)
    assert not verify_xero_signature(body + b" ", signature, key)
    assert not verify_xero_signature(body, signature, key + "x")
    assert not verify_xero_signature(body, None, key)


@given(
    body=st.one_of(
        st.binary(max_size=256),
        st.builds(
            lambda v: json.dumps(v).encode(),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(
                        st.sampled_from(["events", "tenantId", "x"]), inner, max_size=3
                    )
                ),
                max_leaves=10,
            ),
        ),
    )
)
def test_parser_returns_or_raises_its_own_error_only(body: bytes) -> None:
    try:
        payload = parse_xero_payload(body)
    except WebhookPayloadError:
        return
    assert all(e.tenant_id and e.resource_id for e in payload.events)
