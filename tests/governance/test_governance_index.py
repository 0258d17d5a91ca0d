"""The governance index reads: which proposals are listed, and in which order each face asks for them."""
from __future__ import annotations

from collections.abc import Callable

from coop.node import Node
from governance.index import find_proposals


def test_open_proposals_soonest_closing_first_list_neither_drafts_nor_ties_out_of_id_order(node: Node,
                                                                                         propose: Callable[..., str]) -> None:
    later, sooner, draft, tied = propose(closes_in=7200), propose(closes_in=60), propose(closes_in=None), propose(closes_in=7200)

    found = node.index.query(lambda: find_proposals("open", order="soonest"))

    assert [p.proposal_id for p in found] == [sooner, later, tied]
    assert draft not in [p.proposal_id for p in found]
