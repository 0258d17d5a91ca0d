"""The public pages people open in a browser: proposals, projects and the books."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from coop.node import Node
from governance import proposals as P
from ledger import entries as E
from ledger import log, records


def pay_the_books(node: Node) -> None:
    """Record 1,000.00 EUR, split to bob, and pay bob 200.00 EUR of it."""
    revenue = E.with_postings(E.REVENUE, {"id": "rev-1", "client": "acme", "project": None, "amount": 100000, "currency": "EUR",
                                          "account": "bank"})
    node.write(E.REVENUE, revenue)
    view = node.view()
    raw = log.entry_at(view, 0)
    policy, sha = records.policy_in_force(view)
    node.write(E.SPLIT, E.split_fields(0, records.leaf_hash_hex(raw), revenue, policy, sha, {"bob": 10000}, None, False, None))
    node.write(E.PAYOUT, E.with_postings(E.PAYOUT, {"id": "pay-1", "member": "bob", "amount": 20000, "currency": "EUR", "account": "bank",
                                                    "method": "wise", "fee": 100, "arrived": {"amount": 19900, "currency": "EUR"}, "rate": "1"}), "bob")


def test_books_page_draws_where_the_money_went(node: Node, client: FlaskClient) -> None:
    pay_the_books(node)
    page = client.get("/books")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    assert "paid out to members: 200.00 EUR (20%)" in svg.group(0)
    assert "in the treasury: 100.00 EUR (10%)" in svg.group(0)


def test_books_page_shows_balances_and_how_to_check_them(node: Node, client: FlaskClient) -> None:
    pay_the_books(node)
    html = client.get("/books").get_data(as_text=True)
    assert "member:bob" in html and "670.00 EUR" in html
    assert records.verifier(node.view()).to_vkey() in html
    assert "coop verify" in html


def test_proposal_page_renders_markdown_without_scripts(node: Node, client: FlaskClient) -> None:
    text = "# Plan\n\nWe **should**.\n\n<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-1", "Plan", text, "majority", {"kind": "general"}, node.view(), 3600))
    html = client.get("/proposals/p-1").get_data(as_text=True)
    assert "<strong>should</strong>" in html
    # The only scripts are the page's own vote block (its inputs and its module), none from the text.
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="application/json" id="vote-inputs">',
                                                   '<script type="module" src="/static/js/pages/vote.js">']
    assert not re.search(r"<[^>]*\bon[a-z]+\s*=", html), "an event handler attribute survived"
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html, re.I), "a javascript: URL survived"
    assert "Tally so far" in html and "Not voted yet: alice, bob, carol" in html


def test_proposals_page_links_every_proposal(node: Node, client: FlaskClient) -> None:
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-1", "First", "# First\n", "majority", {"kind": "general"}, node.view(), 3600))
    html = client.get("/proposals").get_data(as_text=True)
    assert '<a href="/proposals/p-1">First</a>' in html


@pytest.mark.parametrize("path", ["/proposals/..%2Fx", "/proposals/nope", "/proposals/" + "a" * 300], ids=["dotdot", "unknown", "long"])
def test_unknown_or_path_like_proposal_page_is_a_json_404_or_400(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code in (400, 404)
    assert "error" in answer.get_json()


def test_projects_page_lists_requests_with_their_budget(node: Node, client: FlaskClient) -> None:
    from coop import statements
    from projects import clients, work

    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme <b>Bakery</b>", "bob", None, now), "bob", created=now)
    node.write(work.PROJECT_TYPE, {"id": "shop", "client": "acme", "title": "Shop <i>now</i>", "text": "", "skills": ["web"],
                                   "budget": {"amount": 250000, "currency": "EUR"}, "deadline": "2027-01-31"}, "bob")
    html = client.get("/projects").get_data(as_text=True)
    assert "2500.00 EUR" in html
    assert "Shop &lt;i&gt;now&lt;/i&gt;" in html


def test_only_an_open_proposal_page_offers_a_vote_in_the_browser(node: Node, client: FlaskClient) -> None:
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-open", "Open", "# Open\n", "consent", {"kind": "general"}, node.view(), 3600))
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-draft", "Draft", "# Draft\n", "consent", {"kind": "general"}, node.view(), None))
    opened, draft = (client.get(f"/proposals/{p}").get_data(as_text=True) for p in ("p-open", "p-draft"))

    assert 'id="vote-inputs"' in opened and 'value="block"' in opened and 'value="yes"' not in opened
    assert 'id="vote-inputs"' not in draft
