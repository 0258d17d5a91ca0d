"""Helpers for governance tests: making proposals, voting and closing on a real node."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from coop.node import Node
from governance import proposals as P


@pytest.fixture
def propose(node: Node, clock: Callable[[], str]) -> Callable[..., str]:
    """Return a function that opens a proposal (at the test clock's time) and returns its id."""
    counter = iter(range(1, 1000))

    def make(effect: dict[str, Any] | None = None, method: str = "majority", closes_in: int | None = 3600,
             options: list[str] | None = None, author: str = "alice", text: str = "# A proposal\n\nWe should do it.\n") -> str:
        proposal_id = f"p-{next(counter)}"
        fields = P.proposal_fields(proposal_id, "A proposal", text, method, effect or {"kind": "general"}, node.view(), closes_in,
                                   options, now=clock())
        node.write(P.PROPOSAL_TYPE, fields, author)
        return proposal_id

    return make


@pytest.fixture
def vote(node: Node) -> Callable[..., Any]:
    """Return a function that votes on the current version of a proposal."""
    def cast(proposal_id: str, voter: str, choice: str, reason: str = "", ranking: list[str] | None = None) -> Any:
        return node.write(P.VOTE_TYPE, P.vote_fields(node.view(), proposal_id, choice, reason, ranking), voter)

    return cast


@pytest.fixture
def close(node: Node) -> Callable[[str, str], dict[str, Any]]:
    """Return a function that closes a proposal as someone and returns the outcome body."""
    def finish(proposal_id: str, closer: str = "carol") -> dict[str, Any]:
        governance = node.registry.area("governance").service
        node.write(P.OUTCOME_TYPE, governance.outcome_fields(node.view(), proposal_id), closer)
        return dict(node.view().body(P.outcome_path(proposal_id)) or {})

    return finish


@pytest.fixture
def decide_spend(node: Node, clock: Any, propose: Callable[..., str], vote: Callable[..., Any],
                 close: Callable[..., Any]) -> Callable[..., dict[str, str]]:
    """Return a function that funds the treasury, decides a spend proposal and returns what an entry names as authorised_by."""
    from ledger import entries as E
    from ledger import log, records

    def decide(amount: int, passes: bool = True) -> dict[str, str]:
        revenue = E.with_postings(E.REVENUE, {"id": "rev-1", "client": "acme", "project": None, "amount": 100000,
                                              "currency": "EUR", "account": "bank"})
        node.write(E.REVENUE, revenue)  # 1,000.00 EUR, of which the treasury's share is 100.00 EUR
        view = node.view()
        raw = log.entry_at(view, 0)
        policy, sha = records.policy_in_force(view)
        node.write(E.SPLIT, E.split_fields(0, records.leaf_hash_hex(raw), revenue, policy, sha, {"alice": 10000}, None, False, None))
        pid = propose({"kind": "spend", "amount": amount, "currency": "EUR", "purpose": "hosting"}, method="majority", closes_in=1)
        for voter in ("alice", "bob"):
            vote(pid, voter, "yes" if passes else "no")
        clock.advance(1)
        close(pid)
        return {"proposal": pid, "sha256": hashlib.sha256(node.view().read(P.proposal_path(pid)) or b"").hexdigest()}

    return decide
