"""The Wisenet simulator over httpx.ASGITransport: auth, paging, filters, limits, invoices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from xerowatch.clock import FakeClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.wisenet.filters import Filter, FilterError

BASE = "http://wisenet.test/v1"
KEY = "k-1"


@pytest.fixture
def wclock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))  # 20:00 in Sydney


@pytest.fixture
def wsim(wclock: FakeClock) -> WisenetSim:
    return WisenetSim(clock=wclock, api_key=KEY)


@pytest.fixture
async def whttp(wsim: WisenetSim) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wsim.app), base_url=BASE, headers={"x-api-key": KEY}
    ) as client:
        yield client


async def ids(client: httpx.AsyncClient, **params: Any) -> list[int]:
    response = await client.get("/learnersAU", params={"take": 1000, **params})
    assert response.status_code == 200, response.text
    return [item["Data"]["LearnerId"] for item in response.json()]


async def test_bad_or_missing_key_is_401(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    assert (await whttp.get("/learnersAU", headers={"x-api-key": "nope"})).status_code == 401
    response = await whttp.get("/combos/states", headers={"x-api-key": ""})
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}
    assert [r.status for r in wsim.requests] == [401, 401]


async def test_bearer_mode_accepts_only_issued_tokens(wclock: FakeClock) -> None:
    sim = WisenetSim(clock=wclock, bearer_tokens={"tok-1"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BASE) as c:
        ok = await c.get("/combos/states", headers={"Authorization": "Bearer tok-1"})
        bad = await c.get("/combos/states", headers={"Authorization": "Bearer tok-2"})
    assert (ok.status_code, bad.status_code) == (200, 401)


async def test_paging_with_skip_and_take(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    seeded = wsim.seed_learners(7)
    pages = [
        [
            i["Data"]["LearnerId"]
            for i in (await whttp.get("/learnersAU", params={"skip": s, "take": 3})).json()
        ]
        for s in (0, 3, 6, 9)
    ]
    assert pages == [seeded[0:3], seeded[3:6], seeded[6:7], []]
    assert (await whttp.get("/learnersAU", params={"skip": -1})).status_code == 400
    assert (await whttp.get("/learnersAU", params={"take": "many"})).status_code == 400


async def test_take_is_capped_at_1000(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    wsim.seed_learners(1005)
    assert len(await ids(whttp, take=5000)) == 1000


async def test_timestamp_filter_operators(
    wsim: WisenetSim, whttp: httpx.AsyncClient, wclock: FakeClock
) -> None:
    a = wsim.seed_learners(1)[0]  # 20:00:00.000 local
    wclock.advance(60)
    b = wsim.seed_learners(1, seed=2)[0]  # 20:01
    wclock.advance(60)
    c = wsim.seed_learners(1, seed=3)[0]  # 20:02
    f = "lastModifiedTimeStampFilter"
    assert await ids(whttp, **{f: "gt:2026-11-02T20:01:00.000"}) == [c]
    assert await ids(whttp, **{f: "ge:2026-11-02T20:01:00"}) == [b, c]
    assert await ids(whttp, **{f: "lt:2026-11-02T20:01:00"}) == [a]
    assert await ids(whttp, **{f: "le:2026-11-02T20:01:00"}) == [a, b]
    assert await ids(whttp, **{f: "eq:2026-11-02T20:02:00"}) == [c]
    assert await ids(whttp, **{f: "2026-11-02T20:02:00"}) == [c]  # plain value = eq
    assert await ids(whttp, **{f: "bt:2026-11-02T20:00:30,2026-11-02T20:01:30"}) == [b]
    assert (await whttp.get("/learnersAU", params={f: "gt:tomorrow"})).status_code == 400


async def test_flag_and_text_filters(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    seeded = wsim.seed_awkward()
    no_sync, inactive = seeded["no_sync"], seeded["inactive"]
    assert no_sync not in await ids(whttp, syncToXeroFilter="true")
    assert await ids(whttp, syncToXeroFilter="false") == [no_sync]
    assert await ids(whttp, isActiveFilter="false") == [inactive]
    number = f"DAU{seeded['apostrophe']:07d}"
    assert await ids(whttp, learnerNumberFilter=number) == [seeded["apostrophe"]]
    assert await ids(whttp, learnerNumberFilter=f"in:{number},DAU0000000") == [seeded["apostrophe"]]
    assert await ids(whttp, emailAddressFilter="ct:EXAMPLE.IE") == [
        seeded["apostrophe"],
        seeded["double_quote"],
    ]


async def test_one_learner_and_regions(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    au = wsim.seed_learners(1)[0]
    nz = wsim.seed_learners(1, region="NZ")[0]
    item = (await whttp.get(f"/learnersAU/{au}")).json()
    assert item["Data"]["LearnerId"] == au and "Relationships" in item
    assert (await whttp.get(f"/learnersAU/{nz}")).status_code == 404
    assert (await whttp.get(f"/learnersNZ/{nz}")).json()["Data"]["Personal"]["LearnerNumber"] == (
        f"DNZ{nz:07d}"
    )
    assert (await whttp.get("/learnersAU/abc")).status_code == 400


async def test_combos(whttp: httpx.AsyncClient) -> None:
    states = (await whttp.get("/combos/states")).json()
    countries = (await whttp.get("/combos/countries")).json()
    assert {"StateId": 1, "Code": "NSW"}.items() <= states[0].items()
    assert {c["Description"] for c in countries} >= {"Australia", "New Zealand"}


async def test_audit_log_records_deletes_and_can_be_switched_off(
    wsim: WisenetSim, whttp: httpx.AsyncClient, wclock: FakeClock
) -> None:
    gone = wsim.seed_learners(2)[0]
    wclock.advance(60)
    wsim.data.delete_learner(gone)
    params = {
        "auditActionFilter": "D",
        "entityNameFilter": "Learner",
        "lastModifiedTimeStampFilter": "gt:2026-11-02T20:00:30",
    }
    entries = (await whttp.get("/audit-logs", params=params)).json()
    assert [e["Data"]["RecordId"] for e in entries] == [gone]
    assert (await whttp.get(f"/learnersAU/{gone}")).status_code == 404
    wsim.audit_logs_status = 403
    assert (await whttp.get("/audit-logs", params=params)).status_code == 403


async def test_invoice_upsert(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    learner = wsim.seed_learners(1)[0]
    assert (await whttp.get("/invoices/abc")).status_code == 404
    body = {"InvoiceId": "abc", "LearnerId": learner, "SourceAppKey": "xerowatch", "Status": "PAID"}
    assert (await whttp.put("/invoices/abc", json=body)).status_code == 200
    assert (await whttp.put("/invoices/abc", json={**body, "Status": "VOIDED"})).status_code == 200
    assert (await whttp.get("/invoices/abc")).json()["Status"] == "VOIDED"
    assert (await whttp.put("/invoices/abc", json={**body, "InvoiceId": "x"})).status_code == 400
    assert (await whttp.put("/invoices/abc", json={**body, "LearnerId": 1})).status_code == 400
    assert (await whttp.put("/invoices/abc", content=b"{not json")).status_code == 400
    assert wsim.count("/invoices/abc", "PUT") == 5


async def test_ten_requests_per_second(
    wsim: WisenetSim, whttp: httpx.AsyncClient, wclock: FakeClock
) -> None:
    statuses = [(await whttp.get("/combos/states")).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert wsim.requests[-1].status == 429
    wclock.advance(1)
    assert (await whttp.get("/combos/states")).status_code == 200


async def test_daily_quota_resets_at_local_midnight(wclock: FakeClock) -> None:
    sim = WisenetSim(clock=wclock, api_key=KEY, daily_quota=3)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url=BASE, headers={"x-api-key": KEY}
    ) as c:
        codes = []
        for _ in range(4):
            codes.append((await c.get("/combos/states")).status_code)
            wclock.advance(1)
        limited = await c.get("/combos/states")
        assert codes == [200, 200, 200, 429]
        assert int(limited.headers["Retry-After"]) == 4 * 3600 - 4  # 20:00:04 → midnight
        wclock.advance(4 * 3600)
        assert (await c.get("/combos/states")).status_code == 200


async def test_fail_next_injects_failures(wsim: WisenetSim, whttp: httpx.AsyncClient) -> None:
    wsim.fail_next("/combos/states", 503, times=2)
    codes = [(await whttp.get("/combos/states")).status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_seed_learners_is_deterministic(wclock: FakeClock) -> None:
    one, two = WisenetSim(clock=wclock), WisenetSim(clock=wclock)
    one.seed_learners(20, seed=5)
    two.seed_learners(20, seed=5)
    assert one.data.learners == two.data.learners
    names = {r["Personal"]["LastName"] for r in one.data.learners["AU"].values()}
    assert len(names) > 5


def test_awkward_seed_covers_the_hard_cases(wclock: FakeClock) -> None:
    sim = WisenetSim(clock=wclock)
    seeded = sim.seed_awkward()
    learners = sim.data.learners["AU"]
    assert learners[seeded["email_blanks"]]["Personal"]["EmailAddresses"]["Email"].startswith(" ")
    assert learners[seeded["unknown_country"]]["Personal"]["StreetAddress"]["CountryId"] == 9999
    street = learners[seeded["missing_state_postcode"]]["Personal"]["StreetAddress"]
    assert street["StateId"] is None and street["Postcode"] is None
    assert learners[seeded["no_sync"]]["Personal"]["SyncToXero"] is False
    assert learners[seeded["inactive"]]["Personal"]["IsActive"] is False
    assert learners[seeded["double_quote"]]["Personal"]["LastName"] == 'O"Brien'


@pytest.mark.parametrize(
    ("raw", "value", "kind", "expected"),
    [
        ("gt:5", 6, "int", True),
        ("gt:5", 5, "int", False),
        ("ne:5", None, "int", True),
        ("ni:1,2", 3, "int", True),
        ("nc:foo", "Food", "text", False),
        ("eq:TRUE", True, "bool", True),
        ("true", False, "bool", False),
        ("le:2026-01-01T00:00:00", "2026-01-01T00:00:00.000", "timestamp", True),
    ],
)
def test_filter_semantics(raw: str, value: Any, kind: str, expected: bool) -> None:
    assert Filter.parse(raw).matches(value, kind) is expected


@pytest.mark.parametrize(("raw", "kind"), [("bt:1", "int"), ("gt:x", "int"), ("eq:maybe", "bool")])
def test_bad_filters_raise(raw: str, kind: str) -> None:
    with pytest.raises(FilterError):
        Filter.parse(raw).matches(1, kind)
