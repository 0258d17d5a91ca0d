"""The pages of a member's keys as the server renders them: what a join link opens, and the word list.

What the pages' scripts do in a real browser is in tests/browser; here is what a
person sees without them, and that a link that opens nothing says so and no more.
"""
from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from mnemonic import Mnemonic

from api.usecases import members
from coop import invitations
from coop.node import Node

URL = "http://localhost"


def test_a_join_link_says_who_is_invited_as_what_until_when(node: Node, client: FlaskClient) -> None:
    sent = members.invite(node, "alice", "hana", ["learner"], ["html"], 7 * 86400, URL)
    page = client.get(sent.link.removeprefix(URL))

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "<strong>alice</strong> invites you to join <strong>Test Co-op</strong>" in html and "as a <strong>learner</strong>" in html
    assert re.search(r"Link works until</dt><dd>\d+ \w+ 20\d\d, \d\d:\d\d UTC", html)
    assert "I am hana, I join Test Co-op as a learner" in html


def test_the_join_page_hands_its_script_what_the_claim_carries(node: Node, client: FlaskClient) -> None:
    sent = members.invite(node, "alice", "hana", ["learner"], ["html"], 3600, URL)
    html = client.get(sent.link.removeprefix(URL)).get_data(as_text=True)

    inputs = json.loads(re.search(r'<script type="application/json" id="claim-inputs">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert inputs["code"] == sent.code and inputs["seq"] == 1 and inputs["current"] is None
    assert inputs["invitation"]["roles"] == ["learner"] and inputs["invitation"]["secret_sha256"] == invitations.secret_sha256(sent.code)


def test_a_move_link_says_the_old_key_stops_working(node: Node, client: FlaskClient) -> None:
    sent = members.invite(node, "alice", "carol", None, [], 3600, URL)
    html = client.get(sent.link.removeprefix(URL)).get_data(as_text=True)

    assert "moves you to a key of your own" in html and "old key stops working" in html


def closed(node: Node, how: str) -> str:
    """Return the path of a join link of hana's invitation after it was cancelled, forged or never made."""
    if how == "unknown":
        return "/join/hana~7K2M-QX9P-4RTD-8HWA"
    sent = members.invite(node, "alice", "hana", ["learner"], [], 3600, URL)
    if how == "cancelled":
        members.cancel(node, "alice", "hana")
    code = "7K2M-QX9P-4RTD-8HWA" if how == "forged" else sent.code
    return f"/join/hana~{code}"


@pytest.mark.parametrize(("how", "status", "says"), [
    ("unknown", 404, "does not open any invitation"),
    ("forged", 404, "not the code of hana’s invitation"),
    ("cancelled", 410, "was cancelled"),
], ids=["unknown", "forged", "cancelled"])
def test_a_link_that_opens_nothing_gets_a_clear_page_and_no_form(node: Node, client: FlaskClient, how: str, status: int, says: str) -> None:
    path = closed(node, how)
    head = node.store.head()
    page = client.get(path)

    html = page.get_data(as_text=True)
    assert page.status_code == status and page.mimetype == "text/html"
    assert says in html and "claim-inputs" not in html and "Make my key" not in html
    assert node.store.head() == head


@pytest.mark.parametrize("path", ["/join/hana", "/join/hana~7K2M", "/join/Hana..~7K2M-QX9P-4RTD-8HWA"], ids=["no code", "short", "bad handle"])
def test_a_broken_join_link_says_what_is_wrong(client: FlaskClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and page.mimetype == "text/html" and "This link does not work" in page.get_data(as_text=True)


def test_the_word_list_is_the_mnemonic_package_s_english_list(client: FlaskClient) -> None:
    answer = client.get("/words/english.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True).split() == Mnemonic("english").wordlist
