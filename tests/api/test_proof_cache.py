"""The server's memoised proofs are exactly the ledger's own, at every size and index."""
from __future__ import annotations

from api.proofs import Proofs
from coop import statements
from coop.node import Node
from ledger import entries as E
from ledger import log

ENTRIES = 21


def record(node: Node, first: int, count: int) -> None:
    """Append `count` revenue entries in one commit."""
    view = node.view()
    seq, created = view.last_seq("alice"), statements.now()
    node.submit([node.sign(E.REVENUE, E.with_postings(E.REVENUE, {"id": f"rev-{i}", "client": "acme", "amount": 100 + i,
                                                                "currency": "EUR", "account": "bank"}),
                           "alice", view, created, seq + 1 + i - first) for i in range(first, first + count)])


def test_memoised_proofs_equal_the_ledgers_while_the_log_grows(node: Node) -> None:
    proofs = Proofs()
    record(node, 0, 7)
    early = node.view()
    assert [proofs.inclusion(early, i, 7) for i in range(7)] == [log.inclusion(early, i, 7) for i in range(7)]
    record(node, 7, ENTRIES - 7)
    view = node.view()

    for size in range(1, ENTRIES + 1):
        assert [proofs.inclusion(view, i, size) for i in range(size)] == [log.inclusion(view, i, size) for i in range(size)]
        assert [proofs.consistency(view, old, size) for old in range(1, size + 1)] == \
               [log.consistency(view, old, size) for old in range(1, size + 1)]
    assert [proofs.entry(view, i) for i in range(ENTRIES)] == [log.entry_at(view, i) for i in range(ENTRIES)]
    assert proofs.entry(early, 6) == log.entry_at(early, 6)
