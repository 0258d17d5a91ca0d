"""What every `coop` subcommand shares: the options of the group, the opened node, progress bars."""
from __future__ import annotations

import codecs
import os
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import click
from tqdm import tqdm

from api.wiring import open_node
from coop.digits import parse_whole
from coop.errors import BadInput
from coop.ids import normalise_handle
from coop.node import Node
from coop.view import View


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

    def step(n: int) -> None:
        bar.update(n)
    return bar, step


def existing_member(view: View, text: str) -> str:
    """Return the handle of the member a command names, or say there is no such member."""
    handle = normalise_handle(text)
    view.require_member(handle)
    return handle


def skills_list(text: str) -> list[str]:
    """Parse 'python,web' into sorted, unique skill tags."""
    return sorted({s.strip().lower() for s in text.split(",") if s.strip()})


def new_passphrase(variable: str = "COOP_PASSPHRASE", what: str = "this node's keys") -> str | None:
    """Return a new passphrase: from the environment variable, else asked twice at a terminal (None: the key store asks)."""
    passphrase = os.environ.get(variable)
    if passphrase is None and sys.stdin.isatty():
        passphrase = click.prompt(f"Passphrase for {what}", hide_input=True, default="", show_default=False)
        if not passphrase:
            raise BadInput("an empty passphrase is not allowed: nothing was created")
        if click.prompt("The same passphrase again", hide_input=True, default="", show_default=False) != passphrase:
            raise BadInput("the two passphrases differ: nothing was created")
    return passphrase


def parse_shares(text: str, view: View) -> dict[str, int]:
    """Parse `alice:6000,bob:4000` (members' handles and basis points) as the team options take it."""
    shares: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        handle, colon, bp = part.partition(":")
        if not colon:
            raise BadInput(f"{part!r} must be HANDLE:BASIS_POINTS, e.g. alice:6000")
        shares[existing_member(view, handle)] = parse_whole(bp, f"basis points of {handle!r}")
    return shares


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text(path: Path) -> str:
    """Read a text file a member saved: UTF-8 (with or without a BOM) or UTF-16 with a BOM, as NFC text."""
    data = path.read_bytes()
    encoding = "utf-16" if data.startswith(UTF16_BOMS) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise BadInput(f"{path} is not UTF-8 text (byte {e.start} cannot be read): save it as UTF-8, or UTF-16 with a "
                       f"byte-order mark; a file from an Arabic Windows tool converts with `iconv -f cp1256 -t utf-8`") from e
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))

