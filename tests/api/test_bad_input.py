"""Bad input gets a 4xx in the JSON error shape and changes nothing: huge numbers, forged cursors, any body or query at all."""
from __future__ import annotations

import base64
import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import MEMBERS, ORIGIN, PASSPHRASE
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from api import settings as api_settings
from api.app import create_app
from api.http.cursors import SECRET_FILE
from api.openapi import document
from api.wiring import create_node
from coop import canonical, statements
from coop.errors import BadInput
from coop.node import KEYS_DIR, REPO_DIR, Node

HUGE = "9" * 5000  # past CPython's 4300-digit limit for int(str)
JSON = "application/json"
STATEMENT_PATHS = ["/api/v1/statements", "/api/v1/statements/batch"]
# Every list, with the query parameters it takes (from the OpenAPI document, so a new list is covered).
LISTS = {path: sorted(p["name"] for p in item["get"]["parameters"] if p["in"] == "query")
         for path, item in document()["paths"].items()
         if "get" in item and any(p["name"] == "cursor" for p in item["get"]["parameters"])}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Return a node with a founder, members and a learner, shared by the module's tests."""
    home = tmp_path_factory.mktemp("bad-input") / "node"
    made = create_node({"home": str(home), "kdf_cost": "min"}, "Test Co-op", ORIGIN, "alice", passphrase=PASSPHRASE)
    for handle, roles in MEMBERS.items():
        made.add_member(handle, roles, ["html"] if roles == ["learner"] else ["python"], author="bob" if roles == ["learner"] else None)
    yield made
    made.index.db.close()


def app_of(node: Node) -> Flask:
    """Return the node's web app with no rate limits (a 429 would hide what the property checks)."""
    return create_app(node, api_settings.load(node.home, {"rate_reads": 0, "rate_writes": 0}))


@pytest.fixture(scope="module")
def web(node: Node) -> FlaskClient:
    """Return an in-process client of the node's app."""
    return app_of(node).test_client()


def head(node: Node) -> str:
    """Return the repository's head commit."""
    found = node.store.head()
    return str(found.id) if found is not None else ""


def outcome(response: TestResponse) -> str:
    """Name how a request was answered (hypothesis's statistics show which checks the examples reached)."""
    body = response.get_json(silent=True)
    code = body["error"]["code"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else ""
    return f"{response.status_code} {code}".strip()


def is_json_error(response: TestResponse, *statuses: int) -> bool:
    """Tell whether a response is the one JSON error shape with one of the statuses."""
    body = response.get_json(silent=True) if response.mimetype == JSON else None
    return (response.status_code in statuses and isinstance(body, dict) and set(body) == {"error"}
            and set(body["error"]) == {"code", "message"} and all(isinstance(v, str) and v for v in body["error"].values()))


def post(web: FlaskClient, path: str, data: bytes) -> TestResponse:
    """POST bytes as JSON."""
    return web.post(path, data=data, content_type=JSON)


# -- huge numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    f'{{"body":{{"amount":{HUGE}}},"sigs":[]}}',
    f'{{"body":{{"amount":-{HUGE}}},"sigs":[]}}',
    f'{{"body":{{"nested":[[{{"seq":{HUGE}}}]]}},"sigs":[]}}',
    f'{{"body":{{}},"sigs":[{{"kid":{HUGE}}}]}}',
    f"[{HUGE}]",
], ids=["amount", "negative", "nested", "in-sigs", "batch"])
@pytest.mark.parametrize("path", STATEMENT_PATHS)
def test_a_statement_with_an_integer_of_thousands_of_digits_is_bad_input_and_nothing_is_written(node: Node, web: FlaskClient, path: str,
                                                                                               body: str) -> None:
    before = head(node)

    response = post(web, path, body.encode())

    assert is_json_error(response, 400) and response.get_json()["error"]["code"] == "bad_input"
    assert head(node) == before


@pytest.mark.parametrize("body", [f"old {HUGE}\n\nx", f"old 0\n\n{ORIGIN}\n{HUGE}\nAAAA\n\n— x AAAA\n"], ids=["old-size", "checkpoint-size"])
def test_a_witness_request_with_a_number_of_thousands_of_digits_is_bad_input(web: FlaskClient, body: str) -> None:
    assert is_json_error(web.post("/witness/add-checkpoint", data=body.encode()), 400)


@pytest.mark.parametrize("query", [f"/api/v1/members?limit={HUGE}", f"/api/v1/ledger/proof?index={HUGE}",
                                   f"/api/v1/ledger/consistency?from=1&to={HUGE}", "/api/v1/members?limit=-1",
                                   "/api/v1/members?limit=%D9%A3"], ids=["limit", "index", "to", "negative", "arabic-digit"])
def test_a_query_number_out_of_bounds_is_bad_input(web: FlaskClient, query: str) -> None:
    assert is_json_error(web.get(query), 400)


# -- cursors --------------------------------------------------------------------------------

def first_cursor(web: FlaskClient, path: str = "/api/v1/members") -> str:
    """Return the cursor a first page of one item hands out."""
    cursor = web.get(path, query_string={"limit": 1}).get_json()["next"]
    assert cursor, f"{path} has a single item: the test needs two"
    return str(cursor)


def b64(data: bytes) -> str:
    """Return unpadded base64url."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_the_cursors_a_list_gives_walk_it_to_the_end(web: FlaskClient) -> None:
    seen, cursor = [], None
    while True:
        page = web.get("/api/v1/members", query_string={"limit": 1, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [m["handle"] for m in page["items"]]
        if not (cursor := page["next"]):
            break

    assert seen == ["alice", "bob", "carol", "dan"]


FORGED = {
    "unsigned-key": lambda real: b64(b'"alice"'),
    "huge-integer": lambda real: b64(HUGE.encode()),
    "beyond-sqlite": lambda real: b64(str(2**70).encode()),
    "negative": lambda real: b64(b"-5"),
    "edited-key": lambda real: b64(b'"zzz"') + "." + real.split(".")[1],
    "edited-mac": lambda real: real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
    "no-mac": lambda real: real.split(".")[0],
    "empty-mac": lambda real: real.split(".")[0] + ".",
    "two-dots": lambda real: real + ".x",
    "not-base64": lambda real: "%%%." + real.split(".")[1],
    "nul-bytes": lambda real: "\0\0",
    "very-long": lambda real: real + "A" * 5000,
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
@pytest.mark.parametrize("path", ["/api/v1/members", "/api/v1/ledger/entries", "/api/v1/ledger/balances"])
def test_a_cursor_the_server_never_gave_is_refused_as_bad_cursor(web: FlaskClient, path: str, forge: Any) -> None:
    response = web.get(path, query_string={"cursor": forge(first_cursor(web))})

    assert is_json_error(response, 400) and response.get_json()["error"]["code"] == "bad_cursor"


def test_a_cursor_given_for_one_list_is_refused_by_another(web: FlaskClient) -> None:
    members = first_cursor(web, "/api/v1/members")

    response = web.get("/api/v1/learners", query_string={"cursor": members})

    assert is_json_error(response, 400) and response.get_json()["error"]["code"] == "bad_cursor"


def test_the_cursor_secret_is_private_to_the_node_and_outlives_a_restart(node: Node, web: FlaskClient) -> None:
    cursor = first_cursor(web)
    secret = node.home / KEYS_DIR / SECRET_FILE

    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_bytes()) == 32
    tracked = subprocess.run(["git", "-C", str(node.home / REPO_DIR), "ls-tree", "-r", "--name-only", "main"],
                             capture_output=True, text=True, check=True).stdout
    assert SECRET_FILE not in tracked
    assert app_of(node).test_client().get("/api/v1/members", query_string={"cursor": cursor}).status_code == 200


def test_cursors_made_before_the_secret_was_replaced_are_refused(node: Node, web: FlaskClient, tmp_path: Path) -> None:
    cursor = first_cursor(web)
    secret = node.home / KEYS_DIR / SECRET_FILE
    kept = tmp_path / "kept"
    secret.rename(kept)
    try:
        restarted = app_of(node).test_client()
        response = restarted.get("/api/v1/members", query_string={"cursor": cursor})
        fresh = first_cursor(restarted)
    finally:
        kept.replace(secret)

    assert is_json_error(response, 400) and response.get_json()["error"]["code"] == "bad_cursor"
    assert fresh != cursor


# -- any body, any query --------------------------------------------------------------------

def json_texts() -> st.SearchStrategy[str]:
    """Return JSON-looking text of every sort: huge and negative integers, floats, odd strings, nesting, junk."""
    leaves = st.one_of(
        st.integers().map(str),
        st.integers(16, 6000).map(lambda n: "9" * n),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.sampled_from(["1e400", "-0", "01", "NaN", "Infinity", "true", "false", "null", '"\\ud800"', '"\\u0000"', '"e\\u0301"',
                         '"\\ufeff"', "[", "}", ""]),
        st.text(max_size=12).map(json.dumps),
        st.text(max_size=12).map(lambda t: json.dumps(t, ensure_ascii=False)),
    )
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(["body", "sigs", "kid", "sig", "type", "seq", "a"]) | st.text(max_size=6), inner),
                 max_size=4).map(lambda pairs: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"),
    ), max_leaves=10)


def canonical_values() -> st.SearchStrategy[Any]:
    """Return values that encode canonically (so they pass the parser and reach the checks behind it)."""
    return st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(max_size=12),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=10,
    )


def encodable(value: Any) -> bool:
    """Tell whether a value has a canonical encoding."""
    try:
        canonical.encode(value)
    except BadInput:
        return False
    return True


@st.composite
def signed_statements(draw: st.DrawFn, node: Node) -> bytes:
    """Return a statement validly signed by alice with her next number, of a real kind, with generated fields."""
    kind = draw(st.sampled_from(sorted(node.registry.kinds)))
    fields = draw(st.dictionaries(st.text(max_size=12).filter(lambda k: k not in statements.COMMON_FIELDS), canonical_values(),
                                  max_size=6).filter(encodable))
    seq = node.view().last_seq("alice") + draw(st.sampled_from([1, 1, 1, 0, 2]))  # mostly the next number, sometimes a replay or a skip
    body = statements.make_body(kind, ORIGIN, "alice", seq, fields)
    return statements.sign(body, [node.keys.unlock("alice")])


def bodies(node: Node) -> st.SearchStrategy[bytes]:
    """Return any body a client could post: junk bytes, JSON-looking text, envelopes, canonical values, signed statements."""
    envelopes = st.tuples(json_texts(), json_texts()).map(lambda parts: f'{{"body":{parts[0]},"sigs":{parts[1]}}}')
    return st.one_of(
        st.binary(max_size=64),
        json_texts().map(str.encode),
        envelopes.map(str.encode),
        st.integers(1, 4000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
        canonical_values().filter(encodable).map(canonical.encode),
        # Filtered before encoding, as the other canonical bodies: a generated key may not be NFC text.
        st.builds(lambda body, sigs: {"body": body, "sigs": sigs},
                  st.dictionaries(st.sampled_from(statements.COMMON_FIELDS) | st.text(max_size=6), canonical_values(), max_size=6),
                  canonical_values()).filter(encodable).map(canonical.encode),
        signed_statements(node),
        signed_statements(node).map(lambda raw: f"[{raw.decode()}]".encode()),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_any_posted_statement_gets_2xx_or_a_json_4xx_and_a_refusal_writes_nothing(node: Node, web: FlaskClient, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(STATEMENT_PATHS), label="path")
    body = data.draw(bodies(node), label="body")
    before = head(node)

    response = post(web, path, body)

    event(outcome(response))
    assert response.status_code < 300 or is_json_error(response, *range(400, 500)), (response.status_code, response.get_data()[:300])
    if response.status_code >= 400:
        assert head(node) == before


QUERY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
SEGMENT_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#"), min_size=1, max_size=20)


def query_values(web: FlaskClient) -> st.SearchStrategy[str]:
    """Return what a query parameter might hold: real and forged cursors, huge, negative and odd numbers, any text."""
    real = first_cursor(web)
    return st.one_of(
        QUERY_TEXT,
        st.integers().map(str),
        st.sampled_from([HUGE, "-" + HUGE, "-1", "0", "1", "200", "201", "01", "1.5", "1e3", "\u0663", "", "%00", "..", "../coop.json",
                         real, real[:-1], real + "A", real.split(".")[0], b64(b'"zzz"') + "." + real.split(".")[1],
                         b64(str(2**70).encode()), b64(HUGE.encode()), b64(b"-1"), b64(b'["a","b"]')]),
        st.binary(max_size=40).map(b64),
        st.tuples(st.binary(max_size=24), st.binary(max_size=16)).map(lambda parts: f"{b64(parts[0])}.{b64(parts[1])}"),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_query_of_any_list_gets_a_page_or_a_json_4xx(node: Node, web: FlaskClient, data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(sorted(LISTS)), label="list")
    path = template
    for name in ("proposal_id", "app_id"):
        path = path.replace("{" + name + "}", data.draw(st.sampled_from(["p-1", "board", "..", "x" * 80]) | SEGMENT_TEXT, label=name))
    query = data.draw(st.dictionaries(st.sampled_from(LISTS[template]), query_values(web)), label="query")
    before = head(node)

    response = web.get(path, query_string=query)

    event(outcome(response))
    assert response.status_code == 200 or is_json_error(response, *range(400, 500)), (response.status_code, response.get_data()[:300])
    if response.status_code == 200:
        page = response.get_json()
        assert set(page) == {"items", "next"}
    assert head(node) == before
