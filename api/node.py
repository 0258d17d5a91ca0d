"""Wiring: the one place that knows every area and builds a node from them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coop import config
from coop.area import CORE
from coop.kinds import Area
from coop.node import Node, create

AREAS: tuple[Area, ...] = (CORE,)


def managed_prefixes() -> tuple[str, ...]:
    """Return the repository paths areas write themselves and verify with their own checks."""
    return ()


def open_node(overrides: Mapping[str, Any] | None = None, passphrase: str | None = None) -> Node:
    """Open the node that the settings point at."""
    return Node(config.load(overrides), AREAS, passphrase)


def create_node(overrides: Mapping[str, Any] | None, name: str, origin: str, founder: str,
                node_name: str = "node", passphrase: str | None = None) -> Node:
    """Create a node with every area's kinds."""
    return create(config.load(overrides), AREAS, name, origin, founder, passphrase, node_name)
