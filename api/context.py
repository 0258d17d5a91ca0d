"""What every `coop` subcommand shares: the options of the group, the opened node, progress bars."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click
from tqdm import tqdm

from api.node import open_node
from coop.digits import parse_whole
from coop.errors import BadInput
from coop.ids import check_id
from coop.node import Node


class Context:
    """What every command needs: the settings from the group's options, and the node once opened."""

    def __init__(self, home: str | None, identity: str | None) -> None:
        self.overrides = {"home": home, "identity": identity}
        self.identity = identity
        self._node: Node | None = None

    @property
    def node(self) -> Node:
        """Open the node (once) and bring its index up to date."""
        if self._node is None:
            self._node = open_node(self.overrides)
            self._node.refresh()
        return self._node


pass_ctx = click.make_pass_decorator(Context)


def progress(total: int | None, what: str, unit: str = " commits") -> tuple[tqdm, Callable[[int], None]]:
    """Return a progress bar on stderr (shown only on a terminal) and the callback that advances it."""
    bar = tqdm(total=total, desc=what, unit=unit, file=sys.stderr, disable=None, leave=False)
    return bar, bar.update


def parse_shares(text: str) -> dict[str, int]:
    """Parse `alice:6000,bob:4000` (handles and basis points) as the team options take it."""
    shares: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        handle, colon, bp = part.partition(":")
        if not colon:
            raise BadInput(f"{part!r} must be HANDLE:BASIS_POINTS, e.g. alice:6000")
        shares[check_id(handle, "team member")] = parse_whole(bp, f"basis points of {handle!r}")
    return shares
