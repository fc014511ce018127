"""ConnectWise GL class → Xero tracking on invoice lines, from `[connectwise] class_tracking`."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.sync.connectwise_mapping import Held, MappedInvoice, map_invoice
from xerowatch.xero.models_documents import TrackingRef

from .test_mapping import RULES, gl_invoice, line

TRACKED = RULES.model_copy(
    update={
        "class_tracking": {"Support": "Region:Sydney;Dept:Support", "Projects": "Dept:Projects"}
    }
)


def spec(kind: str, klass: str | None, price: str = "100.00", **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": kind,
        "quantity": Decimal(1),
        "hours": Decimal("1.5"),
        "price": Decimal(price),
        "taxable": True,
        "account": "4000",
        "klass": klass,
        "item": "CAT6-3M",
    }
    values.update(extra)
    return values


def test_lines_carry_their_class_s_tracking_and_time_is_summarised_per_class() -> None:
    gl = gl_invoice(
        [
            spec("product", "Support"),
            spec("time", "Support"),
            spec("time", "Projects"),
            spec("time", None),
        ]
    )
    mapped = map_invoice(gl, "251", TRACKED)
    assert isinstance(mapped, MappedInvoice), mapped
    tracking = [tuple(line.tracking or ()) for line in mapped.draft.line_items]
    sydney_support = (
        TrackingRef(name="Region", option="Sydney"),
        TrackingRef(name="Dept", option="Support"),
    )
    assert tracking.count(sydney_support) == 2  # the product and Support's time summary
    assert tracking.count((TrackingRef(name="Dept", option="Projects"),)) == 1
    assert tracking.count(()) == 1  # the unclassed time summary
    assert mapped.draft.lines_total() + mapped.xero_tax == gl.total


def test_an_unlisted_class_holds_the_invoice_only_when_required() -> None:
    gl = gl_invoice([spec("product", "Managed")])
    assert isinstance(map_invoice(gl, "251", TRACKED), MappedInvoice)
    strict = TRACKED.model_copy(update={"class_tracking_required": True})
    held = map_invoice(gl, "251", strict)
    assert isinstance(held, Held)
    assert "'Managed'" in held.reason and "class_tracking" in held.reason


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Sydney", 'write "Category:Option"'),
        ("Region:", 'write "Category:Option"'),
        ("A:1;B:2;C:3", "at most two different categories"),
        ("Region:1;region:2", "at most two different categories"),
    ],
)
def test_a_bad_tracking_setting_is_one_line_naming_the_key(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ConnectWiseSettings(class_tracking={"Support": value})
    text = str(caught.value)
    assert "class_tracking.Support" in text and message in text


def _positive(lines: list[dict[str, Any]]) -> bool:
    return gl_invoice(lines).total >= 0


@settings(max_examples=100, deadline=None)
@given(st.lists(line, min_size=1, max_size=20).filter(_positive))
def test_tracked_amounts_per_class_equal_connectwise_s(lines: list[dict[str, Any]]) -> None:
    gl = gl_invoice(lines)
    mapped = map_invoice(gl, "251", TRACKED)
    assert isinstance(mapped, MappedInvoice), mapped
    assert mapped.draft.lines_total() + mapped.xero_tax == gl.total
    by_dept: dict[str, Decimal] = defaultdict(Decimal)
    for item in mapped.draft.line_items:
        for ref in item.tracking or ():
            if ref.name == "Dept":
                by_dept[ref.option] += item.line_amount or 0
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for raw in gl.detail:
        if raw.gl_type_id != "ST" and raw.gl_class in ("Support", "Projects"):
            expected[raw.gl_class] -= raw.total
    assert {k: v for k, v in by_dept.items() if v} == {k: v for k, v in expected.items() if v}
