"""The co-op survives its server: a passed proposal moves the log keeper to another node, and everyone follows."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from coop.errors import Forbidden
from ledger import keepers, log
from ledger.note import verify_checkpoint
from peers_harness import Peer, decide, network, ok, opened, revenue

PROPOSAL = "p-keeper"


@dataclass
class Moved:
    """The old keeper (a), the new keeper (b), a member's node (c) that synced after the move, and b's log key."""

    a: Peer
    b: Peer
    c: Peer
    vkey: str
    old_vkey: str
    tmp: Path


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moved]:
    """Move the keeper from a to b by proposal, then append on b; c syncs from a (its origin) before and after."""
    with network(tmp_path_factory.mktemp("keeper")) as net:
        b = net.join("b", identities=("alice",))
        c = net.join("c")
        vkey = ok("--home", b.home, "ledger", "keeper-key").strip()
        decide(net.a.home, PROPOSAL, {"kind": "keeper", "node": "node-b", "vkey": vkey, "url": b.url})
        ok("--home", b.home, "sync", net.a.url)
        revenue(b.home, "rev-2", 700)
        yield Moved(net.a, b, c, vkey, net.log_key, net.tmp)


def test_the_passed_proposal_starts_the_new_keepers_term_at_the_logs_size(moved: Moved) -> None:
    terms = keepers.terms(moved.a.view())

    assert [(t.keeper, t.first_size) for t in terms] == [("node", 0), ("node-b", 1)]
    assert terms[-1].vkey == moved.vkey and terms[-1].proposal == PROPOSAL


def test_the_new_keeper_appends_to_the_same_tree_under_its_own_key(moved: Moved) -> None:
    view = moved.b.view()
    data = view.read(log.CHECKPOINT)
    assert data is not None

    checkpoint = verify_checkpoint(data, moved.vkey, view.origin).checkpoint

    assert checkpoint.size == 2
    with pytest.raises(Exception):
        verify_checkpoint(data, moved.old_vkey, view.origin)


def test_the_old_keeper_refuses_ledger_writes_after_the_move(moved: Moved) -> None:
    with pytest.raises(Forbidden, match="node-b"):
        revenue(moved.a.home, "rev-late", 100)


def test_a_fresh_clone_of_the_new_keeper_verifies_everything(moved: Moved) -> None:
    fresh = moved.tmp / "fresh"

    ok("clone", moved.b.url, fresh)

    ok("--home", fresh, "verify")
    assert "ok" in ok("--home", fresh, "ledger", "verify").lower()
    assert "from size 1: node-b" in ok("--home", fresh, "ledger", "keepers")


def test_a_member_node_that_syncs_follows_the_keeper(moved: Moved) -> None:
    done = ok("--home", moved.c.home, "sync")

    assert "the log keeper is now node-b" in done
    ok("--home", moved.c.home, "sync")  # now from the new keeper
    assert moved.c.ledger_root() == moved.b.ledger_root()


def test_a_checkpoint_the_old_key_signs_after_the_move_is_refused(moved: Moved) -> None:
    view = moved.b.view()
    # Only the new key may sign trees larger than the size at the handover.
    assert [k.to_vkey() for k in keepers.verifiers_for(view, 2)] == [moved.vkey]
    assert {k.to_vkey() for k in keepers.verifiers_for(view, 1)} == {moved.vkey, moved.old_vkey}


def test_a_keeper_effect_naming_an_unknown_node_is_refused_when_proposed(moved: Moved) -> None:
    node = opened(moved.a.home)
    try:
        with pytest.raises(Exception, match="no node"):
            keepers.check_effect(node.view(), {"kind": "keeper", "node": "node-z", "vkey": moved.vkey, "url": "http://x/git/"})
    finally:
        node.index.db.close()
