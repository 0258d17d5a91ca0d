"""Helpers for governance tests: making proposals, voting and closing on a real node."""
from __future__ import annotations

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
        return dict(node.view().body(P.outcome_path(proposal_id)))

    return finish
