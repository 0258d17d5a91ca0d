"""Money as integer minor units of an ISO 4217 currency; never a float.

Amounts stay within 2**53 - 1 so that every JSON parser reads them exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from coop.digits import parse_whole, shown
from coop.errors import BadInput

MinorUnits = int
CurrencyCode = str

MAX_AMOUNT = 2**53 - 1

# ISO 4217 code -> number of decimal places of its minor unit.
CURRENCIES: dict[CurrencyCode, int] = {
    # Europe
    "EUR": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "ISK": 0, "PLN": 2,
    "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "RSD": 2, "MKD": 2, "ALL": 2, "BAM": 2,
    "MDL": 2, "UAH": 2, "BYN": 2, "RUB": 2, "TRY": 2, "GEL": 2, "AMD": 2, "AZN": 2,
    # Americas
    "USD": 2, "CAD": 2, "MXN": 2, "BRL": 2, "ARS": 2, "CLP": 0, "COP": 2, "PEN": 2,
    "UYU": 2, "PYG": 0, "BOB": 2, "VES": 2, "GTQ": 2, "CRC": 2, "DOP": 2, "JMD": 2,
    "HTG": 2, "CUP": 2,
    # Middle East and North Africa
    "TND": 3, "LYD": 3, "DZD": 2, "MAD": 2, "EGP": 2, "SDG": 2, "SYP": 2, "LBP": 2,
    "JOD": 3, "IQD": 3, "KWD": 3, "BHD": 3, "OMR": 3, "SAR": 2, "AED": 2, "QAR": 2,
    "YER": 2, "IRR": 2, "ILS": 2, "MRU": 2,
    # Sub-Saharan Africa
    "XOF": 0, "XAF": 0, "KES": 2, "NGN": 2, "UGX": 0, "GHS": 2, "ETB": 2, "TZS": 2,
    "RWF": 0, "BIF": 0, "DJF": 0, "GNF": 0, "KMF": 0, "SOS": 2, "ZAR": 2, "ZMW": 2,
    "MWK": 2, "MZN": 2, "AOA": 2, "CDF": 2, "SLE": 2, "LRD": 2, "GMD": 2, "MGA": 2,
    "BWP": 2, "NAD": 2, "SSP": 2, "ERN": 2, "CVE": 2,
    # Asia and Oceania
    "AFN": 2, "PKR": 2, "INR": 2, "BDT": 2, "NPR": 2, "LKR": 2, "MMK": 2, "CNY": 2,
    "HKD": 2, "TWD": 2, "JPY": 0, "KRW": 0, "MNT": 2, "KZT": 2, "UZS": 2, "KGS": 2,
    "TJS": 2, "TMT": 2, "SGD": 2, "MYR": 2, "THB": 2, "IDR": 2, "PHP": 2, "VND": 0,
    "KHR": 2, "LAK": 2, "AUD": 2, "NZD": 2, "FJD": 2, "PGK": 2, "XPF": 0, "VUV": 0,
}

_DECIMAL = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?")


def check_currency(code: object) -> CurrencyCode:
    """Return the code if it names a known ISO 4217 currency, else raise BadInput."""
    if not isinstance(code, str) or code not in CURRENCIES:
        raise BadInput(f"unknown currency {code!r}: use an ISO 4217 code such as EUR, USD or JPY")
    return code


def check_amount(amount: object) -> MinorUnits:
    """Return the amount if it is an int of minor units within +-(2**53 - 1), else raise BadInput."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        kind = "a float" if isinstance(amount, float) else f"of type {type(amount).__name__}"
        raise BadInput(f"an amount is an integer number of minor units (cents), not {kind}: {amount!r}")
    if abs(amount) > MAX_AMOUNT:
        raise BadInput(f"amount {amount} is beyond +-{MAX_AMOUNT} minor units")
    return amount


def to_decimal(amount: MinorUnits, currency: CurrencyCode) -> str:
    """Render minor units as a decimal string with the currency's places ("1500.00", "-0.05", "300" for JPY)."""
    places = CURRENCIES[check_currency(currency)]
    check_amount(amount)
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount))
    if not places:
        return sign + digits
    digits = digits.rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def parse_money(text: str, what: str = "an amount") -> tuple[MinorUnits, CurrencyCode]:
    """Parse money as a person types it, '1500.00 EUR', into minor units and a currency."""
    value, _, currency = text.strip().partition(" ")
    if not currency.strip():
        raise BadInput(f"{what} needs a currency: {value or '300'} EUR, for example")
    code = check_currency(currency.strip().upper())
    return from_decimal(value, code), code


def from_decimal(text: str, currency: CurrencyCode) -> MinorUnits:
    """Parse a decimal string ("1500", "1500.5", "-0.05") into minor units, refusing more places than the currency has."""
    places = CURRENCIES[check_currency(currency)]
    match = _DECIMAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise BadInput(f"{shown(text) if isinstance(text, str) else repr(text)} is not a decimal amount like 1500 or 1500.00")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > places:
        raise BadInput(f"{currency} has {places} decimal places; {shown(text)} has {len(fraction)}")
    try:
        amount = parse_whole((whole + fraction.ljust(places, "0")).lstrip("0") or "0", "amount", 0, MAX_AMOUNT)
    except BadInput:
        raise BadInput(f"amount {shown(text)} is beyond +-{MAX_AMOUNT} minor units") from None
    return -amount if sign else amount


@dataclass(frozen=True)
class Money:
    """An amount of integer minor units in a known currency."""

    amount: MinorUnits
    currency: CurrencyCode

    def __post_init__(self) -> None:
        check_amount(self.amount)
        check_currency(self.currency)

    def __str__(self) -> str:
        return f"{to_decimal(self.amount, self.currency)} {self.currency}"
