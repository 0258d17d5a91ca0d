"""Canonical JSON (RFC 8785): the one encoding of every value, and every way a record is refused."""
from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop import canonical
from coop.errors import BadInput, TooLarge

# -- what the encoder produces (RFC 8785 examples) -------------------------------------------


def test_rfc8785_string_escaping_example_is_reproduced() -> None:
    source = r'"\u20ac$\u000F\u000aA' + "'" + r'\u0042\u0022\u005c\\\"\/"'
    expected = '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()

    assert canonical.encode(json.loads(source)) == expected


def test_rfc8785_escaped_string_decodes_to_the_same_value() -> None:
    encoded = '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()

    assert canonical.decode(encoded) == "€$\x0f\nA'B\"\\\\\"/"


def test_literals_are_written_in_lower_case() -> None:
    assert canonical.encode([None, True, False]) == b"[null,true,false]"


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    emoji, fullwidth_a = "\U0001F600", "\uff41"
    assert sorted([emoji, fullwidth_a]) == [fullwidth_a, emoji]  # what Python's code-point order says

    encoded = canonical.encode({fullwidth_a: 2, emoji: 1})

    assert encoded == '{"\U0001F600":1,"\uff41":2}'.encode("utf-8")


def test_rfc8785_key_sorting_example_is_reproduced() -> None:
    # RFC 8785 section 3.2.3, without U+FB33: that key is not NFC, so we refuse it (see below).
    record = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "1": "One",
        "\U0001F600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }

    keys = list(json.loads(canonical.encode(record)))

    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001F600"]


def test_largest_safe_integers_are_accepted() -> None:
    assert canonical.decode(b"[-9007199254740991,9007199254740991]") == [-(2**53 - 1), 2**53 - 1]


def test_record_of_exactly_the_size_limit_is_accepted() -> None:
    record = b'"' + b"a" * (canonical.MAX_BYTES - 2) + b'"'

    assert canonical.decode(record) == "a" * (canonical.MAX_BYTES - 2)


@pytest.mark.parametrize("levels", [1, 32], ids=["1-level", "32-levels"])
@pytest.mark.parametrize("leaf", [b"", b"1"], ids=["empty", "with-leaf"])
def test_nesting_up_to_32_levels_is_accepted(levels: int, leaf: bytes) -> None:
    record = b"[" * levels + leaf + b"]" * levels

    assert canonical.encode(canonical.decode(record)) == record


# -- refusals, one rule each -----------------------------------------------------------------


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(BadInput, match="duplicate key"):
        canonical.decode(b'{"a":1,"a":1}')


@pytest.mark.parametrize("record", [b"1.0", b"1e3", b"1E3", b"0.5", b'{"amount":12.5}'],
                         ids=["1.0", "1e3", "1E3", "0.5", "nested"])
def test_floats_are_refused_when_decoding(record: bytes) -> None:
    with pytest.raises(BadInput, match="floats are not allowed"):
        canonical.decode(record)


@pytest.mark.parametrize("value", [1.0, 1e3, {"amount": 12.5}], ids=["1.0", "1e3", "nested"])
def test_floats_are_refused_when_encoding(value: object) -> None:
    with pytest.raises(BadInput, match="floats are not allowed"):
        canonical.encode(value)


@pytest.mark.parametrize("record", [b"NaN", b"[NaN]"], ids=["bare", "nested"])
def test_nan_is_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="NaN"):
        canonical.decode(record)


def test_nan_is_refused_when_encoding() -> None:
    with pytest.raises(BadInput):
        canonical.encode(float("nan"))


@pytest.mark.parametrize("record", [b"Infinity", b"-Infinity"], ids=["positive", "negative"])
def test_infinity_is_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="Infinity"):
        canonical.decode(record)


@pytest.mark.parametrize("record", [b"9007199254740992", b"-9007199254740992", b"123456789012345678901234567890"],
                         ids=["2^53", "-2^53", "huge"])
def test_integers_beyond_2_53_minus_1_are_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="beyond 2\\^53-1"):
        canonical.decode(record)


def test_integers_beyond_2_53_minus_1_are_refused_when_encoding() -> None:
    with pytest.raises(BadInput, match="beyond 2\\^53-1"):
        canonical.encode({"amount": 2**53})


@pytest.mark.parametrize("record", [
    '"e\u0301"'.encode("utf-8"),
    '{"e\u0301":1}'.encode("utf-8"),
    '["\ufb33"]'.encode("utf-8"),
], ids=["decomposed-value", "decomposed-key", "rfc8785-hebrew-dalet"])
def test_non_nfc_strings_are_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="NFC"):
        canonical.decode(record)


def test_non_nfc_strings_are_refused_when_encoding() -> None:
    with pytest.raises(BadInput, match="NFC"):
        canonical.encode({"name": "Rene\u0301"})


@pytest.mark.parametrize("record", [b'"\\ud800"', b'"a\\udfffb"', b'{"\\ud83d":1}'],
                         ids=["high", "low", "in-key"])
def test_lone_surrogates_are_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="lone surrogate"):
        canonical.decode(record)


def test_leading_byte_order_mark_is_refused() -> None:
    with pytest.raises(BadInput, match="BOM"):
        canonical.decode(b"\xef\xbb\xbf{}")


def test_byte_order_mark_inside_a_string_is_refused() -> None:
    with pytest.raises(BadInput, match="byte order mark"):
        canonical.decode('"\ufeffalice"'.encode("utf-8"))


@pytest.mark.parametrize("record", [b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xe2\x82"'],
                         ids=["invalid-byte", "overlong", "encoded-surrogate", "truncated"])
def test_invalid_utf8_is_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="not valid UTF-8"):
        canonical.decode(record)


def test_record_above_the_size_limit_is_refused() -> None:
    record = b'"' + b"a" * (canonical.MAX_BYTES - 1) + b'"'

    with pytest.raises(TooLarge):
        canonical.decode(record)


@pytest.mark.parametrize("leaf", [b"", b"1"], ids=["empty", "with-leaf"])
def test_nesting_of_33_levels_is_refused(leaf: bytes) -> None:
    record = b"[" * 33 + leaf + b"]" * 33

    with pytest.raises(BadInput, match="nesting deeper than 32"):
        canonical.decode(record)


def test_nesting_far_beyond_the_limit_is_refused_as_bad_input() -> None:
    record = b"[" * 30_000 + b"]" * 30_000  # under the size limit

    with pytest.raises(BadInput):
        canonical.decode(record)


def test_nesting_deeper_than_32_is_refused_when_encoding() -> None:
    value: object = 1
    for _ in range(40):
        value = [value]

    with pytest.raises(BadInput, match="nesting deeper than 32"):
        canonical.encode(value)


@pytest.mark.parametrize("record", [
    b'{"a": 1}',
    b'{"b":1,"a":2}',
    b'"\\u0041"',
    b'"\\u00e9"',
    b'"\\/"',
    b"{}\n",
    b" {}",
    b"-0",
    b'"\\u001F"',
], ids=["space", "reordered-keys", "escaped-A", "escaped-e-acute", "escaped-slash", "trailing-newline",
        "leading-space", "minus-zero", "upper-case-hex-escape"])
def test_non_canonical_bytes_are_refused(record: bytes) -> None:
    with pytest.raises(BadInput, match="not in canonical form"):
        canonical.decode(record)


@pytest.mark.parametrize("value", [{1: "a"}, {"a": b"bytes"}, {"a": (1, 2)}, {"a": {1, 2}}],
                         ids=["int-key", "bytes", "tuple", "set"])
def test_values_json_cannot_carry_are_refused_when_encoding(value: object) -> None:
    with pytest.raises(BadInput):
        canonical.encode(value)


# -- invariants ------------------------------------------------------------------------------

safe_text = st.text(max_size=20).map(lambda s: unicodedata.normalize("NFC", s)).filter(lambda s: "\ufeff" not in s)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | safe_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(safe_text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, database=None, deadline=None)
@given(json_values)
def test_every_encoded_value_decodes_to_itself(value: object) -> None:
    assert canonical.decode(canonical.encode(value)) == value


@settings(max_examples=100, database=None, deadline=None)
@given(st.dictionaries(safe_text, st.integers(0, 9), min_size=2, max_size=8))
def test_encoding_does_not_depend_on_key_insertion_order(value: dict[str, int]) -> None:
    reversed_order = dict(reversed(list(value.items())))

    assert canonical.encode(reversed_order) == canonical.encode(value)
