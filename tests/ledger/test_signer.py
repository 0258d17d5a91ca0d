"""The log signer never signs a checkpoint inconsistent with one it published, even after a one-commit rollback."""
from __future__ import annotations

import pytest

from api import keeper_keys
from coop.errors import Forbidden
from coop.node import Node
from ledger import entries as E
from ledger import log
from ledger.note import Checkpoint


def revenue(entry_id: str) -> dict[str, object]:
    return E.with_postings(E.REVENUE, {"id": entry_id, "client": "acme", "project": None, "amount": 100, "currency": "EUR",
                                       "account": "bank"})


def test_signer_remembers_the_checkpoint_it_just_published(node: Node) -> None:
    node.write(E.REVENUE, revenue("rev-1"))
    view = node.view()
    stored = log.stored_checkpoint(view)
    assert stored is not None
    published = Checkpoint.from_text(stored.text)
    assert keeper_keys.signer(node.keys, node.name, node.home, view).last() == (published.size, published.root)


def test_append_after_a_one_commit_rollback_is_refused(node: Node) -> None:
    node.write(E.REVENUE, revenue("rev-1"))
    node.write(E.REVENUE, revenue("rev-2"))
    head = node.store.head()
    assert head is not None
    node.store.repo.references["refs/heads/main"].set_target(head.parents[0].id)  # the operator rolls the branch back
    with pytest.raises(Forbidden, match="roll the log back"):
        node.write(E.REVENUE, revenue("rev-3"))
    assert log.size(node.view()) == 1
