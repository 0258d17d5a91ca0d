"""Durations typed by people, read as integer seconds."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import BadInput
from governance.durations import MAX_SECONDS, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2s", 2),
        ("90m", 5_400),
        ("12h", 43_200),
        ("7d", 604_800),
        ("2w", 1_209_600),
        ("1d12h", 129_600),
        ("1w2d3h4m5s", 788_645),
        ("0d12h", 43_200),
        ("007d", 604_800),
        ("365d", MAX_SECONDS),
        ("52w1d", MAX_SECONDS),
    ],
    ids=lambda value: str(value),
)
def test_duration_is_read_as_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "", "0s", "0d0h", "-1d", "+1d", "1.5h", "1,5h", "1e3s", "3y", "2mo", "1D", "12", "d",
        "1 d", " 1d", "1d ", "12h1d", "1d1d", "366d", "53w", "52w2d", "9" * 40 + "s", "１d",
    ],
    ids=lambda value: repr(value),
)
def test_malformed_zero_or_absurd_duration_is_refused(text: str) -> None:
    with pytest.raises(BadInput):
        parse_duration(text)


@pytest.mark.parametrize("value", [7, 1.5, None, b"7d"], ids=["int", "float", "none", "bytes"])
def test_duration_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(BadInput):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "1m30s"), (129_600, "1d12h"), (1_209_600, "2w")], ids=["90s", "36h", "14d"]
)
def test_duration_is_written_with_the_largest_units_first(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0, -5, MAX_SECONDS + 1, True], ids=["zero", "negative", "over-a-year", "bool"])
def test_duration_out_of_range_cannot_be_written(seconds: int) -> None:
    with pytest.raises(BadInput):
        format_duration(seconds)


@given(st.integers(1, MAX_SECONDS))
def test_written_duration_reads_back_as_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
