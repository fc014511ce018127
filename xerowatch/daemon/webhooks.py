"""Webhook payloads: Xero signature check and parsing, Wisenet pokes, deduplicated enqueueing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xerowatch.clock import Clock
from xerowatch.store import webhook_events
from xerowatch.store.db import Store
from xerowatch.store.webhook_events import XeroEventRow

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a body may have (Xero's payloads have 3 levels).

json.loads recurses once per level, so a 1 MiB body of brackets would raise RecursionError."""
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
XERO_REQUIRED = ("tenantId", "resourceId", "eventCategory", "eventType", "eventDateUtc")


class WebhookPayloadError(ValueError):
    """A webhook body that cannot be understood (after its signature or secret checked out)."""


@dataclass(frozen=True)
class XeroWebhookEvent:
    """One thin Xero event: what changed, where, and when."""

    tenant_id: str
    resource_id: str
    event_category: str
    event_type: str
    event_date_utc: str
    resource_url: str = ""

    @property
    def event_key(self) -> str:
        """Dedupe key: a hash of tenant, resource, category, type and event time."""
        return _digest(
            "xero",
            self.tenant_id,
            self.resource_id,
            self.event_category,
            self.event_type,
            self.event_date_utc,
        )


@dataclass(frozen=True)
class XeroPayload:
    """A parsed Xero delivery: the usable events, and how many items were unusable."""

    events: tuple[XeroWebhookEvent, ...]
    skipped: int


@dataclass(frozen=True)
class WisenetWebhookEvent:
    """One Wisenet notification: identifiers only (the record is fetched by the poke loop)."""

    account_number: str
    record_id: str
    record_guid: str
    entity_name: str
    event: str

    @property
    def is_learner(self) -> bool:
        """True for Learner events, the only ones xerowatch acts on."""
        return self.entity_name.strip().lower() == "learner"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def xero_signature(body: bytes, key: str) -> str:
    """Return base64(HMAC-SHA256(body, key)), the value Xero sends in x-xero-signature."""
    mac = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def verify_xero_signature(body: bytes, header: str | None, key: str) -> bool:
    """Check `header` against the HMAC of the raw body, in constant time."""
    if not header or not key:
        return False
    expected = xero_signature(body, key).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def verify_shared_secret(header: str | None, secret: str) -> bool:
    """Compare a shared-secret header with the configured secret, in constant time."""
    if not header or not secret:
        return False
    return hmac.compare_digest(header.encode("utf-8", "replace"), secret.encode("utf-8"))


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """True if the JSON text nests arrays/objects more than `limit` deep (strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for char in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if char in b"[{" else -1
        if depth > limit:
            return True
    return False


def _is_text(value: object) -> bool:
    """A non-empty string that can be stored and hashed (JSON can escape lone surrogates)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _load_object(body: bytes) -> dict[str, Any]:
    if nested_deeper_than(body, MAX_JSON_DEPTH):
        raise WebhookPayloadError(f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WebhookPayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"body must be a JSON object, got {type(data).__name__}")
    return data


def parse_xero_payload(body: bytes) -> XeroPayload:
    """Parse a Xero delivery; items lacking a required string field are skipped and counted.

    The schema is deliberately not enforced beyond that: Xero's intent-to-receive payload has
    sequence numbers of 0, which the published schema forbids.
    """
    data = _load_object(body)
    items = data.get("events")
    if not isinstance(items, list):
        raise WebhookPayloadError("body has no 'events' list")
    events: list[XeroWebhookEvent] = []
    skipped = 0
    for item in items:
        if not isinstance(item, dict) or not all(_is_text(item.get(n)) for n in XERO_REQUIRED):
            skipped += 1
            continue
        url = item.get("resourceUrl")
        events.append(
            XeroWebhookEvent(
                tenant_id=item["tenantId"],
                resource_id=item["resourceId"],
                event_category=item["eventCategory"].upper(),
                event_type=item["eventType"].upper(),
                event_date_utc=item["eventDateUtc"],
                resource_url=url if isinstance(url, str) and _is_text(url) else "",
            )
        )
    return XeroPayload(events=tuple(events), skipped=skipped)


def _identifier(data: dict[str, Any], name: str, *, required: bool) -> str:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        if required or value is not None:
            raise WebhookPayloadError(f"{name} must be a string or an integer")
        return ""
    text = str(value).strip()
    if required and not text:
        raise WebhookPayloadError(f"{name} is empty")
    if text and not _is_text(text):
        raise WebhookPayloadError(f"{name} is not valid text (an unpaired surrogate)")
    return text


def parse_wisenet_event(body: bytes) -> WisenetWebhookEvent:
    """Parse `{AccountNumber, RecordId, RecordGuid, EntityName, Event}`."""
    data = _load_object(body)
    return WisenetWebhookEvent(
        account_number=_identifier(data, "AccountNumber", required=False),
        record_id=_identifier(data, "RecordId", required=True),
        record_guid=_identifier(data, "RecordGuid", required=False),
        entity_name=_identifier(data, "EntityName", required=True),
        event=_identifier(data, "Event", required=True),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


async def enqueue_xero_events(
    store: Store, clock: Clock, events: tuple[XeroWebhookEvent, ...] | list[XeroWebhookEvent]
) -> list[XeroWebhookEvent]:
    """Store the events not seen before (replays are dropped); return the new ones."""
    rows = [
        XeroEventRow(
            event_key=event.event_key,
            tenant_id=event.tenant_id,
            category=event.event_category,
            event_type=event.event_type,
            resource_id=event.resource_id,
        )
        for event in events
    ]
    fresh = await webhook_events.add_xero_events(store, rows, _iso(clock.now()))
    return [events[position] for position in fresh]


async def enqueue_wisenet_poke(store: Store, clock: Clock, event: WisenetWebhookEvent) -> bool:
    """Queue a poke for the learner unless one is already pending; return whether one was added.

    Wisenet events carry no timestamp, so a key of identifiers alone would swallow every later
    update of the same learner; instead pending pokes for a record coalesce into one (the poke
    loop fetches the learner's current state anyway).
    """
    return await webhook_events.add_wisenet_poke(
        store, event.record_id, event.entity_name, event.event, _iso(clock.now())
    )
