"""Whole numbers read from text: one bounded parser, so thousands of digits are bad input wherever a number is read."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.cli.governance import effect_from_options
from api.context import parse_shares
from coop import canonical
from coop.digits import MAX_SAFE_INT, parse_whole
from coop.errors import BadInput
from coop.node import Node
from coop.view import View
from governance import render
from ledger.money import from_decimal
from ledger.note import Checkpoint, TlogProof
from ledger.tlog_witness import AddCheckpoint

HUGE = "9" * 5000  # past CPython's 4300-digit limit for int(str), which raises ValueError, not BadInput
ROOT = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # base64 of SHA-256 of nothing

# Each reader takes the digits and a view of a node where alice is a member (team shares name members).
READERS: dict[str, Callable[[str, View], object]] = {
    "record-integer": lambda digits, view: canonical.decode(f'{{"amount":{digits}}}'.encode()),
    "record-negative-integer": lambda digits, view: canonical.decode(f"[-{digits}]".encode()),
    "checkpoint-size": lambda digits, view: Checkpoint.from_text(f"coop.example/test\n{digits}\n{ROOT}\n"),
    "add-checkpoint-old-size": lambda digits, view: AddCheckpoint.from_bytes(f"old {digits}\n\ncheckpoint".encode()),
    "receipt-leaf-index": lambda digits, view: TlogProof.from_bytes(f"c2sp.org/tlog-proof@v1\nindex {digits}\n\nx".encode()),
    "amount": lambda digits, view: from_decimal(digits, "EUR"),
    "amount-fraction": lambda digits, view: from_decimal(f"1.{digits}", "JPY"),
    "team-share": lambda digits, view: parse_shares(f"alice:{digits}", view),
    "effect-json": lambda digits, view: effect_from_options(view, "general", None, (), None, None, None, f'{{"kind":"general","n":{digits}}}'),
    "charter-rule": lambda digits, view: effect_from_options(view, "charter", None, (f"quorum={digits}",), None, None, None, None),
}


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("digits", [HUGE, "1" + "0" * 40, "0" * 5000 + "1"], ids=["5000-digits", "41-digits", "leading-zeros"])
def test_a_number_of_too_many_digits_is_bad_input_wherever_it_is_read(read: Callable[[str, View], object], digits: str,
                                                                     node: Node) -> None:
    with pytest.raises(BadInput) as refused:
        read(digits, node.view())

    assert len(refused.value.message) < 400, "the message carries the whole number"


def test_an_ordered_list_starting_at_a_huge_number_renders_from_one() -> None:
    assert render.to_text(f"{HUGE}. first\n").startswith("1. first")


@given(st.integers(0, MAX_SAFE_INT))
def test_a_whole_number_within_its_bounds_reads_back(value: int) -> None:
    assert parse_whole(str(value), "n") == value


@given(st.integers(-MAX_SAFE_INT, MAX_SAFE_INT))
def test_a_signed_number_reads_back_when_negatives_are_allowed(value: int) -> None:
    assert parse_whole(str(value), "n", -MAX_SAFE_INT) == value


@pytest.mark.parametrize("text", ["", "-1", "+1", "01", " 1", "1 ", "1_000", "1e3", "0x10", "\u0663", "\uff11", "\u00b2", "-0"])
def test_anything_but_plain_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(BadInput):
        parse_whole(text, "n")


@pytest.mark.parametrize(("text", "low", "high"), [("11", 0, 10), ("0", 1, 10), ("-11", -10, 10), ("9007199254740992", 0, MAX_SAFE_INT)])
def test_a_number_outside_its_bounds_is_refused(text: str, low: int, high: int) -> None:
    with pytest.raises(BadInput, match=f"{low}..{high}"):
        parse_whole(text, "n", low, high)
