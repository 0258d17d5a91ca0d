"""Ledger proofs for many readers: what never changes is computed once.

A perfect subtree's hash never changes once the tree holds it, and an entry
bundle of a given width never changes either. The server keeps the subtree
hashes it has computed (for the log's current size; they stay valid for every
smaller tree) and the bundles it has decoded, so a proof costs a few dictionary
lookups instead of hashing hundreds of nodes and decoding a bundle per request.
The proofs are the same as `ledger.log.inclusion` and `ledger.log.consistency`
give.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from coop.errors import NotFound
from coop.view import View
from ledger import log, merkle, tiles

GetHash = Callable[[int, int], bytes]
HASHES_KEPT = 1 << 16
BUNDLES_KEPT = 64


class Proofs:
    """Inclusion and consistency proofs and entries, from memoised tree hashes and bundles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = 0
        self._get_hash: GetHash | None = None
        self._bundles: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()

    def _hashes(self, view: View) -> tuple[int, GetHash]:
        """Return the log's size in this view and a memoised hash reader for a tree at least that large."""
        size = log.size(view)
        with self._lock:
            if self._get_hash is None or size > self._size:
                self._size = size
                self._get_hash = lru_cache(maxsize=HASHES_KEPT)(log.hashes(view, size).get_hash)
            return size, self._get_hash

    def inclusion(self, view: View, index: int, tree_size: int) -> list[bytes]:
        """Return the inclusion proof of an entry in the tree of a given size."""
        size, get_hash = self._hashes(view)
        if not 0 <= index < tree_size <= size:
            raise NotFound(f"no entry {index} in a tree of size {tree_size} (the log has {size})")
        return merkle.inclusion_proof(index, tree_size, get_hash)

    def consistency(self, view: View, old_size: int, new_size: int) -> list[bytes]:
        """Return the consistency proof between two sizes of the tree."""
        size, get_hash = self._hashes(view)
        if not 0 < old_size <= new_size <= size:
            raise NotFound(f"no consistency proof from {old_size} to {new_size} (the log has {size})")
        return [] if old_size == new_size else merkle.consistency_proof(old_size, new_size, get_hash)

    def entry(self, view: View, index: int) -> bytes:
        """Return the entry at an index."""
        size = log.size(view)
        if not 0 <= index < size:
            raise NotFound(f"no ledger entry {index}; the log has {size}")
        number = index // tiles.TILE_WIDTH
        key = (number, min(size - number * tiles.TILE_WIDTH, tiles.TILE_WIDTH))
        with self._lock:
            found = self._bundles.get(key)
            if found is not None:
                self._bundles.move_to_end(key)
        if found is None:
            data = view.read(log.PREFIX + tiles.bundle_path(*key))
            if data is None:
                raise NotFound(f"the log is missing its bundle {tiles.bundle_path(*key)}")
            found = tiles.decode_bundle(data, key[1])
            with self._lock:
                self._bundles[key] = found
                while len(self._bundles) > BUNDLES_KEPT:
                    self._bundles.popitem(last=False)
        return found[index % tiles.TILE_WIDTH]
