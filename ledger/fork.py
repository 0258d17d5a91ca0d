"""Compare two copies of the log and tell whether their checkpoints contradict each other.

Two validly signed checkpoints of one log contradict each other when they give
different roots for one size, or when the larger tree does not hold the smaller
one as its prefix (its tiles give another root at the smaller size). Either is
proof that the log keeper showed two histories: keep both as evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

from coop.errors import CoopError
from coop.view import View
from ledger import keepers, log
from ledger.note import Checkpoint
from ledger.witness import root_at


@dataclass(frozen=True)
class Comparison:
    """How a peer's checkpoint relates to ours: `fork` holds the contradiction, if any."""

    ours: bytes | None
    theirs: bytes | None
    fork: str | None = None
    smaller: bool = False

    def __bool__(self) -> bool:
        return self.fork is None


def signed_checkpoint(view: View) -> tuple[bytes, Checkpoint] | None:
    """Return a view's stored checkpoint, checked with the log key in force for its size there; None if it has none.

    The keys come from the view's own keeper terms: the history they are in has
    been replayed by then, so each term was decided by a proposal that passed.
    """
    data = view.read(log.CHECKPOINT)
    if data is None:
        return None
    return data, keepers.verify(view, data).checkpoint


def compare(ours: View, theirs: View) -> Comparison:
    """Compare our checkpoint with a peer's (checked with our log key); raise if the peer's is not validly signed."""
    mine = signed_checkpoint(ours)
    other = signed_checkpoint(theirs)
    if mine is None or other is None:  # no checkpoint is an empty log: smaller than any stored one
        return Comparison(mine[0] if mine else None, other[0] if other else None, smaller=other is None and mine is not None)
    (our_data, a), (their_data, b) = mine, other
    if a.size == b.size:
        fork = None if a.root == b.root else f"two roots for the tree of size {a.size}: the log keeper signed both"
    elif a.size < b.size:
        fork = None if root_at(theirs, a.size) == a.root else f"the peer's tree of size {b.size} does not extend ours of size {a.size}"
    else:
        fork = None if root_at(ours, b.size) == b.root else f"the peer's tree of size {b.size} is not a prefix of ours of size {a.size}"
    return Comparison(our_data, their_data, fork, smaller=b.size < a.size)


def check_fork(ours: View, theirs: View, behind_ok: bool = False) -> str | None:
    """Describe how the peer's checkpoint contradicts ours or rolls it back, None if it extends (or equals) ours.

    `behind_ok` accepts a smaller log that is a prefix of ours: a peer whose history
    parted from ours may simply not have our newest entries yet.
    """
    try:
        found = compare(ours, theirs)
    except CoopError as e:
        return f"the peer's checkpoint does not verify with our log key: {e}"
    if found.fork:
        return found.fork
    if found.smaller and not behind_ok:
        return "the peer's log is smaller than ours: it was rolled back"
    return None
