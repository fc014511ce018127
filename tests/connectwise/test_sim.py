"""The ConnectWise simulator itself: conditions, paging links, seeded data that adds up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xerowatch.clock import FakeClock
from xerowatch.sim.connectwise import SIM_CLIENT_ID, ConnectWiseSim
from xerowatch.sim.connectwise.conditions import ConditionSyntaxError, parse_conditions
from xerowatch.source.connectwise.client import accept_header, basic_auth
from xerowatch.source.connectwise.conditions import Condition, all_of
from xerowatch.source.connectwise.paging import parse_links

RECORD = {
    "id": 7,
    "name": "Acme",
    "company": {"id": 3},
    "_info": {"lastUpdated": "2026-01-02T03:04:05Z"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 7", True),
        ("id != 7", False),
        ('name = "acme"', True),
        ("company/id in (1,2,3)", True),
        ("company/id not in (1,2,3)", False),
        ("_info/lastUpdated > [2026-01-02T03:04:04Z]", True),
        ("_info/lastUpdated >= [2026-01-02T03:04:06Z]", False),
        ('id = 1 or id = 7 and name = "x"', False),  # and binds tighter
        ('(id = 1 or id = 7) and name contains "cm"', True),
        ('ID = 7 AND Name = "Acme"', True),
        ("", True),
    ],
)
def test_conditions_select_as_connectwise_documents(text: str, expected: bool) -> None:
    assert parse_conditions(text)(RECORD) is expected


@pytest.mark.parametrize(
    "text", ["id >", "id ~ 3", "(id = 1", "id in 1", "name = acme", "id = 1 x"]
)
def test_malformed_conditions_are_refused(text: str) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_conditions(text)


@given(
    ids=st.lists(st.integers(0, 10_000), max_size=5),
    after=st.integers(0, 10_000),
    when=st.datetimes(timezones=st.just(dt.UTC)),
)
def test_conditions_the_client_writes_are_read_back_the_same(
    ids: list[int], after: int, when: dt.datetime
) -> None:
    clauses: list[Condition | None] = [
        Condition("id", ">", after),
        Condition("_info/lastUpdated", ">=", when),
    ]
    if ids:
        clauses.append(Condition("company/id", "in", tuple(ids)))
    record = {
        "id": after + 1,
        "company": {"id": ids[0] if ids else 0},
        "_info": {"lastUpdated": when.replace(microsecond=0).isoformat()},
    }
    assert parse_conditions(all_of(clauses))(record)
    assert not parse_conditions(all_of([Condition("id", "<=", after), *clauses[1:]]))(record)


def test_link_headers_parse_every_rel() -> None:
    header = (
        '<https://h/x?page=1>; rel="first", <https://h/x?page=3>; rel="next", '
        '<https://h/x?page=9>; rel="last"'
    )
    assert parse_links(header) == {
        "first": "https://h/x?page=1",
        "next": "https://h/x?page=3",
        "last": "https://h/x?page=9",
    }
    assert parse_links("") == {}


async def test_navigable_and_forward_only_links() -> None:
    sim = ConnectWiseSim(clock=FakeClock())
    sim.seed(customers=2, invoices=30)
    headers = {
        "Authorization": basic_auth("xerowatch", "sim-public", "sim-private"),
        "clientId": SIM_CLIENT_ID,
        "Accept": accept_header("2025.8"),
    }
    url = "http://cw.test/v4_6_release/apis/3.0/finance/accounting/unpostedinvoices"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app)) as http:
        first = await http.get(url, params={"pageSize": 10, "page": 2}, headers=headers)
        links = parse_links(first.headers["link"])
        assert set(links) == {"first", "prev", "next", "last"} and links["last"].endswith("page=3")
        forward = await http.get(
            url, params={"pageSize": 10}, headers={**headers, "pagination-type": "forward-only"}
        )
        page = forward.json()
        assert f"pageId={page[-1]['id']}" in parse_links(forward.headers["link"])["next"]
        missing = await http.get(url, headers={**headers, "clientId": ""})
        assert missing.status_code == 400 and "clientId" in missing.json()["message"]


def test_seeded_data_is_deterministic_and_adds_up() -> None:
    one, two = ConnectWiseSim(clock=FakeClock(), seed=3), ConnectWiseSim(clock=FakeClock(), seed=3)
    assert one.seed(customers=10, invoices=40) == two.seed(customers=10, invoices=40)
    kinds = set()
    for invoice in one.records.invoices.values():
        twin = two.records.invoices[invoice.id]
        assert (invoice.total, invoice.number) == (twin.total, twin.number)
        assert invoice.total == invoice.subtotal + invoice.tax
        assert invoice.tax == (
            sum((ln.total for ln in invoice.lines if ln.taxable), Decimal(0)) * Decimal("0.1")
        ).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        kinds |= {line.kind for line in invoice.lines}
    assert kinds == {"product", "time", "agreement", "agreement_credit"}
    assert one.records.expenses and one.records.purchases
