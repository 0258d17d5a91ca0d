"""The co-op survives its server: a passed proposal moves the log keeper to another node, and everyone follows."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from peers_harness import Peer, decide, network, ok, opened, revenue

from api import keeper_keys
from coop.errors import BadSignature, Forbidden, NotFound
from ledger import keepers, log
from ledger.note import Checkpoint, Note, Signer, sign_note, verify_checkpoint

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
    with pytest.raises(BadSignature, match="no signature by a known key"):
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


def old_log_key(moved: Moved) -> Signer:
    """Return the log key the old keeper (a) still holds after the move."""
    node = opened(moved.a.home)
    try:
        signer = Signer(node.origin, keeper_keys.log_keys(node).unlock(node.name).seed)
    finally:
        node.index.db.close()
    assert signer.verifier.to_vkey() == moved.old_vkey
    return signer


def test_a_checkpoint_the_old_key_signs_after_the_move_is_refused(moved: Moved) -> None:
    view = moved.b.view()
    data = view.read(log.CHECKPOINT)
    assert data is not None
    grown = Checkpoint.from_text(Note.from_bytes(data).text)  # the tree of 2, past the handover at size 1
    forged = sign_note(grown.to_text(), [old_log_key(moved)]).to_bytes()

    with pytest.raises(BadSignature, match="no signature by a known key"):
        keepers.verify(view, forged)


def test_a_checkpoint_the_old_key_signed_before_the_move_stays_valid(moved: Moved) -> None:
    handover = moved.a.view().read(log.CHECKPOINT)  # a's last checkpoint: the tree of 1, signed with the old key
    assert handover is not None
    view = moved.b.view()

    assert verify_checkpoint(handover, moved.old_vkey, view.origin).checkpoint.size == 1
    assert keepers.verify(view, handover).checkpoint.size == 1


def test_a_keeper_effect_naming_an_unknown_node_is_refused_when_proposed(moved: Moved) -> None:
    node = opened(moved.a.home)
    try:
        with pytest.raises(NotFound, match="no node 'node-z'"):
            keepers.check_effect(node.view(), {"kind": "keeper", "node": "node-z", "vkey": moved.vkey, "url": "http://x/git/"})
    finally:
        node.index.db.close()
