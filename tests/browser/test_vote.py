"""Voting on a proposal's page with the key this browser made: the vote verifies against that key alone."""
from __future__ import annotations

from api_harness import ORIGIN, Coop
from browser_harness import run
from browser_steps import invite, join, new_handle, node_held_publics, open_proposal, vote_on_page
from playwright.sync_api import Page, expect

from coop import statements
from coop.keys import PublicKey
from coop.statements import KeyRecord
from governance import proposals as P


def test_a_vote_signed_on_the_page_verifies_against_a_key_the_node_does_not_hold(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))
    proposal = open_proposal(coop)
    vote_on_page(page, coop, proposal, "Yes")

    expect(page.get_by_role("status").filter(has_text="Your vote is in")).to_be_visible()
    public = run(page, "return (await keystore.listKeys())[0].public;")
    raw = coop.client().get_bytes(f"/api/v1/statements/{P.vote_path(proposal, handle)}")
    vote_statement = statements.verify(raw, origin=ORIGIN, keys=lambda author: [KeyRecord(PublicKey.from_b64(public))],
                                       expected_type=P.VOTE_TYPE)
    assert vote_statement.body["choice"] == "yes" and vote_statement.author == handle
    assert public not in node_held_publics(coop)


def test_the_page_says_what_the_vote_will_sign(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))
    proposal = open_proposal(coop, "consent")
    page.goto(f"{coop.url}/proposals/{proposal}")
    page.get_by_role("radio", name="Object").check()
    page.get_by_label("Your reason").fill("Too dear")

    expect(page.get_by_text(f"I am {handle}. On the proposal “Buy a shared laptop” ({proposal}), I vote: Object")).to_contain_text(
        "My reason: Too dear")


def test_objecting_without_a_reason_is_stopped_on_the_page(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))
    proposal = open_proposal(coop, "consent")
    head = coop.client().get("/api/v1")["head"]
    vote_on_page(page, coop, proposal, "Block")

    expect(page.get_by_role("alert")).to_have_text("To block, write your reason.")
    assert coop.client().get("/api/v1")["head"] == head


def test_a_ranked_vote_carries_the_order_the_member_gave(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))
    proposal = open_proposal(coop, "ranked_choice", ("tea", "coffee", "water"))
    page.goto(f"{coop.url}/proposals/{proposal}")
    page.get_by_role("radio", name="Rank the options below").check()
    page.get_by_label("Rank of coffee").select_option("1")
    page.get_by_label("Rank of tea").select_option("2")
    page.get_by_role("button", name="Sign and send my vote").click()

    expect(page.get_by_role("status").filter(has_text="Your vote is in")).to_be_visible()
    body = statements.parse(coop.client().get_bytes(f"/api/v1/statements/{P.vote_path(proposal, handle)}"))[0]
    assert (body["choice"], body["ranking"]) == ("rank", ["coffee", "tea"])


def test_a_browser_with_no_key_shows_no_vote_and_says_how_to_get_one(page: Page, coop: Coop) -> None:
    page.goto(f"{coop.url}/proposals/{open_proposal(coop)}")

    expect(page.get_by_text("To vote on this page, this browser needs your key.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign and send my vote")).to_be_hidden()
