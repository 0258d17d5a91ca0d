"""Nodes on 127.0.0.1 that replicate: each a data directory, a `coop serve` process, and the `coop` command."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from api.node import open_node
from api_harness import COOP, PASSPHRASE, SERVER_ENV, Server
from coop.node import Node
from coop.store import Snapshot
from coop.view import View
from ledger import entries as E
from ledger import log


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
