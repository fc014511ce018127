"""Inventory adjustments → balanced manual journals on per-warehouse inventory accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import (
    AdjustmentDetail,
    GLInventoryTransfer,
    UnpostedProcurement,
)
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_inventory import (
    MappedJournal,
    NoJournal,
    map_adjustment,
    map_transfer,
)
from xerowatch.xero.models_documents import round_money

from .conftest import cw_settings

DAY = dt.datetime(2026, 11, 4, 3, 0, tzinfo=dt.UTC)
ACCOUNTS = {"Sydney": "630", "Melbourne": "631"}


def inventory_settings(**overrides: Any) -> ConnectWiseSettings:
    values: dict[str, Any] = {
        "warehouse_inventory_accounts": ACCOUNTS,
        "inventory_adjustment_account": "455",
    }
    values.update(overrides)
    return cw_settings(**values)


def detail(
    id: int, warehouse: str, quantity: Decimal | int, cost: Decimal | str
) -> AdjustmentDetail:
    return AdjustmentDetail.model_validate(
        {
            "id": id,
            "catalogItem": {"id": id, "identifier": "MON-27"},
            "warehouse": {"id": 1, "name": warehouse},
            "quantityAdjusted": str(quantity),
            "unitCost": str(cost),
        }
    )


def adjustment(id: int, total: Decimal, kind: str = "Adjustment") -> UnpostedProcurement:
    return UnpostedProcurement.model_validate(
        {
            "id": id,
            "procurementType": kind,
            "adjustment": {"id": id, "identifier": f"ADJ{id}"},
            "purchaseDate": DAY.isoformat(),
            "total": str(total),
        }
    )


def test_an_adjustment_debits_its_warehouse_and_credits_the_adjustment_account() -> None:
    details = [detail(1, "Sydney", 2, "272.965"), detail(2, "Melbourne", -1, "10.00")]
    mapped = map_adjustment(adjustment(40, Decimal("535.93")), details, inventory_settings())
    assert isinstance(mapped, MappedJournal), mapped
    lines = {(ln.account_code, ln.line_amount) for ln in mapped.draft.journal_lines}
    assert lines == {
        ("630", Decimal("545.93")),
        ("631", Decimal("-10.00")),
        ("455", Decimal("-535.93")),
    }
    assert mapped.draft.narration == "ConnectWise inventory adjustment ADJ40 (40)"
    assert mapped.draft.date == DAY.date()


def test_write_offs_and_revaluations_go_to_their_adjustment_type_s_account() -> None:
    """ConnectWise maps each adjustment type to a GL account (Inventory: Adjustment Type) and
    sends it in the export: the journal's other side goes there, not to the fallback."""
    write_off = [detail(1, "Sydney", -2, "12.50")]
    mapped = map_adjustment(
        adjustment(42, Decimal("-25.00")), write_off, inventory_settings(), None, "6150"
    )
    assert isinstance(mapped, MappedJournal), mapped
    lines = {(ln.account_code, ln.line_amount) for ln in mapped.draft.journal_lines}
    assert lines == {("630", Decimal("-25.00")), ("6150", Decimal("25.00"))}
    # ConnectWise's account number goes through [connectwise] account_codes like invoice lines
    renamed = inventory_settings(account_codes={"6150": "WRITEOFF"})
    mapped = map_adjustment(adjustment(42, Decimal("-25.00")), write_off, renamed, None, "6150")
    assert isinstance(mapped, MappedJournal)
    assert "WRITEOFF" in {ln.account_code for ln in mapped.draft.journal_lines}
    # a type with an account needs no fallback; neither → held, naming both fixes
    only_type = cw_settings(warehouse_inventory_accounts=ACCOUNTS)
    mapped = map_adjustment(adjustment(43, Decimal("-25.00")), write_off, only_type, None, "6150")
    assert isinstance(mapped, MappedJournal)
    neither = map_adjustment(adjustment(44, Decimal("-25.00")), write_off, only_type, None, " ")
    assert isinstance(neither, HeldRecord)
    assert "map the type there" in neither.reason
    assert "inventory_adjustment_account" in neither.reason


def test_a_transfer_between_warehouses_balances_without_the_adjustment_account() -> None:
    details = [detail(1, "Sydney", 3, "5.00"), detail(2, "Melbourne", -3, "5.00")]
    mapped = map_adjustment(adjustment(41, Decimal("0.00")), details, inventory_settings())
    assert isinstance(mapped, MappedJournal), mapped
    assert {ln.account_code for ln in mapped.draft.journal_lines} == {"630", "631"}


def test_what_cannot_be_journalled_exactly_is_held_with_the_fix() -> None:
    ok = [detail(1, "Sydney", 1, "5.00")]
    s = inventory_settings()
    unknown = map_adjustment(adjustment(1, Decimal("5.00")), [detail(1, "Perth", 1, "5")], s)
    assert isinstance(unknown, HeldRecord)
    assert "warehouse_inventory_accounts.Perth" in unknown.reason
    wrong = map_adjustment(adjustment(2, Decimal("6.00")), ok, s)
    assert isinstance(wrong, HeldRecord) and "worth 5.00" in wrong.reason and "6.00" in wrong.reason
    unset = map_adjustment(adjustment(3, Decimal("5.00")), ok, cw_settings())
    assert isinstance(unset, HeldRecord) and "inventory_adjustment_account" in unset.reason
    purchase = map_adjustment(adjustment(4, Decimal("5.00"), "Purchase"), ok, s)
    assert isinstance(purchase, HeldRecord) and "not an adjustment" in purchase.reason
    nothing = map_adjustment(adjustment(5, Decimal("0.00")), [], s)
    assert isinstance(nothing, NoJournal) and "moves no value" in nothing.reason


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(sorted(ACCOUNTS)),
            st.integers(min_value=-50, max_value=50).filter(bool),
            st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=4),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_journals_balance_and_carry_connectwise_s_total(
    rows: list[tuple[str, int, Decimal]],
) -> None:
    details = [detail(i + 1, w, q, c) for i, (w, q, c) in enumerate(rows)]
    total = sum((round_money(Decimal(q) * c) for _, q, c in rows), Decimal("0.00"))
    mapped = map_adjustment(adjustment(9, total), details, inventory_settings())
    if isinstance(mapped, NoJournal):
        assert "moves no value" in mapped.reason  # every warehouse nets to zero
        return
    assert isinstance(mapped, MappedJournal), mapped
    amounts = [ln.line_amount for ln in mapped.draft.journal_lines]
    assert sum(amounts) == 0
    inventory = sum(ln.line_amount for ln in mapped.draft.journal_lines if ln.account_code != "455")
    assert inventory == total == mapped.connectwise_total


def transfer(id: int, total: Decimal | str, kind: str = "Transfer") -> UnpostedProcurement:
    return UnpostedProcurement.model_validate(
        {
            "id": id,
            "procurementType": kind,
            "description": f"Transfer TRF{id}",
            "unpostedProductId": str(id),
            "purchaseDate": DAY.isoformat(),
            "total": str(total),
        }
    )


def moved(
    id: int,
    source: str,
    target: str,
    quantity: int,
    cost: str,
    total: str | None = None,
    gl_class: str | None = None,
) -> GLInventoryTransfer:
    value = total if total is not None else str(round_money(Decimal(quantity) * Decimal(cost)))
    return GLInventoryTransfer.model_validate(
        {
            "id": str(id),
            "transferId": 70,
            "glClass": gl_class,
            "item": {"id": id, "identifier": "SSD-1TB"},
            "quantity": quantity,
            "cost": cost,
            "total": value,
            "transferFromLocationXref": source,
            "transferToLocationXref": target,
        }
    )


def test_a_transfer_moves_value_from_one_warehouse_account_to_the_other() -> None:
    rows = [moved(1, "Sydney", "Melbourne", 3, "111.30"), moved(2, "Sydney", "Melbourne", 1, "5")]
    mapped = map_transfer(transfer(70, "338.90"), rows, inventory_settings())
    assert isinstance(mapped, MappedJournal), mapped
    lines = {(ln.account_code, ln.line_amount) for ln in mapped.draft.journal_lines}
    assert lines == {("631", Decimal("338.90")), ("630", Decimal("-338.90"))}
    assert mapped.draft.narration == "ConnectWise inventory transfer 70"
    assert mapped.connectwise_total == Decimal("338.90") and mapped.source_id == 70


def test_a_transfer_within_one_xero_account_makes_no_journal_and_says_why() -> None:
    same = inventory_settings(warehouse_inventory_accounts={"Sydney": "630", "Parramatta": "630"})
    mapped = map_transfer(transfer(71, "15.00"), [moved(1, "Sydney", "Parramatta", 3, "5")], same)
    assert isinstance(mapped, NoJournal), mapped
    assert "same Xero account 630" in mapped.reason and mapped.source_id == 71


def test_what_cannot_be_journalled_for_a_transfer_is_held_with_the_fix() -> None:
    s = inventory_settings()
    perth = map_transfer(transfer(1, "5.00"), [moved(1, "Perth", "Sydney", 1, "5")], s)
    assert isinstance(perth, HeldRecord)
    assert "warehouse_inventory_accounts.Perth" in perth.reason
    wrong = map_transfer(transfer(2, "6.00"), [moved(1, "Sydney", "Melbourne", 1, "5")], s)
    assert isinstance(wrong, HeldRecord) and "5.00" in wrong.reason and "6.00" in wrong.reason
    empty = map_transfer(transfer(3, "5.00"), [], s)
    assert isinstance(empty, HeldRecord) and "export" in empty.reason
    other = map_transfer(transfer(4, "5.00", "Adjustment"), [moved(1, "Sydney", "X", 1, "5")], s)
    assert isinstance(other, HeldRecord) and "not a transfer" in other.reason


def test_journal_lines_carry_the_tracking_of_their_gl_class() -> None:
    tracked = inventory_settings(class_tracking={"Hardware": "Division:Hardware"})
    mapped = map_transfer(
        transfer(72, "15.00"),
        [moved(1, "Sydney", "Melbourne", 3, "5", gl_class="Hardware")],
        tracked,
    )
    assert isinstance(mapped, MappedJournal), mapped
    assert all(
        [(t.name, t.option) for t in ln.tracking or []] == [("Division", "Hardware")]
        for ln in mapped.draft.journal_lines
    )
    details = [detail(1, "Sydney", 1, "5.00")]
    adjusted = map_adjustment(adjustment(8, Decimal("5.00")), details, tracked, gl_class="Hardware")
    assert isinstance(adjusted, MappedJournal)
    assert all(ln.tracking for ln in adjusted.draft.journal_lines)
    strict = inventory_settings(
        class_tracking={"Hardware": "Division:Hardware"}, class_tracking_required=True
    )
    held = map_adjustment(adjustment(8, Decimal("5.00")), details, strict, gl_class="Lab")
    assert isinstance(held, HeldRecord) and "'Lab'" in held.reason
    held_t = map_transfer(
        transfer(9, "5.00"), [moved(1, "Sydney", "Melbourne", 1, "5", gl_class="Lab")], strict
    )
    assert isinstance(held_t, HeldRecord) and "class_tracking" in held_t.reason


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["Sydney", "Melbourne", "Parramatta"]),
            st.sampled_from(["Sydney", "Melbourne", "Parramatta"]),
            st.integers(min_value=1, max_value=60),
            st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=4),
            st.sampled_from([None, "Hardware", "Networking"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_transfer_journals_balance_and_move_connectwise_s_value(
    rows: list[tuple[str, str, int, Decimal, str | None]],
) -> None:
    accounts = {"Sydney": "630", "Melbourne": "631", "Parramatta": "630"}
    s = inventory_settings(
        warehouse_inventory_accounts=accounts,
        class_tracking={"Hardware": "Division:Hardware", "Networking": "Division:Network"},
    )
    items = [moved(i + 1, a, b, q, str(c), gl_class=g) for i, (a, b, q, c, g) in enumerate(rows)]
    total = sum((round_money(Decimal(q) * c) for _, _, q, c, _ in rows), Decimal("0.00"))
    mapped = map_transfer(transfer(70, total), items, s)
    expected: dict[str, Decimal] = {}
    for a, b, q, c, _ in rows:
        value = round_money(Decimal(q) * c)
        expected[accounts[b]] = expected.get(accounts[b], Decimal(0)) + value
        expected[accounts[a]] = expected.get(accounts[a], Decimal(0)) - value
    if isinstance(mapped, NoJournal):
        assert not any(expected.values())
        return
    assert isinstance(mapped, MappedJournal), mapped
    amounts = [ln.line_amount for ln in mapped.draft.journal_lines]
    assert sum(amounts) == 0 and all(amounts)
    got: dict[str, Decimal] = {}
    for ln in mapped.draft.journal_lines:
        got[ln.account_code] = got.get(ln.account_code, Decimal(0)) + ln.line_amount
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    assert mapped.connectwise_total == total
