"""The browser's canonical JSON (api/static/js/jcs.js) against coop/canonical.py, byte for byte.

Values travel to the page as JSON text and are rebuilt there by JSON.parse, so each string, key
and number arrives exactly (a key "__proto__" stays a key); each batch of generated values is one
round trip to the browser.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from browser_harness import run, unb64
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from coop import canonical
from coop.digits import MAX_SAFE_INT
from coop.errors import BadInput

# The page holds no state between examples, so one page serves them all.
BATCHES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# The characters JSON escapes or that sort differently in UTF-16: controls, quote, backslash, DEL, the line and
# paragraph separators, the top of the BMP (above the surrogates) and astral characters (surrogate pairs in UTF-16),
# and noncharacters, which are unassigned yet allowed.
SPECIAL = st.sampled_from(["\0", "\b", "\t", "\n", "\f", "\r", "\x1f", '"', "\\", "/", "\x7f", "\u2028", "\u2029", "\ud7ff",
                           "\ue000", "\uffef", "\uffff", "\U00010000", "\U0001f600", "\U0010fffd", "\U0010ffff", "é"])
# Characters assigned in Python's Unicode tables: their normalisation is the same in every Unicode version, while the
# browser's newer tables may give an unassigned one (to Python) a normalisation of its own (see jcs.js).
ASSIGNED = st.characters(exclude_categories=("Cs", "Cn"))
TEXT = st.text(st.one_of(ASSIGNED, SPECIAL), max_size=12).map(lambda s: unicodedata.normalize("NFC", s.replace("\ufeff", "")))
INTEGERS = st.one_of(st.integers(-MAX_SAFE_INT, MAX_SAFE_INT), st.sampled_from([MAX_SAFE_INT, -MAX_SAFE_INT, 2**31, -(2**31), 2**32, 10**15]))
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5), max_leaves=25)


def nested(depth: int) -> Any:
    """Return `depth` arrays, one inside the other, around an empty object at the innermost level."""
    value: Any = {}
    for _ in range(depth - 1):
        value = [value]
    return value


EDGES = [None, True, False, 0, MAX_SAFE_INT, -MAX_SAFE_INT, "", [], {}, nested(canonical.MAX_DEPTH),
         "".join(map(chr, range(0x20))), {"__proto__": 1, "constructor": [2]},
         {"\ue000": 1, "\U0001f600": 2, "\uffff": 3, "a": 4, "": 5, "é": 6, "e": 7}]

# Each refusal wrapped where a record could hold it: alone, in an array among good values, under a key, or as a key.
BAD_STRINGS = st.sampled_from(["\ud800", "a\udfff", "\ufeff", "e\u0301", "\u212b", "\U0001d15e"])
BAD_SCALARS = st.one_of(BAD_STRINGS, st.integers(MAX_SAFE_INT + 1, 2**64) | st.integers(-(2**64), -MAX_SAFE_INT - 1),
                        st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()))
REFUSED = st.one_of(
    BAD_SCALARS,
    st.tuples(st.lists(SCALARS, max_size=3), BAD_SCALARS).map(lambda t: [*t[0], t[1]]),
    st.tuples(TEXT, BAD_SCALARS).map(lambda t: {t[0]: t[1]}),
    BAD_STRINGS.map(lambda key: {key: 1}),
)


def encoded_in_browser(page: Page, values: list[Any]) -> list[dict[str, str]]:
    """Encode each value with jcs.js; return, for each, its bytes in base64 or the error it was refused with."""
    return list(run(page, """
        return JSON.parse(arg).map((value) => {
          try { const bytes = jcs.encode(value); return {bytes: base64.base64(bytes)}; }
          catch (error) { return {refused: `${error.name}: ${error.message}`}; }
        });
    """, json.dumps(values)))


@BATCHES
@given(st.lists(VALUES, min_size=1, max_size=30))
@example(EDGES)
def test_the_browser_encodes_every_value_to_the_bytes_python_does(page: Page, values: list[Any]) -> None:
    expected = [{"bytes": canonical.encode(value)} for value in values]
    got = [{key: unb64(text) if key == "bytes" else text for key, text in answer.items()} for answer in encoded_in_browser(page, values)]
    assert got == expected


@BATCHES
@given(st.lists(REFUSED, min_size=1, max_size=20))
@example([nested(canonical.MAX_DEPTH + 1)])
def test_a_value_python_refuses_is_refused_in_the_browser(page: Page, values: list[Any]) -> None:
    for value in values:
        with pytest.raises(BadInput):
            canonical.encode(value)
    accepted = [value for value, answer in zip(values, encoded_in_browser(page, values), strict=True)
                if not answer.get("refused", "").startswith("BadInput: ")]
    assert accepted == []


# What a script can hold that has no JSON form at all; JSON.stringify would drop or reshape most of them silently.
NOT_JSON = {
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "undefined member": "({a: undefined})",
    "hole in an array": "[1, , 3]",
    "BigInt": "1n",
    "Date": "new Date(0)",
    "Map": "new Map()",
    "function": "() => 1",
    "Symbol key": "({[Symbol('k')]: 1})",
    "cycle": "(() => { const a = []; a.push(a); return a; })()",
}


def test_a_script_value_with_no_json_form_is_refused(page: Page) -> None:
    answers = run(page, """
        const answers = {};
        for (const [name, source] of Object.entries(arg)) {
          try { jcs.encode((0, eval)(source)); answers[name] = "encoded"; }
          catch (error) { answers[name] = error.name; }
        }
        return answers;
    """, NOT_JSON)
    assert answers == dict.fromkeys(NOT_JSON, "BadInput")
