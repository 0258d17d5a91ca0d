"""Requests, applications, teams and the states of a project (DESIGN section 7)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from coop.errors import BadInput, Forbidden, Invalid
from coop.node import Node
from projects import work

if TYPE_CHECKING:
    from tests.projects.conftest import Refused, Shop


def form_team(node: Node, shares: dict[str, int]) -> None:
    """Have alice, the liaison, form the team of `shop`."""
    node.write(work.TEAM_TYPE, {"project": "shop", "shares": shares}, "alice")


# -- teams -------------------------------------------------------------------------------

def test_liaison_forms_the_team_from_applicants_and_the_project_is_staffed(node: Node, shop: Shop) -> None:
    shop.upto("staffed")

    assert work.team(node.view(), "shop") == {"bob": 6000, "carol": 4000}
    assert work.state(node.view(), "shop") == "staffed"


@pytest.mark.parametrize("shares", [
    {"bob": 6000, "carol": 3999},
    {"bob": 6000, "carol": 4001},
    {"bob": 10_001},
], ids=["short-by-one", "over-by-one", "one-member-over"])
def test_team_shares_that_do_not_sum_to_10000_are_refused(node: Node, shop: Shop, refused: Refused, shares: dict[str, int]) -> None:
    shop.upto("requested")
    for handle in ("bob", "carol"):
        node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I can do it."}, handle)

    refused(lambda: form_team(node, shares), Invalid, "sum to 10000")


def test_team_member_who_did_not_apply_is_refused(node: Node, shop: Shop, refused: Refused) -> None:
    shop.upto("requested")
    node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I can do it."}, "bob")

    refused(lambda: form_team(node, {"bob": 6000, "carol": 4000}), Invalid, "'carol' has not applied")


@pytest.mark.parametrize("shares", [
    {"bob": 10_000, "carol": 0},
    {"bob": 11_000, "carol": -1000},
], ids=["zero-share", "negative-share"])
def test_team_share_that_is_not_positive_is_refused(node: Node, shop: Shop, refused: Refused, shares: dict[str, int]) -> None:
    shop.upto("requested")
    for handle in ("bob", "carol"):
        node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I can do it."}, handle)

    refused(lambda: form_team(node, shares), BadInput, "positive")


def test_team_formed_by_someone_other_than_the_liaison_is_refused(node: Node, shop: Shop, refused: Refused) -> None:
    shop.upto("requested")
    node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I can do it."}, "bob")

    refused(lambda: node.write(work.TEAM_TYPE, {"project": "shop", "shares": {"bob": 10_000}}, "bob"), Forbidden, "only the liaison")


def test_application_to_a_staffed_project_is_refused(node: Node, shop: Shop, refused: Refused) -> None:
    shop.upto("staffed")

    refused(lambda: node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "Me too."}, "alice"), Invalid, "applications are closed")


# -- states ------------------------------------------------------------------------------

@pytest.mark.parametrize(("step", "target"), [
    ("requested", "in_progress"),
    ("requested", "delivered"),
    ("staffed", "delivered"),
    ("staffed", "paid"),
    ("in_progress", "paid"),
    ("in_progress", "requested"),
    ("delivered", "in_progress"),
    ("delivered", "cancelled"),
    ("paid", "cancelled"),
    ("paid", "in_progress"),
    ("cancelled", "in_progress"),
    ("cancelled", "staffed"),
], ids=lambda value: value)
def test_illegal_state_move_is_refused(shop: Shop, refused: Refused, step: str, target: str) -> None:
    shop.upto(step)

    # alice is the liaison and a member: whoever a move is for, she may make it, so only the state stops her.
    refused(lambda: shop.move(target, "alice", reason="Because."), Invalid, "cannot move to")


@pytest.mark.parametrize(("step", "target", "author"), [
    ("staffed", "in_progress", "dan"),
    ("milestone_accepted", "delivered", "bob"),
    ("requested", "cancelled", "carol"),
    ("staffed", "cancelled", "bob"),
    ("delivered", "paid", "dan"),
], ids=["start-by-outsider", "deliver-by-team-member", "cancel-by-poster-not-liaison", "cancel-by-team-member", "close-paid-by-learner"])
def test_state_move_by_the_wrong_person_is_refused(shop: Shop, refused: Refused, step: str, target: str, author: str) -> None:
    shop.upto(step)

    refused(lambda: shop.move(target, author, reason="Because."), Forbidden, f"to {target} is for the")


@pytest.mark.parametrize("extra", [{}, {"reason": ""}, {"reason": "   "}], ids=["no-reason", "empty-reason", "blank-reason"])
def test_cancelling_without_a_reason_is_refused(shop: Shop, refused: Refused, extra: dict[str, str]) -> None:
    shop.upto("staffed")

    refused(lambda: shop.move("cancelled", "alice", **extra), BadInput, "reason")


def test_cancelling_with_a_reason_cancels_the_project(node: Node, shop: Shop) -> None:
    shop.upto("cancelled")

    assert work.state(node.view(), "shop") == "cancelled"


def test_project_is_delivered_only_when_every_milestone_is_accepted(shop: Shop, refused: Refused) -> None:
    shop.upto("milestone_delivered")

    refused(lambda: shop.move("delivered", "alice"), Invalid, "every one is accepted")


def test_project_moves_through_every_state_to_paid(node: Node, shop: Shop) -> None:
    shop.upto("paid")

    assert work.state(node.view(), "shop") == "paid"
    assert [m["status"] for m in work.milestones(node.view(), "shop")] == ["paid"]


# -- milestones --------------------------------------------------------------------------

def test_milestone_is_delivered_by_a_team_member_not_the_liaison(shop: Shop, refused: Refused) -> None:
    shop.upto("in_progress")

    refused(lambda: shop.milestone("delivered", "alice"), Forbidden, "team member delivers")


def test_milestone_is_accepted_by_the_liaison_not_the_team(shop: Shop, refused: Refused) -> None:
    shop.upto("milestone_delivered")

    refused(lambda: shop.milestone("accepted", "bob"), Forbidden, "liaison accepts")


def test_milestone_marked_paid_without_its_revenue_is_refused(shop: Shop, refused: Refused) -> None:
    shop.upto("milestone_accepted")

    refused(lambda: shop.milestone("paid", "alice"), Invalid, "together with its revenue")
