"""Wiring: the one place that knows every area and builds a node from them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coop import config
from coop.area import CORE
from coop.kinds import Area
from coop.node import Node, create
from coop.view import View
from ledger import book, keeper
from ledger.log import LogSigner


class Wiring:
    """The areas of one node, with the hooks that need the node itself."""

    def __init__(self) -> None:
        self.node: Node | None = None

    def log_signer(self, view: View) -> LogSigner:
        """Return this node's log signer (the ledger asks for it when it appends)."""
        if self.node is None:
            raise RuntimeError("the node is not open yet")
        return keeper.signer(self.node, view)

    def areas(self) -> tuple[Area, ...]:
        """Return every area, in the order their kinds are checked."""
        return (CORE, book.area(book.Hooks(signer=self.log_signer)))

    def attach(self, node: Node) -> Node:
        """Give the hooks the node they serve."""
        self.node = node
        return node


def open_node(overrides: Mapping[str, Any] | None = None, passphrase: str | None = None) -> Node:
    """Open the node that the settings point at."""
    wiring = Wiring()
    return wiring.attach(Node(config.load(overrides), wiring.areas(), passphrase))


def create_node(overrides: Mapping[str, Any] | None, name: str, origin: str, founder: str,
                node_name: str = "node", passphrase: str | None = None) -> Node:
    """Create a node with every area, and make it the keeper of a new ledger."""
    wiring = Wiring()
    node = wiring.attach(create(config.load(overrides), wiring.areas(), name, origin, founder, passphrase, node_name))
    keeper.setup(node)
    return node
