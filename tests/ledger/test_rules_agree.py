"""Each ledger rule in one place: an entry acceptance refuses is reported, with the same words, by both audits.

An entry written past the checks (as a rogue keeper could) is caught twice by
`coop verify`: where its commit is replayed on its parent (coop.accept runs the
entry's kind check) and by the whole-log audit (ledger.audit), which walks the
log through the same order-dependent rules.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from api import keeper_keys
from coop import audit
from coop.errors import CoopError
from coop.node import Node
from coop.view import View
from ledger import entries as E
from ledger import log, records

EUR = "EUR"
Make = Callable[[Node], tuple[str, dict[str, Any], str]]  # (type, fields, author)


def revenue_fields(entry_id: str = "rev-1", amount: int = 150_000) -> dict[str, Any]:
    """Return a revenue of 1,500.00 EUR into wise-eur, postings computed."""
    return E.with_postings(E.REVENUE, {"id": entry_id, "client": "acme", "project": None, "amount": amount, "currency": EUR,
                                       "account": "wise-eur"})


def split_fields(node: Node, index: int, leaf_hash: str | None = None) -> dict[str, Any]:
    """Return the split of the revenue at index 0 to alice and bob, naming `index` (and another leaf hash, if given)."""
    view = node.view()
    policy, sha = records.policy_in_force(view)
    fields = E.split_fields(index, records.leaf_hash_hex(log.entry_at(view, 0)), revenue_fields(), policy, sha,
                            {"alice": 5000, "bob": 5000}, None, False, None)
    fields["revenue"]["leaf_hash"] = leaf_hash or fields["revenue"]["leaf_hash"]
    return fields


def payout_fields(amount: int) -> dict[str, Any]:
    """Return a payout to bob from wise-eur, postings computed."""
    return E.with_postings(E.PAYOUT, {"id": "pay-1", "member": "bob", "amount": amount, "currency": EUR, "account": "wise-eur",
                                      "method": "bank", "fee": 0, "arrived": {"amount": amount, "currency": EUR}, "rate": "1"})


CASES: dict[str, Make] = {  # each breaks one rule that depends on the entries before it
    "a-payout-that-overdraws": lambda node: (E.PAYOUT, payout_fields(10_000), "bob"),
    "a-split-of-an-entry-not-logged-yet": lambda node: (E.SPLIT, {**split_fields(node, 0), "revenue": {
        **split_fields(node, 0)["revenue"], "index": 7}, "id": "split-7"}, "bob"),
    "a-split-naming-another-leaf": lambda node: (E.SPLIT, split_fields(node, 0, "00" * 32), "bob"),
    "a-failing-balance-assertion": lambda node: (E.ASSERT, {"id": "check-1", "account": "assets:wise-eur", "amount": 1,
                                                            "currency": EUR, "postings": []}, "alice"),
    "spending-no-proposal-authorised": lambda node: spending_after_a_split(node),
}


def spending_after_a_split(node: Node) -> tuple[str, dict[str, Any], str]:
    """Split the revenue (the treasury gets its share), then spend 1.00 EUR of it naming a proposal that never passed."""
    node.write(E.SPLIT, split_fields(node, 0), "bob")
    return E.EXPENSE, E.with_postings(E.EXPENSE, {
        "id": "exp-1", "category": "hosting", "description": "A server", "amount": 100, "currency": EUR, "account": "wise-eur",
        "authorised_by": {"proposal": "p-none", "sha256": "0" * 64}}), "alice"


@pytest.fixture
def books(node: Node) -> Node:
    """Return the node with one revenue logged."""
    node.write(E.REVENUE, revenue_fields())
    return node


def log_leaf(node: Node) -> Callable[[View], Mapping[str, bytes | None]]:
    """Return the effect of appending the entries staged in a view to the log, as the keeper would."""
    return lambda view: log.append_changes(view, records.staged_entries(view), keeper_keys.signer(node.keys, node.name, node.home, view))


@pytest.mark.parametrize("make", list(CASES.values()), ids=list(CASES))
def test_an_entry_acceptance_refuses_is_reported_by_the_commit_replay_and_the_whole_log_audit_alike(
        books: Node, make: Make, commit_unchecked: Callable[..., str]) -> None:
    kind, fields, author = make(books)
    raw = books.sign(kind, fields, author)
    with pytest.raises(CoopError) as refused:
        books.submit_one(raw)
    index = log.size(books.view())

    commit = commit_unchecked(books, raw, log_leaf(books))

    problems = [str(p) for p in audit.verify_repository(books.store, books.registry).problems]
    assert problems == [f"commit {commit[:12]}: {records.entry_path(fields['id'])}: {refused.value}",
                        f"repository: ledger entry {index}: {refused.value}"]
