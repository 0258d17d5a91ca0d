"""What a log signer or a witness remembers between runs: the size and root of the last tree it signed.

A signer that forgot could be talked into signing a smaller tree or a second root
for a size it already signed (a fork), so the memory is kept outside the
repository, where a rewritten history cannot reach it. Where it is kept is the
caller's choice (a StateFile in the node's home, coop/state_file.py); this module
only says what is kept and in which shape, the `{"size", "root"}` object every
signer and witness file has always held.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from coop.errors import IntegrityError
from coop.state_file import StateFile
from ledger.note import Checkpoint


class Signed(NamedTuple):
    """The last tree signed: its size and root hash."""

    size: int
    root: bytes


class TreeMemory:
    """The last tree one key signed, over a state file."""

    def __init__(self, store: StateFile) -> None:
        self.store = store

    def last(self) -> Signed | None:
        """Return the last tree signed, or None before the first signature."""
        return _signed(self.store, self.store.read())

    @contextmanager
    def changing(self) -> Iterator[Signed | None]:
        """Hold the memory against other processes and yield the last tree; `keep` inside it to move it on."""
        with self.store.locked() as data:
            yield _signed(self.store, data)

    def keep(self, checkpoint: Checkpoint) -> None:
        """Remember a checkpoint's tree as the last one signed (call it inside `changing`)."""
        self.store.write({"size": checkpoint.size, "root": checkpoint.root.hex()})


def _signed(store: StateFile, data: dict[str, object] | None) -> Signed | None:
    if data is None:
        return None
    size, root = data.get("size"), data.get("root")
    try:
        if isinstance(size, int) and isinstance(root, str):
            return Signed(size, bytes.fromhex(root))
    except ValueError:
        pass
    raise IntegrityError(f"{store.path} is damaged: it should hold the last tree signed as {{size, root}}")
