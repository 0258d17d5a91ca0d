"""Reads over HTTP: every list and detail, paging, ETags, CORS, and bad URLs answered as JSON errors."""
from __future__ import annotations

import pytest
import requests
from api_harness import ORIGIN, Coop

from api.sdk import Client
from coop.errors import ApiError


def test_index_names_the_coop_and_the_node_key(sdk: Client) -> None:
    info = sdk.get("/api/v1")

    assert info["origin"] == ORIGIN and info["name"] == "Test Co-op"
    assert info["node"]["name"] == "node" and info["node"]["keys"][0]["kid"]


def test_members_are_listed_by_handle_and_filtered_by_role(sdk: Client) -> None:
    assert [m["handle"] for m in sdk.items("/api/v1/members")] == ["alice", "bob", "carol", "dan"]
    assert [m["handle"] for m in sdk.items("/api/v1/members", role="mentor")] == ["bob"]
    assert [m["handle"] for m in sdk.items("/api/v1/members", skill="html")] == ["dan"]


def test_member_detail_carries_the_public_keys(coop: Coop, sdk: Client) -> None:
    alice = sdk.get("/api/v1/members/alice")

    assert alice["roles"] == ["founder", "member"]
    assert alice["keys"] == [{"kid": coop.keys["alice"].kid, "public": coop.keys["alice"].public.to_b64()}]


def test_pages_follow_the_cursor_without_repeating_or_skipping(sdk: Client) -> None:
    first = sdk.get("/api/v1/members", limit=3)
    second = sdk.get("/api/v1/members", limit=3, cursor=first["next"])

    assert [m["handle"] for m in first["items"]] == ["alice", "bob", "carol"]
    assert [m["handle"] for m in second["items"]] == ["dan"] and second["next"] is None


def test_the_sdk_pages_through_a_list_with_the_cursors_it_is_given(sdk: Client) -> None:
    assert [m["handle"] for m in sdk.items("/api/v1/members", limit=1)] == ["alice", "bob", "carol", "dan"]


def test_the_next_link_continues_the_list(coop: Coop) -> None:
    link = requests.get(coop.url + "/api/v1/members", params={"limit": 2}, timeout=5).headers["Link"]

    following = requests.get(coop.url + link[1:link.index(">")], timeout=5).json()

    assert [m["handle"] for m in following["items"]] == ["carol", "dan"]


def test_a_page_with_more_after_it_links_to_the_next(coop: Coop) -> None:
    response = requests.get(coop.url + "/api/v1/members", params={"limit": 1}, timeout=5)

    assert response.headers["Link"].endswith('>; rel="next"')
    assert "cursor=" in response.headers["Link"]


def test_learners_list_learners_only(sdk: Client) -> None:
    assert [m["handle"] for m in sdk.items("/api/v1/learners")] == ["dan"]
    assert sdk.get("/api/v1/learners/dan")["handle"] == "dan"


def test_the_nodes_and_an_authors_next_sequence_number_are_public(coop: Coop, sdk: Client) -> None:
    assert [n["name"] for n in sdk.items("/api/v1/nodes")] == ["node"]
    seq = sdk.get("/api/v1/authors/dan/seq")
    assert seq == {"author": "dan", "seq": 0, "next": 1}


@pytest.mark.parametrize("path", ["/api/v1/proposals", "/api/v1/apps", "/api/v1/clients", "/api/v1/requests", "/api/v1/projects",
                                  "/api/v1/milestones", "/api/v1/ledger/entries", "/api/v1/ledger/balances"])
def test_every_list_answers_a_page(sdk: Client, path: str) -> None:
    page = sdk.get(path)

    assert set(page) == {"items", "next"}


def test_an_unchanged_resource_answers_304_to_its_etag(coop: Coop) -> None:
    first = requests.get(coop.url + "/api/v1/members", timeout=5)
    again = requests.get(coop.url + "/api/v1/members", headers={"If-None-Match": first.headers["ETag"]}, timeout=5)

    assert first.status_code == 200 and again.status_code == 304 and again.content == b""


def test_allied_web_apps_get_cors_headers_and_preflights(coop: Coop) -> None:
    got = requests.get(coop.url + "/api/v1/members", headers={"Origin": "https://app.example"}, timeout=5)
    preflight = requests.options(coop.url + "/api/v1/statements", timeout=5,
                                 headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})

    assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("path", [
    "/api/v1/members/..%2F..%2Fcoop.json",
    "/api/v1/members/%2e%2e",
    "/api/v1/members/alice%00",
    "/api/v1/members/" + "a" * 5000,
    "/api/v1/members/Alice",
    "/api/v1/proposals/..%2Fx/votes",
    "/api/v1/statements/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/statements/members%2F..%2F..%2Fx.json",
    "/api/v1/statements/members/alice.json%00",
    "/api/v1/statements/" + "x/" * 2000 + "y.json",
    "/api/v1/apps/%00/deliveries",
    "/api/v1/authors/..%5C..%5Cx/seq",
    "/ledger/tile/..%2F..%2Fcoop.json",
    "/ledger/tile/0/%00",
    "/ledger/tile/0/000.p/0",
    "/ledger/tile/64/000",
    "/api/v1/ledger/entries/-1",
    "/api/v1/ledger/proof?index=" + "9" * 40,
    "/api/v1/members?cursor=%00%00",
    "/api/v1/members?limit=100000",
    "/api/v1/ledger/balances?cursor=WyJhIl0",
], ids=lambda p: p[:60])
def test_path_like_and_malformed_urls_are_refused_as_json_never_500(coop: Coop, path: str) -> None:
    response = requests.get(coop.url + path, timeout=5)

    assert response.status_code in (400, 404), response.text
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message"}


def test_an_unknown_route_is_a_json_404(coop: Coop) -> None:
    response = requests.get(coop.url + "/api/v2/nothing", timeout=5)

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(coop: Coop) -> None:
    response = requests.delete(coop.url + "/api/v1/members", timeout=5)

    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_the_sdk_raises_the_apis_error_code(sdk: Client) -> None:
    with pytest.raises(ApiError) as caught:
        sdk.get("/api/v1/members/nobody")

    assert caught.value.status == 404 and caught.value.code == "not_found"
