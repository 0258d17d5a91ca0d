"""Paying milestones: one revenue per accepted milestone, split by the policy with the project's own team and referral."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop import statements
from coop.charter import DEFAULT_RULES
from coop.errors import Conflict, CoopError, Invalid, NotFound
from coop.node import Node
from ledger import entries as E
from ledger import log, records
from ledger.money import MAX_AMOUNT
from ledger.splits import WHOLE, SplitPolicy
from projects import payments, work

if TYPE_CHECKING:
    from tests.projects.conftest import Refused, Shop

POLICY = SplitPolicy.from_dict(DEFAULT_RULES["split_policy"])
# Milestone m1 is 123,457 cents; with nobody earning the referral share, the default policy splits it so:
#   fund:learners 3%  = 3,703.71 -> 3,704   (largest remainders: team .74, liaison .85, learners .71 win the three cents left)
#   liaison 5%        = 6,172.85 -> 6,173   (alice)
#   treasury 10%      = 12,345.70 -> 12,345
#   team 82%          = 101,234.74 -> 101,235 (bob alone)
WITHOUT_REFERRAL = [
    {"account": "fund:learners", "amount": -3704, "currency": "EUR"},
    {"account": "income:acme", "amount": 123457, "currency": "EUR"},
    {"account": "member:alice", "amount": -6173, "currency": "EUR"},
    {"account": "member:bob", "amount": -101235, "currency": "EUR"},
    {"account": "treasury", "amount": -12345, "currency": "EUR"},
]


def the_split(node: Node) -> dict[str, Any]:
    """Return the one split entry in the log."""
    (split,) = [dict(body) for _, body, _ in records.entry_bodies(node.view()) if body["type"] == E.SPLIT]
    return split


def ago(days: int) -> str:
    """Return a statement time `days` before now."""
    return statements.format_time(datetime.now(UTC).replace(microsecond=0) - timedelta(days=days))


# -- referral ----------------------------------------------------------------------------

def test_expired_referral_share_is_not_paid_and_goes_to_the_team(node: Node, open_shop: Callable[..., Shop]) -> None:
    # Registered 2025-10-01: the default policy's 12 months ended on 2026-10-01, before any payment a test can make.
    open_shop(registered="2025-10-01T00:00:00Z", shares={"bob": WHOLE}).upto("milestone_paid")

    split = the_split(node)
    assert (split["referrer"], split["referral_active"]) == ("carol", False)
    assert split["postings"] == WITHOUT_REFERRAL


def test_client_without_a_referrer_pays_no_referral_share(node: Node, open_shop: Callable[..., Shop]) -> None:
    open_shop(referrer=None, shares={"bob": WHOLE}).upto("milestone_paid")

    split = the_split(node)
    assert (split["referrer"], split["referral_active"]) == (None, False)
    assert split["postings"] == WITHOUT_REFERRAL


def test_referral_share_is_paid_inside_the_referral_period(node: Node, open_shop: Callable[..., Shop]) -> None:
    open_shop(registered=ago(330), shares={"bob": WHOLE}).upto("milestone_paid")

    split = the_split(node)
    # 5% of 123,457 = 6,172.85; the team's 77% = 95,061.89 wins the cent before it: 6,173 for the referral.
    assert split["referral_active"] is True
    assert {"account": "member:carol", "amount": -6173, "currency": "EUR"} in split["postings"]


def test_backdated_revenue_cannot_revive_an_expired_referral(node: Node, open_shop: Callable[..., Shop], refused: Refused) -> None:
    open_shop(registered="2025-10-01T00:00:00Z", shares={"bob": WHOLE}).upto("milestone_accepted")
    view = node.view()
    seq = view.last_seq("carol")
    revenue = E.with_postings(E.REVENUE, {"id": work.revenue_id("shop", "m1"), "client": "acme", "project": "shop", "milestone": "m1",
                                          "amount": 123457, "currency": "EUR", "account": "wise-eur"})
    # carol, the referrer, dates the payment the day after she registered acme: a node refuses only future dates.
    revenue_raw = node.sign(E.REVENUE, revenue, "carol", view, "2025-10-02T00:00:00Z", seq + 1)
    policy, sha = records.policy_in_force(view)
    split = E.split_fields(log.size(view), records.leaf_hash_hex(revenue_raw), revenue, policy, sha, {"bob": WHOLE}, "carol", True, "alice")

    refused(lambda: node.submit([revenue_raw, node.sign(E.SPLIT, split, "carol", view, None, seq + 2)]), CoopError)


# -- paying ------------------------------------------------------------------------------

def test_paying_a_milestone_twice_is_refused(shop: Shop, refused: Refused) -> None:
    shop.upto("milestone_paid")

    refused(shop.pay, Conflict, "already used")


@pytest.mark.parametrize("step", ["in_progress", "milestone_delivered"], ids=["planned", "delivered"])
def test_paying_a_milestone_that_is_not_accepted_is_refused(shop: Shop, refused: Refused, step: str) -> None:
    shop.upto(step)

    refused(shop.pay, Conflict, "only an accepted milestone is paid")


@pytest.mark.parametrize(("amount", "currency"), [(123456, "EUR"), (123458, "EUR"), (123457, "USD")], ids=["less", "more", "other-currency"])
def test_paying_another_amount_than_the_milestone_is_refused(shop: Shop, refused: Refused, amount: int, currency: str) -> None:
    shop.upto("milestone_accepted")

    refused(lambda: shop.pay(amount, currency), Invalid, "is worth 123457 EUR")


def test_paid_milestone_and_its_revenue_land_in_one_commit(node: Node, shop: Shop) -> None:
    shop.upto("milestone_accepted")
    before = str(node.store.head_id())

    shop.pay()

    head = node.store.head()
    assert head is not None and [str(parent.id) for parent in head.parents] == [before]
    assert work.milestones(node.view(), "shop")[0]["status"] == "paid"


# -- splits written by hand ------------------------------------------------------------------

def write_revenue(node: Node) -> tuple[int, bytes, dict[str, Any]]:
    """Record the revenue of m1 on its own, as bob; return its log index, bytes and fields."""
    fields = E.with_postings(E.REVENUE, {"id": work.revenue_id("shop", "m1"), "client": "acme", "project": "shop", "milestone": "m1",
                                         "amount": 123457, "currency": "EUR", "account": "wise-eur"})
    receipt = node.write(E.REVENUE, fields, "bob")
    index = next(i for i, body, _ in records.entry_bodies(node.view()) if body["id"] == fields["id"])
    return index, node.view().read(receipt.path) or b"", fields


def write_split(node: Node, revenue: tuple[int, bytes, dict[str, Any]], **inputs: Any) -> None:
    """Write the split of a recorded revenue by hand, with the project's inputs unless told otherwise."""
    index, raw, fields = revenue
    policy, sha = records.policy_in_force(node.view())
    chosen = {"team": {"bob": 6000, "carol": 4000}, "referrer": "carol", "referral_active": True, "liaison": "alice", **inputs}
    node.write(E.SPLIT, E.split_fields(index, records.leaf_hash_hex(raw), fields, policy, sha, chosen["team"], chosen["referrer"],
                                       chosen["referral_active"], chosen["liaison"]), "bob")


def test_split_written_by_hand_with_the_projects_team_is_accepted(node: Node, shop: Shop) -> None:
    shop.upto("milestone_accepted")
    revenue = write_revenue(node)

    write_split(node, revenue)

    assert the_split(node)["team"] == {"bob": 6000, "carol": 4000}


@pytest.mark.parametrize("inputs", [
    {"team": {"bob": 10_000}},
    {"team": {"bob": 5000, "carol": 5000}},
    {"team": {"alice": 6000, "carol": 4000}},
], ids=["member-left-out", "other-shares", "other-member"])
def test_split_whose_team_differs_from_the_projects_team_is_refused(node: Node, shop: Shop, refused: Refused, inputs: dict[str, Any]) -> None:
    shop.upto("milestone_accepted")
    revenue = write_revenue(node)

    refused(lambda: write_split(node, revenue, **inputs), Invalid, "must have team")


@pytest.mark.parametrize(("inputs", "field"), [
    ({"referrer": "bob"}, "referrer"),
    ({"referrer": None, "referral_active": False}, "referrer"),
    ({"referral_active": False}, "referral_active"),
    ({"liaison": "bob"}, "liaison"),
    ({"liaison": None}, "liaison"),
], ids=["another-referrer", "no-referrer", "referral-said-expired", "another-liaison", "no-liaison"])
def test_split_whose_referral_or_liaison_differs_from_the_projects_is_refused(node: Node, shop: Shop, refused: Refused,
                                                                              inputs: dict[str, Any], field: str) -> None:
    shop.upto("milestone_accepted")
    revenue = write_revenue(node)

    refused(lambda: write_split(node, revenue, **inputs), Invalid, f"must have {field}")


# -- the arithmetic, for any team and amount -------------------------------------------------

HANDLES = ("alice", "bob", "carol", "dan", "erin", "farid", "gita", "hugo")


@st.composite
def team_shares(draw: st.DrawFn) -> dict[str, int]:
    """Draw a team of one to eight members whose positive shares sum to 10,000 basis points."""
    members = draw(st.lists(st.sampled_from(HANDLES), min_size=1, max_size=len(HANDLES), unique=True))
    cuts = sorted(draw(st.lists(st.integers(1, WHOLE - 1), min_size=len(members) - 1, max_size=len(members) - 1, unique=True)))
    return {handle: high - low for handle, low, high in zip(members, [0, *cuts], [*cuts, WHOLE], strict=False)}


@given(team=team_shares(), amount=st.integers(1, MAX_AMOUNT), referrer=st.sampled_from([None, *HANDLES]),
       referral_active=st.booleans(), liaison=st.sampled_from([None, *HANDLES]), currency=st.sampled_from(["EUR", "JPY", "KWD"]))
def test_split_of_a_paid_milestone_sums_to_the_revenue_with_no_negative_part(team: dict[str, int], amount: int, referrer: str | None,
                                                                              referral_active: bool, liaison: str | None, currency: str) -> None:
    revenue = {"id": "rev-shop-m1", "client": "acme", "project": "shop", "amount": amount, "currency": currency}

    fields = E.split_fields(0, "00" * 32, revenue, POLICY, records.policy_sha256(POLICY.to_dict()), team, referrer,
                            referral_active, liaison)

    postings = fields["postings"]
    assert sorted(E.expected_postings({"type": E.SPLIT, **fields})) == sorted((p["account"], p["amount"], p["currency"]) for p in postings)
    shares = [p["amount"] for p in postings if p["account"] != "income:acme"]
    assert [p["amount"] for p in postings if p["account"] == "income:acme"] == [amount]
    assert -sum(shares) == amount
    assert all(share < 0 for share in shares), "every part is a share of the revenue: none is negative or zero"
    assert {p["currency"] for p in postings} == {currency}



def test_a_payment_takes_the_payers_next_three_numbers_all_dated_alike(node: Node, shop: Shop) -> None:
    shop.upto("milestone_accepted")
    last = node.view().last_seq("bob")

    receipts = payments.pay(node, "shop", "m1", 123457, "EUR", "wise-eur", "bob")

    bodies = [node.view().body(r.path) or {} for r in receipts]
    assert [b["seq"] for b in bodies] == [last + 1, last + 2, last + 3]
    assert len({b["created"] for b in bodies}) == 1 and len({r.commit for r in receipts}) == 1


def test_paying_a_milestone_the_project_does_not_have_is_refused_with_nothing_written(shop: Shop, refused: Refused) -> None:
    shop.upto("milestone_accepted")

    refused(lambda: payments.pay(shop.node, "shop", "m9", 123457, "EUR", "wise-eur", "bob"), NotFound, "has no milestone 'm9'")
