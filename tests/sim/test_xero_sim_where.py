"""The simulator's `where` parser: grammar, typing, and that quoted values never widen a query."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xerowatch.sim.xero.where import (
    And,
    Comparison,
    FieldType,
    MethodCall,
    Not,
    Or,
    WhereError,
    evaluate,
    parse_where,
    quote,
)

FIELDS: dict[str, FieldType] = {
    "Name": "string",
    "ContactNumber": "string",
    "Contact.ContactID": "guid",
    "Date": "date",
    "Total": "number",
    "IsCustomer": "bool",
}
GUID = "6d8a3b37-7b0b-4f7b-9c5b-1b2b3b4b5b6b"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'Name=="O\"Brien"', 'O"Brien'),
        (r'Name=="a\" OR Name!=\""', 'a" OR Name!="'),
        (r'Name=="back\\slash"', "back\\slash"),
        (r'Name=="trailing\\"', "trailing\\"),
        ("Name==\"(AND) OR 'x'\"", "(AND) OR 'x'"),
    ],
)
def test_nasty_strings_stay_one_literal(text, value):
    assert parse_where(text, FIELDS) == Comparison("Name", "==", value)


def test_and_binds_tighter_than_or_and_parentheses_regroup():
    loose = parse_where('Name=="a" OR Name=="b" AND ContactNumber=="c"', FIELDS)
    grouped = parse_where('(Name=="a" OR Name=="b") AND ContactNumber=="c"', FIELDS)
    a, b, c = (
        Comparison(f, "==", v) for f, v in (("Name", "a"), ("Name", "b"), ("ContactNumber", "c"))
    )
    assert loose == Or((a, And((b, c))))
    assert grouped == And((Or((a, b)), c))


def test_literals_methods_and_negation():
    node = parse_where(
        f'Contact.ContactID==Guid("{GUID.upper()}") && Date>=DateTime(2026, 01, 31) '
        '&& Total>-5.5 && !IsCustomer && name.startswith("Jo")',
        FIELDS,
    )
    assert node == And(
        (
            Comparison("Contact.ContactID", "==", GUID),
            Comparison("Date", ">=", datetime(2026, 1, 31, tzinfo=UTC)),
            Comparison("Total", ">", Decimal("-5.5")),
            Not(Comparison("IsCustomer", "==", True)),
            MethodCall("Name", "StartsWith", "Jo"),
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        'Name=="unterminated',
        r'Name=="bad \n escape"',
        'Colour=="red"',
        "Name==5",
        'Total=="5"',
        'Date>="2026-01-01"',
        "Date>=DateTime(2026,13,1)",
        'Name=="a" OR',
        'Name=="a")',
        'Name.Matches("a")',
        'Total.Contains("1")',
        "Name",
        'Guid("x")==Name',
        'Contact.ContactID==Guid("nope")',
        "Name==@",
    ],
)
def test_malformed_or_mistyped_expressions_are_rejected(text):
    with pytest.raises(WhereError):
        parse_where(text, FIELDS)


def test_evaluation_semantics():
    record = {
        "Name": "Ann Lee",
        "Contact": {"ContactID": GUID},
        "Total": 120.5,
        "Date": "/Date(1790812800000+0000)/",
        "IsCustomer": True,
    }

    def matches(text: str) -> bool:
        return evaluate(parse_where(text, FIELDS), record, FIELDS)

    assert matches('name=="ANN LEE"')  # string comparisons ignore case
    assert matches('Name.Contains("n l") AND Name.EndsWith("lee")')
    assert matches("Date==DateTime(2026,10,01) AND Total>=120.5 AND IsCustomer")
    assert matches("ContactNumber==null AND Name!=null")
    assert not matches('Name.StartsWith("Lee") OR Total<100 OR ContactNumber>"A"')
    assert matches(f'Contact.ContactID==Guid("{GUID}")')


@given(st.text())
def test_any_quoted_value_parses_back_to_itself(value):
    assert parse_where("Name==" + quote(value), FIELDS) == Comparison("Name", "==", value)


@given(st.text(), st.lists(st.text(max_size=12), max_size=6))
def test_a_quoted_value_only_ever_matches_equal_names(value, names):
    node = parse_where("Name==" + quote(value), FIELDS)
    matched = [name for name in names if evaluate(node, {"Name": name}, FIELDS)]
    assert all(name.casefold() == value.casefold() for name in matched)


@given(st.text(alphabet=st.sampled_from('Name=!<>()."\\ ANDORT,0123456789ae'), max_size=40))
def test_arbitrary_input_fails_only_with_where_error(text):
    with contextlib.suppress(WhereError):
        parse_where(text, FIELDS)
