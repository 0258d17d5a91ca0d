"""The governance verbs every face calls: open a proposal, vote, close, and where a proposal stands."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from api.usecases import governance as G
from coop.errors import Conflict, Invalid, NotFound
from coop.node import Node
from governance.index import find_proposals, find_votes

if TYPE_CHECKING:
    from tests.conftest import Clock

TEXT = "# Move to a four-day week\n\nFridays off from March.\n"


def test_a_draft_has_no_tally_and_nobody_waits_on_it(node: Node, clock: Clock) -> None:
    G.open_proposal(node, "alice", "p-draft", "Four days", TEXT, "majority", {"kind": "general"}, None)
    status = G.proposal_status(node.view(), "p-draft")
    assert (status.state, status.tally, status.not_voted, status.votes) == ("draft", None, (), 0)


def test_an_open_proposal_tallies_the_votes_so_far_and_names_who_has_not_voted(node: Node, clock: Clock) -> None:
    written = G.open_proposal(node, "alice", "p-open", "Four days", TEXT, "majority", {"kind": "general"}, 3600)
    G.vote(node, "bob", "p-open", "yes")
    status = G.proposal_status(node.view(), "p-open")
    assert written.closes == status.body["closes"]
    assert (status.state, status.votes, status.not_voted) == ("open", 1, ("alice", "carol"))
    assert status.tally is not None and status.tally["counts"]["yes"] == 1 and not status.closed


def test_closing_records_the_tally_the_status_then_shows(node: Node, clock: Clock) -> None:
    G.open_proposal(node, "alice", "p-close", "Four days", TEXT, "majority", {"kind": "general"}, 1)
    for voter in ("alice", "bob"):
        G.vote(node, voter, "p-close", "yes")
    clock.advance(1)
    closed = G.close(node, "carol", "p-close")
    status = G.proposal_status(node.view(), "p-close")
    assert (status.state, status.tally, closed.applied, closed.not_applied_because) == ("closed", closed.tally, True, None)
    assert status.outcome is not None and status.outcome["author"] == "carol"


def test_closing_before_the_window_ends_is_refused(node: Node, clock: Clock) -> None:
    G.open_proposal(node, "alice", "p-early", "Four days", TEXT, "majority", {"kind": "general"}, 3600)
    with pytest.raises(Invalid, match="open until"):
        G.close(node, "carol", "p-early")


def test_the_status_of_an_unknown_proposal_is_not_found(node: Node) -> None:
    with pytest.raises(NotFound):
        G.proposal_status(node.view(), "p-nothing")


def test_the_index_lists_open_proposals_a_member_has_not_voted_on(node: Node, clock: Clock) -> None:
    for pid in ("p-a", "p-b"):
        G.open_proposal(node, "alice", pid, "Four days", TEXT, "majority", {"kind": "general"}, 3600)
    G.vote(node, "bob", "p-a", "no")
    node.refresh()
    waiting = node.index.query(lambda: find_proposals(not_voted_by="bob"))
    votes = node.index.query(lambda: find_votes("p-a"))
    assert [p.proposal_id for p in waiting] == ["p-b"]
    assert [(v.voter, v.choice) for v in votes] == [("bob", "no")]


def test_closing_a_closed_proposal_again_is_refused_and_its_outcome_is_what_was_recorded(node: Node, clock: Clock) -> None:
    G.open_proposal(node, "alice", "p-twice", "Four days", TEXT, "majority", {"kind": "general"}, 1)
    clock.advance(1)
    closed = G.close(node, "carol", "p-twice")

    with pytest.raises(Conflict, match="already closed"):
        G.close(node, "bob", "p-twice")
    again = G.outcome_to_sign(node, node.view(), "p-twice", clock())
    assert again.closed and again.fields["tally"] == closed.tally


def test_a_draft_has_no_outcome_to_sign(node: Node, clock: Clock) -> None:
    G.open_proposal(node, "alice", "p-drafted", "Four days", TEXT, "majority", {"kind": "general"}, None)

    with pytest.raises(Invalid, match="is a draft"):
        G.outcome_to_sign(node, node.view(), "p-drafted", clock())
