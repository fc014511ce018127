"""`where` building: every accepted value is ONE string literal, in both Dynamic LINQ dialects."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from xerowatch.xero.models import ContactStatus
from xerowatch.xero.where import (
    Where,
    WhereError,
    contains,
    eq,
    ge,
    is_not_null,
    lt,
    ne,
    quote_literal,
    render_value,
    starts_with,
)

Token = tuple[str, str]
_OPERATORS = ("==", "!=", ">=", "<=", "&&", "||", "=", ">", "<", "(", ")", ",", ".", "!")


def tokenize(text: str, *, backslash_escapes: bool) -> list[Token]:
    """A reference tokenizer for the subset of Dynamic LINQ that `where.py` emits.

    Classic System.Linq.Dynamic (`backslash_escapes=False`): a literal runs to a quote that is
    not followed by another quote, and each doubled quote stands for one. Its successor
    System.Linq.Dynamic.Core (`True`) also lets a backslash escape the next character.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char == '"':
            value: list[str] = []
            pos += 1
            while True:
                if pos >= len(text):
                    raise SyntaxError("unterminated string literal")
                if backslash_escapes and text[pos] == "\\" and pos + 1 < len(text):
                    value.append(text[pos + 1])
                    pos += 2
                elif text[pos] == '"':
                    if pos + 1 < len(text) and text[pos + 1] == '"':
                        value.append('"')
                        pos += 2
                    else:
                        pos += 1
                        break
                else:
                    value.append(text[pos])
                    pos += 1
            tokens.append(("string", "".join(value)))
        elif char.isalpha() or char == "_":
            end = pos
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            tokens.append(("ident", text[pos:end]))
            pos = end
        elif char.isdigit() or (char == "-" and text[pos + 1 : pos + 2].isdigit()):
            end = pos + 1
            while end < len(text) and (text[end].isdigit() or text[end] == "."):
                end += 1
            tokens.append(("number", text[pos:end]))
            pos = end
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
            if operator is None:
                raise SyntaxError(f"unexpected {char!r}")
            tokens.append(("op", operator))
            pos += len(operator)
    return tokens


def _refused(value: str) -> bool:
    return "\\" in value or any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value)


@pytest.mark.parametrize("backslash_escapes", [False, True])
@given(value=st.text())
@example(value='O"Brien')
@example(value='a" OR Name!="')
@example(value='"')
@example(value='""')
@example(value="")
@example(value='trailing quote"')
def test_any_value_is_exactly_one_literal(value: str, backslash_escapes: bool) -> None:
    if _refused(value):
        with pytest.raises(WhereError):
            eq("Name", value)
        return
    tokens = tokenize(eq("Name", value).expression, backslash_escapes=backslash_escapes)
    assert tokens == [("ident", "Name"), ("op", "=="), ("string", value)]


@pytest.mark.parametrize("backslash_escapes", [False, True])
@given(first=st.text(), second=st.text())
def test_combined_filters_keep_their_shape(
    first: str, second: str, backslash_escapes: bool
) -> None:
    if _refused(first) or _refused(second):
        return
    where = (eq("Name", first) | starts_with("EmailAddress", second)) & eq(
        "ContactStatus", ContactStatus.ACTIVE
    )
    tokens = tokenize(where.expression, backslash_escapes=backslash_escapes)
    assert [value for kind, value in tokens if kind == "string"] == [first, second, "ACTIVE"]
    assert [value for kind, value in tokens if kind == "ident"] == [
        "Name",
        "OR",
        "EmailAddress",
        "StartsWith",
        "AND",
        "ContactStatus",
    ]


def test_the_hostile_name_stays_a_name() -> None:
    assert eq("Name", 'O"Brien').expression == 'Name=="O""Brien"'
    assert eq("Name", 'a" OR Name!="').expression == 'Name=="a"" OR Name!="""'


@pytest.mark.parametrize(
    "value", ["line\nbreak", "carriage\rreturn", "tab\there", "nul\x00", "sep\u2028", "c1\x85"]
)
def test_control_characters_and_line_breaks_are_refused(value: str) -> None:
    with pytest.raises(WhereError, match="control character"):
        quote_literal(value)


def test_a_backslash_is_refused_rather_than_guessed() -> None:
    with pytest.raises(WhereError, match="backslash"):
        contains("Name", "C:\\Temp")


def test_unicode_and_quotes_are_fine() -> None:
    assert quote_literal("Zoë 'Ngā' Ōtaki 😀") == "\"Zoë 'Ngā' Ōtaki 😀\""


@pytest.mark.parametrize("name", ["", "1Name", "Name==1", "Name OR", "Contact..ContactID", "a-b"])
def test_field_names_are_validated(name: str) -> None:
    with pytest.raises(WhereError):
        eq(name, "x")


def test_values_of_each_type_render_as_dynamic_linq_constants() -> None:
    uuid = UUID("96988e67-ecf9-466d-bfbf-0afa1725a649")
    assert render_value(True) == "true"
    assert render_value(False) == "false"
    assert render_value(42) == "42"
    assert render_value(Decimal("10.50")) == "10.50"
    assert render_value(Decimal("1E+3")) == "1000"
    assert render_value(uuid) == 'Guid("96988e67-ecf9-466d-bfbf-0afa1725a649")'
    assert render_value(date(2026, 1, 5)) == "DateTime(2026,01,05)"
    assert render_value(ContactStatus.ARCHIVED) == '"ARCHIVED"'
    with pytest.raises(WhereError):
        render_value(Decimal("NaN"))
    with pytest.raises(WhereError):
        render_value(1.5)  # type: ignore[arg-type]


def test_operators_and_null_guard() -> None:
    assert ne("Status", "PAID").expression == 'Status!="PAID"'
    assert ge("Date", date(2026, 1, 1)).expression == "Date>=DateTime(2026,01,01)"
    assert lt("AmountDue", Decimal("0.01")).expression == "AmountDue<0.01"
    guarded = is_not_null("EmailAddress") & starts_with("EmailAddress", "kat")
    assert str(guarded) == '(EmailAddress!=null) AND (EmailAddress.StartsWith("kat"))'
    assert isinstance(guarded, Where)
    assert eq("Contact.ContactID", UUID(int=1)).expression.startswith("Contact.ContactID==Guid(")
