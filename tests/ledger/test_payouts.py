"""Who may take money out of a member's account, and entries naming someone who is not in the co-op.

A payout from bob's account is recorded by bob, or by a treasurer the charter
names; a transfer out of it only by bob. The same rule holds when history is
replayed: a commit that slipped one past a node is reported by `coop verify`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from api import keeper_keys
from coop import audit
from coop.apps import APP_TYPE, app_fields
from coop.errors import BadInput, Forbidden, NotFound
from coop.keys import KeyPair
from coop.node import Node
from coop.statements import KeyRecord
from coop.view import View
from governance import proposals as P
from ledger import entries as E
from ledger import log, records

Clock = Any  # the `clock` fixture of tests/conftest.py: call it for now, advance(seconds) to move it
EUR = "EUR"


def payout_fields(member: str = "bob", entry_id: str = "pay-1", amount: int = 10_000) -> dict[str, Any]:
    """Return a payout of 100.00 EUR from wise-eur to a member, postings computed."""
    return E.with_postings(E.PAYOUT, {"id": entry_id, "member": member, "amount": amount, "currency": EUR, "account": "wise-eur",
                                      "method": "bank", "fee": 0, "arrived": {"amount": amount, "currency": EUR}, "rate": "1"})


def receive_and_split(node: Node, shares: dict[str, int]) -> None:
    """Record 1,500.00 EUR arriving and write its split to the team shares given."""
    revenue = E.with_postings(E.REVENUE, {"id": "rev-1", "client": "acme", "project": None, "amount": 150_000, "currency": EUR,
                                          "account": "wise-eur"})
    node.write(E.REVENUE, revenue)
    view = node.view()
    policy, sha = records.policy_in_force(view)
    node.write(E.SPLIT, E.split_fields(0, records.leaf_hash_hex(log.entry_at(view, 0)), revenue, policy, sha, shares,
                                       None, False, None))


@pytest.fixture
def paid(node: Node) -> Node:
    """Return the node after 1,500.00 EUR arrived and was split to bob (the co-op now owes bob most of it)."""
    receive_and_split(node, {"bob": 10_000})
    return node


def name_treasurer(node: Node, clock: Clock, handle: str) -> None:
    """Make `handle` the treasurer by a charter proposal every member votes for."""
    effect = {"kind": "charter", "rules": {"treasurers": [handle]}}
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-treasurer", "Name a treasurer", f"# {handle} keeps the books\n", "majority",
                                                  effect, node.view(), 60, now=clock()))
    for voter in ("alice", "bob", "carol"):
        node.write(P.VOTE_TYPE, P.vote_fields(node.view(), "p-treasurer", "yes"), voter)
    clock.advance(61)
    node.write(P.OUTCOME_TYPE, node.registry.area("governance").service.outcome_fields(node.view(), "p-treasurer"))


def test_a_payout_by_the_member_paid_is_accepted(paid: Node) -> None:
    assert paid.write(E.PAYOUT, payout_fields(), "bob").created
    assert log.size(paid.view()) == 3


@pytest.mark.parametrize("author", ["alice", "carol"], ids=["the-founder", "another-member"])
def test_a_payout_by_another_member_is_refused(paid: Node, author: str) -> None:
    with pytest.raises(Forbidden, match="recorded only by 'bob' or a treasurer"):
        paid.write(E.PAYOUT, payout_fields(), author)
    assert log.size(paid.view()) == 2


def test_a_payout_by_a_treasurer_the_charter_names_is_accepted(paid: Node, clock: Clock) -> None:
    name_treasurer(paid, clock, "carol")

    assert paid.write(E.PAYOUT, payout_fields(), "carol").created
    with pytest.raises(Forbidden, match=r"treasurer the charter names \(carol\)"):
        paid.write(E.PAYOUT, payout_fields(entry_id="pay-2"), "alice")
    assert log.size(paid.view()) == 3


def test_an_app_cannot_record_a_payout_even_with_the_scope(paid: Node) -> None:
    pair = KeyPair.generate("pay-app")
    paid.write(APP_TYPE, app_fields("pay-app", "Payroll", "bob", [KeyRecord(pair.public)], [E.PAYOUT]), "bob")
    paid.keys.save(pair)

    with pytest.raises(Forbidden, match="not a member"):
        paid.write(E.PAYOUT, payout_fields(), "pay-app")
    assert log.size(paid.view()) == 2


@pytest.mark.parametrize("treasurers", [["bob", "bob"], "bob", ["Bob"], [1]], ids=["twice", "not-a-list", "not-a-handle", "number"])
def test_a_charter_proposal_naming_treasurers_badly_is_refused(node: Node, treasurers: object) -> None:
    with pytest.raises(BadInput, match="treasurer"):
        node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-bad", "Bad", "# Bad\n", "majority",
                                                      {"kind": "charter", "rules": {"treasurers": treasurers}}, node.view(), None))


def log_leaf(node: Node) -> Callable[[View], Mapping[str, bytes | None]]:
    """Return the effect of appending the entries staged in a view to the log, as the keeper would."""
    return lambda view: log.append_changes(view, records.staged_entries(view), keeper_keys.signer(node.keys, node.name, node.home, view))


def test_a_payout_by_an_unauthorised_author_in_history_is_reported(paid: Node, commit_unchecked: Callable[..., str]) -> None:
    commit = commit_unchecked(paid, paid.sign(E.PAYOUT, payout_fields(), "carol"), log_leaf(paid))

    report = audit.verify_repository(paid.store, paid.registry)

    assert [str(p) for p in report.problems] == [
        f"commit {commit[:12]}: {records.entry_path('pay-1')}: a payout to 'bob' is recorded only by 'bob' or a treasurer "
        "the charter names (nobody yet), not by 'carol'"]


def test_the_same_payout_by_the_member_in_history_verifies(paid: Node, commit_unchecked: Callable[..., str]) -> None:
    commit_unchecked(paid, paid.sign(E.PAYOUT, payout_fields(), "bob"), log_leaf(paid))

    report = audit.verify_repository(paid.store, paid.registry)

    assert report, report.problems


@pytest.mark.parametrize(("kind", "fields"), [
    (E.PAYOUT, payout_fields("zed")),
    (E.TRANSFER, {"id": "move-1", "from": "member:bob", "to": "member:zed", "amount": 100, "currency": EUR}),
    (E.TRANSFER, {"id": "move-1", "from": "member:zed", "to": "member:bob", "amount": 100, "currency": EUR}),
    (E.ASSERT, {"id": "chk-1", "account": "member:zed", "amount": 0, "currency": EUR}),
], ids=["payout-to", "transfer-to", "transfer-from", "assertion-about"])
def test_an_entry_naming_an_unknown_member_says_no_such_member(paid: Node, kind: str, fields: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="no such member 'zed'"):
        paid.write(kind, E.with_postings(kind, fields), "bob")
    assert log.size(paid.view()) == 2


def test_a_split_to_an_unknown_member_says_no_such_member(node: Node) -> None:
    with pytest.raises(NotFound, match="no such member 'zed'"):
        receive_and_split(node, {"zed": 10_000})
    assert log.size(node.view()) == 1
