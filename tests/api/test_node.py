"""The wiring's node: opened afresh, it unlocks each key once and then writes in any area without deriving one again."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from api.wiring import open_node
from coop.keys import KeyPair
from coop.node import Node
from coop.statements import KeyRecord
from governance import proposals as P
from ledger import entries as E

WEEK = 7 * 24 * 3600


def vote(node: Node, n: int) -> None:
    """Open a proposal as alice and vote on it as bob."""
    fields = P.proposal_fields(f"p-{n}", "Keys", "# Keys\n\nUnlock once.\n", "majority", {"kind": "general"}, node.view(), WEEK)
    node.write(P.PROPOSAL_TYPE, fields, "alice")
    node.write(P.VOTE_TYPE, P.vote_fields(node.view(), f"p-{n}", "yes"), "bob")


def revenue(node: Node, n: int) -> None:
    """Record a revenue entry in the ledger (the log key signs a new checkpoint)."""
    fields = {"id": f"rev-{n}", "client": "acme", "project": None, "amount": 1000, "currency": "EUR", "account": "bank"}
    node.write(E.REVENUE, E.with_postings(E.REVENUE, fields), "alice")


def add_member(node: Node, n: int) -> None:
    """Add a member who brings their own public key, as over HTTP."""
    node.add_member(f"erin-{n}", ["member"], ["go"], author="alice", public=KeyRecord(KeyPair.generate(f"erin-{n}").public))


@pytest.fixture
def reopened(node: Node) -> Iterator[Node]:
    """Return the node, its ledger started, opened afresh as a restarted server has it: no key unlocked yet."""
    revenue(node, 0)
    opened = open_node({"home": str(node.home)})
    yield opened
    opened.index.db.close()


@pytest.mark.parametrize("write", [vote, revenue, add_member], ids=["vote", "ledger-write", "member-addition"])
def test_a_write_on_an_open_node_derives_no_key(reopened: Node, derivations: list[str], write: Callable[[Node, int], None]) -> None:
    write(reopened, 1)  # the first write of a restarted node unlocks the keys it signs with
    derivations.clear()

    write(reopened, 2)

    assert derivations == []
