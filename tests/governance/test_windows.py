"""The minimum voting window: a proposal stays open at least as long as the charter says for its kind."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.wiring import create_node
from coop import audit
from coop.charter import DEFAULT_RULES, min_window, rules
from coop.errors import BadInput, Invalid
from coop.node import Node
from governance import proposals as P

Clock = Any  # the `clock` fixture of tests/conftest.py
HOUR = 3600


def set_windows(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any], close: Callable[..., Any],
                windows: dict[str, int]) -> None:
    """Change the minimum windows by a charter proposal every member votes for."""
    pid = propose({"kind": "charter", "rules": {"min_window_seconds": windows}}, closes_in=60)
    for voter in ("alice", "bob", "carol"):
        vote(pid, voter, "yes")
    clock.advance(60)
    assert close(pid)["applied"]


@pytest.fixture
def strict(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any], close: Callable[..., Any]) -> Node:
    """Return the node after its members decided: general proposals stay open an hour, the rest two days."""
    set_windows(clock, node, propose, vote, close, {"default": 48 * HOUR, "general": HOUR})
    return node


@pytest.mark.parametrize(("effect", "shortest", "shown"), [
    ({"kind": "general"}, HOUR, "1h"),
    ({"kind": "admit", "handle": "dan"}, 48 * HOUR, "2d"),
], ids=["kind-named", "default"])
def test_a_proposal_shorter_than_the_minimum_window_for_its_kind_is_refused(strict: Node, propose: Callable[..., str],
                                                                            effect: dict[str, Any], shortest: int, shown: str) -> None:
    before = strict.store.head_id()
    with pytest.raises(Invalid, match=f"stays open at least {shown} "):
        propose(effect, closes_in=shortest - 1)
    assert strict.store.head_id() == before


@pytest.mark.parametrize(("effect", "shortest"), [({"kind": "general"}, HOUR), ({"kind": "admit", "handle": "dan"}, 48 * HOUR)],
                         ids=["kind-named", "default"])
def test_a_proposal_open_exactly_the_minimum_window_is_accepted(strict: Node, propose: Callable[..., str],
                                                                effect: dict[str, Any], shortest: int) -> None:
    pid = propose(effect, closes_in=shortest)
    assert (strict.view().body(P.proposal_path(pid)) or {})["closes"]


def test_a_draft_has_no_window_to_check(strict: Node, propose: Callable[..., str]) -> None:
    pid = propose(closes_in=None)
    assert (strict.view().body(P.proposal_path(pid)) or {})["opens"] is None


def test_a_charter_that_does_not_set_windows_keeps_votes_open_48_hours(tmp_path: Path) -> None:
    node = create_node({"home": str(tmp_path / "node")}, "Plain Co-op", "coop.example/plain", "alice")
    try:
        assert min_window(rules(node.view()), "general") == DEFAULT_RULES["min_window_seconds"]["default"] == 48 * HOUR
        with pytest.raises(Invalid, match="stays open at least 2d "):
            node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-1", "Quick", "# Quick\n", "majority", {"kind": "general"}, node.view(),
                                                          48 * HOUR - 1))
    finally:
        node.index.db.close()


@pytest.mark.parametrize("windows", [{"general": 60}, {"default": -1}, {"default": True}, {"default": 60, "Not A Kind": 60},
                                     {"default": 400 * 24 * HOUR}, [60]],
                         ids=["no-default", "negative", "boolean", "bad-kind", "over-a-year", "not-a-mapping"])
def test_a_charter_proposal_with_bad_windows_is_refused(node: Node, propose: Callable[..., str], windows: object) -> None:
    with pytest.raises(BadInput, match="min_window_seconds"):
        propose({"kind": "charter", "rules": {"min_window_seconds": windows}})


def test_a_proposal_shorter_than_the_minimum_in_history_is_reported(tmp_path: Path, commit_unchecked: Callable[..., str]) -> None:
    node = create_node({"home": str(tmp_path / "node")}, "Plain Co-op", "coop.example/plain", "alice")
    try:
        fields = P.proposal_fields("p-1", "Quick", "# Quick\n", "majority", {"kind": "general"}, node.view(), 1)
        commit = commit_unchecked(node, node.sign(P.PROPOSAL_TYPE, fields), lambda view: {
            f"{P.proposal_dir('p-1')}/proposal.md": fields["text"].encode()})

        problems = [str(p) for p in audit.verify_repository(node.store, node.registry).problems]

        assert problems == [f"commit {commit[:12]}: {P.proposal_path('p-1')}: a general proposal stays open at least 2d "
                            "(172800 seconds, the charter's min_window_seconds); this one would close after 1s"]
    finally:
        node.index.db.close()
