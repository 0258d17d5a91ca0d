"""Kernel fixtures: a node made by the kernel alone, and statements signed by hand.

A module whose tests need every area (the ledger's log in a merge, say) says why and marks
itself `pytest.mark.every_area`; tests/test_layers.py lists it among the kernel tests that
import the areas above.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from coop import apps, config, statements
from coop.area import CORE
from coop.keys import KeyPair
from coop.node import Node, create

# The kernel's area as a node serves it: an app may sign only within its scopes (coop/apps.py).
KERNEL = (apps.scoped(CORE),)
CreateAt = Callable[..., Node]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the mark of a kernel test module that needs a node with every area."""
    config.addinivalue_line("markers", "every_area: the module's node has every area, not the kernel's alone (say why)")


def create_kernel_node(home: Path, *founding: Any, **options: Any) -> Node:
    """Found a node at home with the kernel's area alone (the rest as coop.node.create takes it)."""
    return create(config.load({"home": str(home)}), KERNEL, *founding, **options)


@pytest.fixture
def create_at(create_at: CreateAt, request: pytest.FixtureRequest) -> CreateAt:
    """Found the `node` fixture's node with the kernel's area alone, unless its module is marked every_area."""
    return create_at if request.node.get_closest_marker("every_area") else create_kernel_node


@pytest.fixture
def sign_as(node: Node) -> Callable[..., bytes]:
    """Return a function that signs a statement with any key, by default at the author's next sequence number."""

    def sign(pair: KeyPair, kind: str, fields: Mapping[str, Any], seq: int | None = None) -> bytes:
        view = node.view()
        number = seq if seq is not None else view.last_seq(pair.handle) + 1
        return statements.sign(statements.make_body(kind, view.origin, pair.handle, number, fields), [pair])

    return sign
