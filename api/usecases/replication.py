"""Replicating the co-op between nodes: clone a node, and sync with peers (offer, verify, take, merge, witness, follow the keeper)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from api import peering, wiring
from coop import audit, replication
from coop.area_contract import Registry
from coop.errors import BadInput, StoreError
from coop.node import Node
from ledger import log
from ledger.fork import check_fork


@dataclass(frozen=True)
class PeerSynced:
    """What one peer's sync did: its result, or why the peer could not be reached; and the witness's cosignature."""

    source: str
    result: replication.SyncResult | None
    unreachable: str | None = None
    witnessed: str | None = None

    @property
    def refused(self) -> bool:
        """Tell whether this peer was unreachable or its history refused (this node then kept its own)."""
        return self.result is None or not self.result


def registry() -> Registry:
    """Return the kinds of statement every node accepts, for replaying a fetched history."""
    return Registry(wiring.areas())


def clone(source: str, directory: Path) -> audit.Report:
    """Fetch a co-op's repository from a node's URL (or a path), verify it all, and make a keyless node in `directory`."""
    return replication.clone(peering.git_url(source), directory, registry())


def peers_to_sync(node: Node, named: Sequence[str]) -> list[str]:
    """Return the git URLs to sync with: the peers named (a node's URL or a path), else every git remote."""
    sources = [peering.git_url(peer) for peer in named] or replication.peers(node.store)
    if not sources:
        raise BadInput("no peers: name one (a node's URL such as http://host:8000, or a path), or clone from one first")
    return sources


def sync(node: Node, sources: Sequence[str], offer: bool = True) -> Iterator[PeerSynced]:
    """Sync with each peer in turn, yielding what each did as it is done (a long sync shows its progress).

    Our statements the peer lacks are offered to its API first (unless `offer` is
    False); its new commits are verified before they touch the branch. If this
    node's identity is a witness the charter names, it then cosigns the checkpoint,
    posts the cosignature to the peer, and takes it back as the peer stored it.
    """
    identity = node.config["identity"]
    for source in sources:
        try:
            result = sync_once(node, source, peering.offer if offer else None)
        except StoreError as e:
            yield PeerSynced(source, None, unreachable=str(e))
            continue
        witnessed = peering.witness_after_sync(node, source, identity) if result and identity else None
        if witnessed:
            sync_once(node, source, None)
        yield PeerSynced(source, result, witnessed=witnessed)


def after_sync(node: Node) -> str | None:
    """Bring the index up to the synced branch and follow the log keeper if a proposal moved it; say what moved."""
    node.refresh()
    return peering.follow_keeper(node)


def sync_once(node: Node, source: str, offer: replication.Offer | None) -> replication.SyncResult:
    """Sync the node with one peer, keeping our checkpoint where the merge meets two."""
    return replication.sync(node.store, node.registry, node.home, source, check_fork, keep=[log.CHECKPOINT], offer=offer)
