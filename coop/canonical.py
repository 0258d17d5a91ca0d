"""Canonical JSON (RFC 8785, JCS) and the strict parser every record passes through.

A record is accepted only if re-encoding its parsed value gives back the same
bytes, so there is exactly one valid encoding of every value and a signer's and a
verifier's parser can never disagree about what was signed.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

import rfc8785

from coop.digits import MAX_SAFE_INT, json_int
from coop.errors import BadInput, TooLarge

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32

JSONValue = Any


def encode(value: JSONValue) -> bytes:
    """Return the RFC 8785 bytes of a value made of dicts, lists, str, int, bool and None."""
    _check_value(value, depth=0)
    return _jcs(value)


def _jcs(value: JSONValue) -> bytes:
    """Encode a checked value: the C json encoder when it gives JCS bytes, else rfc8785.

    With no floats, JCS differs from `json.dumps(sort_keys=True)` only in key
    order: JCS sorts by UTF-16 code units, Python by code points, and the two
    orders disagree only for keys holding characters at or above U+D800.
    """
    if _keys_below_surrogates(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise BadInput(f"cannot encode canonically: {e}") from e


def _keys_below_surrogates(value: JSONValue) -> bool:
    if isinstance(value, dict):
        return all(max(key, default="\0") < "\ud800" and _keys_below_surrogates(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_keys_below_surrogates(item) for item in value)
    return True


def decode(data: bytes, *, max_bytes: int = MAX_BYTES) -> JSONValue:
    """Parse canonical bytes strictly; refuse anything that is not the one valid encoding."""
    if len(data) > max_bytes:
        raise TooLarge(f"record is {len(data)} bytes, the limit is {max_bytes}")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise BadInput(f"record is not valid UTF-8: {e.reason}") from e
    value = parse_text(text, "record")
    if _jcs(value) != data:
        raise BadInput("record is not in canonical form (RFC 8785): re-encoding changes its bytes")
    return value


def parse_text(text: str, what: str) -> JSONValue:
    """Parse JSON a person wrote (any spacing or key order) with a record's limits: no floats, big ints or duplicate keys."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_int=json_int,
            parse_float=_refuse_float,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as e:
        raise BadInput(f"{what} is not JSON: {e.msg} at position {e.pos}") from e
    except RecursionError as e:
        raise BadInput(f"nesting deeper than {MAX_DEPTH}") from e
    _check_value(value, depth=0)
    return value


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadInput(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _refuse_float(text: str) -> Any:
    raise BadInput(f"floats are not allowed ({text}); money is integer minor units")


def _refuse_constant(text: str) -> Any:
    raise BadInput(f"{text} is not allowed")


def _check_value(value: JSONValue, depth: int) -> None:
    """Refuse values JCS cannot carry safely: floats, big ints, odd strings, deep nesting.

    `depth` counts the arrays and objects around the value; a container at depth
    MAX_DEPTH would be one level too many.
    """
    if isinstance(value, (list, dict)) and depth >= MAX_DEPTH:
        raise BadInput(f"nesting deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise BadInput(f"integer of {value.bit_length()} bits is beyond 2^53-1")
        return
    if isinstance(value, float):
        raise BadInput(f"floats are not allowed ({value!r}); money is integer minor units")
    if isinstance(value, str):
        _check_string(value)
        return
    if isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadInput(f"object key {key!r} is not a string")
            _check_string(key)
            _check_value(item, depth + 1)
        return
    raise BadInput(f"{type(value).__name__} cannot be encoded")


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8", errors="strict")
    except UnicodeEncodeError as e:
        raise BadInput("string holds a lone surrogate") from e
    if "\ufeff" in text:
        raise BadInput("string holds a byte order mark")
    if not unicodedata.is_normalized("NFC", text):
        raise BadInput(f"string {text!r} is not in Unicode NFC form")
