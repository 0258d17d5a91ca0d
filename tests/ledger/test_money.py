"""Money: ISO 4217 currencies, integer minor units, decimal rendering."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import BadInput
from ledger.money import CURRENCIES, MAX_AMOUNT, Money, check_amount, check_currency, from_decimal, parse_money, to_decimal


@pytest.mark.parametrize(("code", "places"), [
    ("EUR", 2), ("USD", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("TND", 3), ("SYP", 2), ("UAH", 2),
    ("TRY", 2), ("XOF", 0), ("XAF", 0), ("KES", 2), ("NGN", 2), ("UGX", 0), ("GHS", 2), ("ETB", 2),
    ("AFN", 2), ("IRR", 2), ("IQD", 3), ("JOD", 3), ("KWD", 3), ("BHD", 3), ("LYD", 3), ("CHF", 2),
    ("CAD", 2), ("AUD", 2), ("SEK", 2), ("NOK", 2), ("DKK", 2), ("PLN", 2), ("CZK", 2), ("HUF", 2),
    ("RON", 2), ("BRL", 2), ("MXN", 2), ("INR", 2), ("PKR", 2), ("BDT", 2), ("EGP", 2), ("MAD", 2),
    ("ZAR", 2), ("CNY", 2), ("RUB", 2), ("CLP", 0), ("ISK", 0), ("VND", 0), ("OMR", 3),
])
def test_currency_has_its_iso_4217_minor_unit(code: str, places: int) -> None:
    assert CURRENCIES[check_currency(code)] == places


@pytest.mark.parametrize("code", ["eur", "XXX", "EURO", "", 978, None], ids=["lower-case", "unknown", "four-letters", "empty", "number", "none"])
def test_unknown_currency_is_refused(code: object) -> None:
    with pytest.raises(BadInput):
        check_currency(code)


@pytest.mark.parametrize("amount", [0, 1, -1, MAX_AMOUNT, -MAX_AMOUNT], ids=["zero", "one", "minus-one", "max", "min"])
def test_integer_amount_within_2_53_is_accepted(amount: int) -> None:
    assert check_amount(amount) == amount


@pytest.mark.parametrize(("amount", "words"), [
    (True, "bool"), (15.0, "float"), ("1500", "str"), (None, "NoneType"), (MAX_AMOUNT + 1, "beyond"), (-MAX_AMOUNT - 1, "beyond"),
], ids=["bool", "float", "string", "none", "2-53", "minus-2-53"])
def test_amount_that_is_not_a_safe_integer_is_refused_with_a_clear_error(amount: object, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        check_amount(amount)


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (150000, "EUR", "1500.00"), (-5, "EUR", "-0.05"), (0, "EUR", "0.00"), (7, "USD", "0.07"),
    (1500, "JPY", "1500"), (-3, "JPY", "-3"), (1, "TND", "0.001"), (-123456, "KWD", "-123.456"),
], ids=["eur", "negative-cents", "zero", "usd-cents", "jpy", "jpy-negative", "tnd-millimes", "kwd-negative"])
def test_minor_units_render_as_a_decimal_string(amount: int, currency: str, text: str) -> None:
    assert to_decimal(amount, currency) == text


def test_money_prints_amount_and_currency() -> None:
    assert str(Money(150000, "EUR")) == "1500.00 EUR"
    assert str(Money(1500, "JPY")) == "1500 JPY"


@pytest.mark.parametrize(("amount", "currency"), [(1.5, "EUR"), (True, "EUR"), (1, "XYZ")], ids=["float", "bool", "unknown-currency"])
def test_invalid_money_cannot_be_made(amount: object, currency: str) -> None:
    with pytest.raises(BadInput):
        Money(amount, currency)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "currency", "amount"), [
    ("1500", "EUR", 150000), ("1500.5", "EUR", 150050), ("-0.05", "EUR", -5), ("0", "JPY", 0), ("1500", "JPY", 1500), ("0.001", "TND", 1),
], ids=["whole", "one-place", "negative", "zero", "jpy", "tnd"])
def test_decimal_string_parses_into_minor_units(text: str, currency: str, amount: int) -> None:
    assert from_decimal(text, currency) == amount


@pytest.mark.parametrize(("text", "currency"), [
    ("1500.001", "EUR"), ("15.5", "JPY"), ("01", "EUR"), ("+1", "EUR"), (" 1", "EUR"), ("1.", "EUR"),
    (".5", "EUR"), ("1e3", "EUR"), ("1,50", "EUR"), ("", "EUR"), ("\u0661", "EUR"), ("90071992547409.92", "EUR"),
], ids=["too-many-places", "jpy-with-cents", "leading-zero", "plus", "space", "trailing-point", "no-whole-part",
        "exponent", "comma", "empty", "arabic-digit", "beyond-2-53"])
def test_malformed_decimal_string_is_refused(text: str, currency: str) -> None:
    with pytest.raises(BadInput):
        from_decimal(text, currency)


@given(st.integers(-MAX_AMOUNT, MAX_AMOUNT), st.sampled_from(sorted(CURRENCIES)))
def test_decimal_rendering_round_trips(amount: int, currency: str) -> None:
    assert from_decimal(to_decimal(amount, currency), currency) == amount


@given(st.integers(-MAX_AMOUNT, MAX_AMOUNT), st.sampled_from(sorted(CURRENCIES)))
def test_money_as_a_person_types_it_reads_back(amount: int, currency: str) -> None:
    assert parse_money(f" {to_decimal(amount, currency)} {currency.lower()} ") == (amount, currency)


@pytest.mark.parametrize("text", ["300", "300 ", "  "], ids=["number-alone", "trailing-space", "blank"])
def test_money_without_a_currency_says_one_is_needed(text: str) -> None:
    with pytest.raises(BadInput, match=r"^a budget needs a currency: 300 EUR, for example$"):
        parse_money(text, "a budget")
