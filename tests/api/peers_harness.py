"""Nodes on 127.0.0.1 that replicate: each a data directory, a `coop serve` process, and the `coop` command."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api_harness import COOP, PASSPHRASE, SERVER_ENV, Server, make_node

from api.wiring import open_node
from coop import statements
from coop.node import Node
from coop.store import Snapshot
from coop.view import View
from governance import proposals as P
from ledger import entries as E
from ledger import log

WINDOW = 1  # seconds a test proposal is open: the test charter's minimum (the votes are cast at the opening)


def coop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the coop command as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(SERVER_ENV)
    return subprocess.run([str(COOP), *map(str, args)], env=env, capture_output=True, text=True, timeout=180)


def ok(*args: str | Path) -> str:
    """Run the coop command and return its output; fail the test with its error if it fails."""
    done = coop(*args)
    assert done.returncode == 0, f"coop {' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def opened(home: Path) -> Node:
    """Open a node in this process (close its index when done)."""
    return open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)


def revenue(home: Path, entry_id: str, amount: int, author: str = "alice") -> None:
    """Record a revenue entry on a node that keeps the log."""
    node = opened(home)
    try:
        fields = {"id": entry_id, "client": "acme", "project": None, "amount": amount, "currency": "EUR", "account": "wise-eur"}
        node.write(E.REVENUE, E.with_postings(E.REVENUE, fields), author)
    finally:
        node.index.db.close()


def decide(home: Path, proposal_id: str, effect: Mapping[str, object]) -> None:
    """Propose an effect on a node, have alice, bob and carol vote yes, and close it at the end of its window.

    The node's clock stands at the opening while they vote, then moves to the close: no one waits for the window.
    """
    node = opened(home)
    try:
        opens = statements.now()
        node.clock = lambda: opens
        fields = P.proposal_fields(proposal_id, f"Decide {proposal_id}", f"# Decide {proposal_id}\n", "majority", effect,
                                   node.view(), WINDOW, now=opens)
        node.write(P.PROPOSAL_TYPE, fields, "alice")
        for voter in ("alice", "bob", "carol"):
            node.write(P.VOTE_TYPE, P.vote_fields(node.view(), proposal_id, "yes"), voter)
        node.clock = lambda: fields["closes"]
        governance = node.registry.area("governance").service
        outcome = governance.outcome_fields(node.view(), proposal_id)
        assert outcome["applied"], outcome
        node.write(P.OUTCOME_TYPE, outcome, "alice")
    finally:
        node.index.db.close()


@dataclass
class Peer:
    """A node on disk and its server."""

    home: Path
    server: Server

    @property
    def url(self) -> str:
        """Return the node's git URL."""
        return f"{self.server.url}/git/"

    def view(self) -> View:
        """Return a view of the node's head."""
        node = opened(self.home)
        try:
            head = node.store.head()
            assert head is not None
            return View(Snapshot(node.store.repo, head))
        finally:
            node.index.db.close()

    def tree(self) -> str:
        """Return the id of the tree at the node's head."""
        return str(self.view().snapshot.tree.id)  # type: ignore[union-attr]

    def ledger_root(self) -> str:
        """Return the checkpoint's root line."""
        data = self.view().read(log.CHECKPOINT)
        assert data is not None
        return data.decode().split("\n")[2]


def join(source: Peer, founder: Path, home: Path, name: str, identities: tuple[str, ...] = ()) -> Peer:
    """Clone a node, give the clone a node key the founder registers, copy in identities' keys, and serve it."""
    ok("clone", source.url, home)
    key = ok("--home", home, "node", "key", name).strip()
    ok("--home", founder, "--as", "alice", "node", "add", name, key)
    for handle in identities:
        shutil.copy(founder / "keys" / f"{handle}.key", home / "keys" / f"{handle}.key")
    ok("--home", home, "sync", source.url)
    return Peer(home, Server(home).start())


class Network:
    """Served nodes that a test started, stopped together: the founder's node `a` (one ledger entry) and its clones."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        _, self.log_key = make_node(tmp / "a")
        revenue(tmp / "a", "rev-1", 1500)
        self.a = Peer(tmp / "a", Server(tmp / "a").start())
        self.peers = [self.a]

    def join(self, letter: str, identities: tuple[str, ...] = ()) -> Peer:
        """Clone `a` into <tmp>/<letter> as node-<letter>, registered, with the identities' keys, and serve it."""
        peer = join(self.a, self.a.home, self.tmp / letter, f"node-{letter}", identities)
        self.peers.append(peer)
        return peer

    def stop(self) -> None:
        """Stop every server started."""
        for peer in self.peers:
            peer.server.stop()


@contextmanager
def network(tmp: Path) -> Iterator[Network]:
    """Start the founder's served node in tmp; stop every node of the network afterwards."""
    started = Network(tmp)
    try:
        yield started
    finally:
        started.stop()
