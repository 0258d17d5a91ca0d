"""Whole numbers read from text, with their length bounded before they are converted.

Every number the platform reads from outside (a JSON record, a witness note, a
query parameter, a cursor) passes `parse_whole`, so a string of thousands of
digits is refused as bad input instead of reaching `int()`, which costs time
quadratic in the length and, past 4300 digits, raises a ValueError of its own.
"""
from __future__ import annotations

import re

from coop.errors import BadInput

MAX_SAFE_INT = 2**53 - 1

_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")


def parse_whole(text: str, what: str, low: int = 0, high: int = MAX_SAFE_INT) -> int:
    """Return the ASCII decimal number in text (no leading zeros, '-' only when low < 0) if within low..high."""
    longest = len(str(max(abs(low), abs(high)))) + (1 if low < 0 else 0)
    if len(text) > longest or not _DECIMAL.fullmatch(text) or (low >= 0 and text.startswith("-")) or not low <= int(text) <= high:
        raise BadInput(f"{what} must be a whole number in {low}..{high} without leading zeros, not {shown(text)}")
    return int(text)


def json_int(text: str) -> int:
    """Parse an integer of a JSON document, refusing one beyond ±(2^53-1) before converting it."""
    try:
        return parse_whole(text, "integer", -MAX_SAFE_INT, MAX_SAFE_INT)
    except BadInput:
        raise BadInput(f"integer {shown(text)} is beyond 2^53-1") from None


def shown(text: str, most: int = 24) -> str:
    """Quote text for an error message, cut short when long (a message never carries a megabyte of digits)."""
    return repr(text) if len(text) <= most else f"{text[:most]!r}... ({len(text)} characters)"
