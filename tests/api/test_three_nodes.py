"""Three nodes, three `coop serve` processes: what is written at any of them reaches all, even after one was away."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from peers_harness import Peer, network, ok, opened, revenue

ROUNDS = 3


@dataclass
class Trio:
    """Node a (the founder's, keeps the log), node b (bob's) and node c (carol's), each served."""

    a: Peer
    b: Peer
    c: Peer

    @property
    def all(self) -> list[Peer]:
        """Return the three nodes."""
        return [self.a, self.b, self.c]


def sync_all(peers: list[Peer]) -> None:
    """Let every node sync with every other a few rounds, as a scheduled `coop sync` would."""
    for _ in range(ROUNDS):
        for peer in peers:
            ok("--home", peer.home, "sync", *[other.url for other in peers if other is not peer])


def learners(home: Path, author: str, handles: list[str]) -> None:
    """Register learners on a node, one statement each, signed by an identity the node holds."""
    node = opened(home)
    try:
        for handle in handles:
            node.add_member(handle, ["learner"], [], author=author)
    finally:
        node.index.db.close()


def handles(peer: Peer) -> list[str]:
    """Return the member handles a node holds."""
    return peer.view().handles()


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trio]:
    """Return three served nodes: a made by the founder, b and c cloned from it with registered node keys."""
    with network(tmp_path_factory.mktemp("trio")) as net:
        yield Trio(net.a, net.join("b", identities=("bob",)), net.join("c", identities=("carol",)))


def test_statements_written_at_each_node_reach_the_other_two(trio: Trio) -> None:
    learners(trio.a.home, "alice", ["erin"])
    learners(trio.b.home, "bob", ["fay"])
    learners(trio.c.home, "carol", ["gus"])
    revenue(trio.a.home, "rev-2", 800)

    sync_all(trio.all)

    for peer in trio.all:
        assert {"erin", "fay", "gus"} <= set(handles(peer)), peer.home
    assert len({peer.tree() for peer in trio.all}) == 1
    assert len({peer.ledger_root() for peer in trio.all}) == 1


def test_a_node_stopped_while_50_statements_are_written_elsewhere_catches_up(trio: Trio) -> None:
    sync_all(trio.all)
    trio.c.server.stop()
    written = [f"away-a-{n}" for n in range(25)] + [f"away-b-{n}" for n in range(25)]
    learners(trio.a.home, "alice", written[:25])
    learners(trio.b.home, "bob", written[25:])
    revenue(trio.a.home, "rev-3", 300)
    learners(trio.c.home, "carol", ["hal"])  # written on c while it is away: delivered when it is back
    sync_all([trio.a, trio.b])

    trio.c.server.start()
    sync_all(trio.all)

    for peer in trio.all:
        held = handles(peer)
        assert set(written) | {"hal"} <= set(held), peer.home
        assert len(held) == len(set(held))
    assert len({peer.tree() for peer in trio.all}) == 1
    assert len({peer.ledger_root() for peer in trio.all}) == 1


def test_every_node_verifies_its_whole_history_after_replicating(trio: Trio) -> None:
    for peer in trio.all:
        ok("--home", peer.home, "verify")
        ok("--home", peer.home, "ledger", "verify")


def test_a_nodes_own_statement_reaches_a_peer_that_never_fetches_from_it(trio: Trio) -> None:
    learners(trio.b.home, "bob", ["ivy"])

    done = ok("--home", trio.b.home, "sync", trio.a.url)

    assert "offered 1 of our statements" in done
    assert "ivy" in handles(trio.a)


def test_a_merge_made_by_two_nodes_alone_is_the_same_commit(trio: Trio) -> None:
    sync_all(trio.all)
    learners(trio.b.home, "bob", ["jo"])
    learners(trio.c.home, "carol", ["kim"])

    ok("--home", trio.b.home, "sync", "--no-offer", trio.c.url)
    ok("--home", trio.c.home, "sync", "--no-offer", trio.b.url)

    assert trio.b.view().snapshot.id == trio.c.view().snapshot.id  # type: ignore[union-attr]
