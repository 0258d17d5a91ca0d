"""The Merkle log as files in the co-op's repository (tlog-tiles layout under `ledger/`).

Appending computes the new tiles, entry bundles and the signed checkpoint as one
set of file changes, so they land in the same git commit as the entries: a crash
can never leave the checkpoint ahead of the data, and compare-and-swap on the
branch means two writers can never take the same index.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from coop.errors import Conflict, CoopError, Forbidden, IntegrityError, NotFound, StaleWrite
from coop.view import View
from ledger import merkle, tiles
from ledger.memory import Signed, TreeMemory
from ledger.note import Checkpoint, Note, Signer, TlogProof, sign_note, verify_checkpoint

PREFIX = "ledger/"
CHECKPOINT = PREFIX + "checkpoint"
TILE_DIR = PREFIX + "tile/"


def _reader(view: View) -> Callable[[str], bytes]:
    def read(path: str) -> bytes:
        data = view.read(PREFIX + path)
        if data is None:
            raise IntegrityError(f"the log is missing {PREFIX + path}")
        return data
    return read


def stored_checkpoint(view: View) -> Note | None:
    """Return the checkpoint note as stored (not yet verified), or None for an empty log."""
    data = view.read(CHECKPOINT)
    return Note.from_bytes(data) if data is not None else None


def size(view: View) -> int:
    """Return the number of entries the stored checkpoint covers."""
    note = stored_checkpoint(view)
    return Checkpoint.from_text(note.text).size if note is not None else 0


def hashes(view: View, tree_size: int) -> tiles.TileHashReader:
    """Return a reader of perfect-subtree hashes of the tree of a given size.

    Only the partial tiles of the stored size are kept, so read through the
    stored size: every perfect subtree of an older tree is one of the newer tree.
    """
    return tiles.TileHashReader(tree_size, _reader(view))


def entries(view: View, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield (index, entry bytes) for start <= index < end, reading each bundle once.

    Bundles are read at the widths of the stored size: partial bundles of older
    sizes are not kept.
    """
    stored = size(view)
    stop = stored if end is None else min(end, stored)
    read = _reader(view)
    for bundle in range(start // tiles.TILE_WIDTH, (stop + tiles.TILE_WIDTH - 1) // tiles.TILE_WIDTH):
        width = min(stored - bundle * tiles.TILE_WIDTH, tiles.TILE_WIDTH)
        for offset, entry in enumerate(tiles.decode_bundle(read(tiles.bundle_path(bundle, width)), width)):
            index = bundle * tiles.TILE_WIDTH + offset
            if start <= index < stop:
                yield index, entry


def entry_at(view: View, index: int) -> bytes:
    """Return the entry at an index."""
    if not 0 <= index < size(view):
        raise NotFound(f"no ledger entry {index}; the log has {size(view)}")
    return next(entries(view, index, index + 1))[1]


def append_changes(view: View, new_entries: Sequence[bytes], signer: LogSigner) -> dict[str, bytes | None]:
    """Return the file changes that append entries and sign the new checkpoint."""
    old = size(view)
    leaf_hashes = [merkle.leaf_hash(e) for e in new_entries]
    read = _reader(view)
    changes: dict[str, bytes | None] = {}
    changes.update({PREFIX + p: d for p, d in tiles.tile_updates(old, leaf_hashes, read).items()})
    changes.update({PREFIX + p: d for p, d in tiles.bundle_updates(old, new_entries, read).items()})
    for path in _superseded_partials(old, old + len(new_entries)):
        changes.setdefault(path, None)
    compact = merkle.CompactRange.from_tree(old, hashes(view, old).get_hash) if old else merkle.CompactRange(0, ())
    for leaf in leaf_hashes:
        compact = compact.append(leaf)
    staged = View(view.snapshot, {**view.pending, **changes})
    checkpoint = Checkpoint(signer.origin, compact.size, compact.root())
    changes[CHECKPOINT] = signer.sign(checkpoint, staged)
    return changes


def _superseded_partials(old: int, new: int) -> Iterator[str]:
    """Yield partial tiles and bundles of the old size that the new size replaces."""
    level, count_old, count_new = 0, old, new
    while count_old:
        width_old = count_old % tiles.TILE_WIDTH
        index = count_old // tiles.TILE_WIDTH
        if width_old and (count_new // tiles.TILE_WIDTH > index or count_new % tiles.TILE_WIDTH != width_old):
            yield PREFIX + tiles.tile_path(level, index, width_old)
            if level == 0:
                yield PREFIX + tiles.bundle_path(index, width_old)
        level, count_old, count_new = level + 1, count_old // tiles.TILE_WIDTH, count_new // tiles.TILE_WIDTH


def inclusion(view: View, index: int, tree_size: int) -> list[bytes]:
    """Return the inclusion proof of an entry in the tree of a given size (O(log n) tile reads)."""
    if not 0 <= index < tree_size <= size(view):
        raise NotFound(f"no entry {index} in a tree of size {tree_size} (the log has {size(view)})")
    return merkle.inclusion_proof(index, tree_size, hashes(view, size(view)).get_hash)


def consistency(view: View, old_size: int, new_size: int) -> list[bytes]:
    """Return the consistency proof between two sizes of the tree."""
    if not 0 < old_size <= new_size <= size(view):
        raise NotFound(f"no consistency proof from {old_size} to {new_size} (the log has {size(view)})")
    if old_size == new_size:
        return []
    return merkle.consistency_proof(old_size, new_size, hashes(view, size(view)).get_hash)


def receipt(view: View, index: int, note: Note | None = None) -> TlogProof:
    """Return a c2sp.org/tlog-proof bundle for an entry under a checkpoint (default: the stored one), entry as extra data."""
    note = note or stored_checkpoint(view)
    if note is None:
        raise NotFound("the ledger is empty")
    tree_size = Checkpoint.from_text(note.text).size
    return TlogProof(index, tuple(inclusion(view, index, tree_size)), note, extra=entry_at(view, index))


def _outrun(view: View) -> bool:
    """Tell whether the branch has moved past the view's snapshot (libgit2 reads the ref from disk each time)."""
    snapshot = view.snapshot
    if snapshot is None or snapshot.commit is None:
        return False
    head = snapshot.repo.references.get("refs/heads/main")
    return head is not None and str(head.target) != snapshot.id


class LogSigner:
    """The log key, with a memory of the last checkpoint it published.

    It refuses to sign a checkpoint that is not consistent with that one: a smaller
    tree, another root at the same size, or a tree that does not extend it.
    `accept` checks a stored checkpoint before it is adopted (default: signed by
    this key; a keeper that took over also accepts its predecessor's).
    """

    def __init__(self, signer: Signer, memory: TreeMemory, accept: Callable[[View, bytes], Checkpoint] | None = None) -> None:
        self.signer = signer
        self.memory = memory
        self.accept = accept or (lambda view, data: verify_checkpoint(data, signer.verifier, signer.name).checkpoint)

    @property
    def origin(self) -> str:
        """Return the log origin, which is also the key name."""
        return self.signer.name

    def last(self) -> Signed | None:
        """Return the size and root of the last checkpoint published with this key."""
        return self.memory.last()

    def sign(self, checkpoint: Checkpoint, view: View) -> bytes:
        """Sign a checkpoint after checking it extends the last one published, using the tiles in view.

        A writer whose snapshot another writer has outrun is sent back to retry on the
        new head; only a branch that is itself behind what was published is refused.
        """
        self._learn(View(view.snapshot))
        last = self.last()  # read once: another process may move it on, and then our commit will not land
        if last is not None and checkpoint.size <= last[0] and _outrun(view):
            raise StaleWrite("another writer published a newer checkpoint")
        self._check_extends(checkpoint, view, last)
        return sign_note(checkpoint.to_text(), [self.signer]).to_bytes()

    def _check_extends(self, checkpoint: Checkpoint, view: View, last: Signed | None) -> None:
        if last is None:
            return
        last_size, last_root = last
        if checkpoint.size < last_size:
            raise Forbidden(f"refusing to sign a tree of {checkpoint.size} entries after one of {last_size}: that would roll the log back")
        if checkpoint.size == last_size and checkpoint.root != last_root:
            raise Conflict(f"refusing to sign a second root for tree size {checkpoint.size}")
        if 0 < last_size < checkpoint.size:
            proof = merkle.consistency_proof(last_size, checkpoint.size, hashes(view, checkpoint.size).get_hash)
            if not merkle.verify_consistency(last_size, checkpoint.size, last_root, checkpoint.root, proof):
                raise Conflict(f"refusing to sign: the tree of {checkpoint.size} does not extend the published tree of {last_size}")

    def published(self, landed: View) -> None:
        """Remember the checkpoint of a commit that just landed, so even a one-commit rollback is refused later.

        If another writer has published a newer checkpoint since, that one is already
        remembered (or will be): nothing to do. The commit has landed either way, so
        this step never fails it; a real rollback is refused at the next signature.
        """
        last = self.last()
        note = stored_checkpoint(landed)
        if note is None or (last is not None and Checkpoint.from_text(note.text).size <= last[0]):
            return
        try:
            self._learn(landed)
        except StaleWrite:
            return

    def _learn(self, base: View) -> None:
        """Adopt the checkpoint published in the repository as the last one, once it is checked."""
        data = base.read(CHECKPOINT)
        if data is None:
            return
        try:
            checkpoint = self.accept(base, data)
        except CoopError as e:
            raise IntegrityError(f"the stored checkpoint is not signed by the log key in force for it: {e}") from e
        with self.memory.changing() as last:  # read, compare and write the memory as one step among processes
            if last is not None and checkpoint.size <= last[0]:
                if checkpoint.size < last[0] and _outrun(base):
                    raise StaleWrite("another writer published a newer checkpoint")
                self._check_extends(checkpoint, base, last)
                return
            self._check_extends(checkpoint, base, last)
            self.memory.keep(checkpoint)
