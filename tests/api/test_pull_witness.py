"""Pull-mode witnessing: a member's node nobody can reach cosigns after each sync and posts its cosignature to the server."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from peers_harness import Peer, decide, network, ok, revenue

from ledger import witness
from ledger.note import Note, Verifier, WitnessPolicy, verify_checkpoint


@dataclass
class Witnessed:
    """The server (a), bob's home node (b) whose witness key the charter names, and that key."""

    a: Peer
    b: Peer
    key: str
    log_key: str


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Witnessed]:
    """Return a served co-op whose charter names bob's witness key (quorum 1), and bob's node cloned from it."""
    with network(tmp_path_factory.mktemp("pull-witness")) as net:
        b = net.join("b", identities=("bob",))
        key = ok("--home", b.home, "--as", "bob", "ledger", "witness-key").strip()
        decide(net.a.home, "p-witness", {"kind": "charter", "rules": {"witnesses": [key], "witness_quorum": 1}})
        yield Witnessed(net.a, b, key, net.log_key)


def served_checkpoint(peer: Peer) -> bytes:
    """Return the checkpoint a server publishes at /ledger/checkpoint."""
    response = requests.get(f"{peer.server.url}/ledger/checkpoint", timeout=10)
    response.raise_for_status()
    return response.content


def policy(w: Witnessed) -> WitnessPolicy:
    """Return the charter's policy: bob's witness key, one cosignature needed."""
    return WitnessPolicy((Verifier.from_vkey(w.key),), 1)


def test_a_witness_node_cosigns_after_sync_and_the_server_publishes_it(witnessed: Witnessed) -> None:
    done = ok("--home", witnessed.b.home, "--as", "bob", "sync")

    assert "witness: cosigned the tree of 1 entries" in done
    checked = verify_checkpoint(served_checkpoint(witnessed.a), witnessed.log_key, witnessed.a.view().origin, policy(witnessed))
    assert checked.checkpoint.size == 1


def test_nothing_new_to_witness_posts_nothing(witnessed: Witnessed) -> None:
    ok("--home", witnessed.b.home, "--as", "bob", "sync")

    done = ok("--home", witnessed.b.home, "--as", "bob", "sync")

    assert "witness:" not in done


def test_a_grown_log_is_cosigned_at_its_new_size(witnessed: Witnessed) -> None:
    ok("--home", witnessed.b.home, "--as", "bob", "sync")
    revenue(witnessed.a.home, "rev-2", 200)

    done = ok("--home", witnessed.b.home, "--as", "bob", "sync")

    assert "witness: cosigned the tree of 2 entries" in done
    assert witness.summary(witnessed.a.view()) == {"bob": 2}
    assert len(Note.from_bytes(served_checkpoint(witnessed.a)).signatures) == 2


def test_the_witness_node_ends_with_the_servers_tree(witnessed: Witnessed) -> None:
    ok("--home", witnessed.b.home, "--as", "bob", "sync")

    assert witnessed.b.tree() == witnessed.a.tree()
