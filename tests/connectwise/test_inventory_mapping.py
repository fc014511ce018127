"""Inventory adjustments → balanced manual journals on per-warehouse inventory accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.models_documents import AdjustmentDetail, UnpostedProcurement
from xerowatch.sync.connectwise_documents import HeldRecord
from xerowatch.sync.connectwise_inventory import MappedJournal, map_adjustment
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
    assert isinstance(nothing, HeldRecord) and "moves no value" in nothing.reason


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
    if isinstance(mapped, HeldRecord):
        assert "moves no value" in mapped.reason  # every warehouse nets to zero
        return
    amounts = [ln.line_amount for ln in mapped.draft.journal_lines]
    assert sum(amounts) == 0
    inventory = sum(ln.line_amount for ln in mapped.draft.journal_lines if ln.account_code != "455")
    assert inventory == total == mapped.connectwise_total
