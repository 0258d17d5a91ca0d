"""RFC 6962 Merkle tree hashing, proofs and their RFC 9162 verifiers.

Proof generation reads the tree only through `get_hash(level, index)`, the hash
of the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level), so
a tile reader can serve it with O(log n) reads. Nodes of a proof that are not
perfect subtrees (on the tree's right edge) are folded from perfect ones.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from coop.errors import BadInput

Hash = bytes
LeafIndex = int
GetHash = Callable[[int, int], Hash]

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
EMPTY_ROOT: Hash = hashlib.sha256(b"").digest()


def check_int(value: object, what: str, low: int = 0, high: int = MAX_TREE_SIZE) -> int:
    """Return value if it is an int (not a bool) in low..high, by default a uint64 tree size or index, else raise BadInput."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{what} must be an integer in {low}..{high}, got {value!r}")
    return value


def leaf_hash(entry: bytes) -> Hash:
    """Hash a leaf entry with the 0x00 prefix that keeps leaves apart from nodes."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    """Hash two child hashes into their parent with the 0x01 node prefix."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """Return the largest power of two strictly below size (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[Hash]) -> Hash:
    """Return the Merkle Tree Hash of a list of leaf hashes, as RFC 6962 defines it."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = _split(len(leaf_hashes))
    return node_hash(root(leaf_hashes[:k]), root(leaf_hashes[k:]))


def _fold(perfect_hashes: Sequence[Hash]) -> Hash:
    """Fold the perfect subtrees of a range, largest first, into the range's hash."""
    result = perfect_hashes[-1]
    for left in reversed(perfect_hashes[:-1]):
        result = node_hash(left, result)
    return result


def _perfect_parts(start: int, size: int) -> list[tuple[int, int]]:
    """Return (level, index) of the perfect subtrees covering [start, start + size), largest first."""
    parts = []
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            parts.append((level, start >> level))
            start += 1 << level
    return parts


def _range_hash(start: int, end: int, get_hash: GetHash) -> Hash:
    """Hash the subtree over leaves [start, end), whose start is aligned to its size's power of two."""
    return _fold([get_hash(level, index) for level, index in _perfect_parts(start, end - start)])


@dataclass(frozen=True)
class CompactRange:
    """The perfect subtree hashes covering leaves [0, size): enough to append and to get the root."""

    size: int = 0
    hashes: tuple[Hash, ...] = ()

    def __post_init__(self) -> None:
        check_int(self.size, "tree size")
        if len(self.hashes) != self.size.bit_count():
            raise BadInput(f"a tree of size {self.size} has {self.size.bit_count()} perfect subtrees, got {len(self.hashes)}")
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise BadInput("every subtree hash must be 32 bytes")

    @classmethod
    def from_tree(cls, size: int, get_hash: GetHash) -> CompactRange:
        """Read the compact range of an existing tree, to resume appending to it."""
        return cls(size, tuple(get_hash(level, index) for level, index in _perfect_parts(0, size)))

    def append(self, leaf: Hash) -> CompactRange:
        """Return the range after appending one leaf hash, merging equal-height subtrees."""
        if len(leaf) != HASH_SIZE:
            raise BadInput(f"a leaf hash is 32 bytes, got {len(leaf)}")
        hashes = list(self.hashes)
        merged = leaf
        size = self.size
        while size & 1:
            merged = node_hash(hashes.pop(), merged)
            size >>= 1
        hashes.append(merged)
        return CompactRange(self.size + 1, tuple(hashes))

    def root(self) -> Hash:
        """Return the Merkle Tree Hash of the leaves covered."""
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT


def memory_hashes(leaf_hashes: Sequence[Hash]) -> GetHash:
    """Return a get_hash over an in-memory list of leaf hashes (for tests and small trees)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def get_hash(level: int, index: int) -> Hash:
        return levels[level][index]

    return get_hash


def inclusion_proof(index: LeafIndex, size: int, get_hash: GetHash) -> list[Hash]:
    """Return the audit path of a leaf in a tree of the given size, the leaf's sibling first."""
    if not 0 <= index < size:
        raise BadInput(f"leaf index {index} is not in a tree of size {size}")
    path = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_range_hash(start + k, end, get_hash))
            end = start + k
        else:
            path.append(_range_hash(start, start + k, get_hash))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get_hash: GetHash) -> list[Hash]:
    """Return the proof that the tree of old_size is a prefix of the tree of new_size.

    Old size 0 gets an empty proof, as tlog-witness sends with `old 0`;
    verify_consistency refuses it, so callers special-case a first checkpoint.
    """
    if not 0 <= old_size <= new_size:
        raise BadInput(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == 0:
        return []
    proof = []
    start, end, seen = 0, new_size, old_size
    old_is_a_node = True
    while seen != end - start:
        k = _split(end - start)
        if seen <= k:
            proof.append(_range_hash(start + k, end, get_hash))
            end = start + k
        else:
            proof.append(_range_hash(start, start + k, get_hash))
            start += k
            seen -= k
            old_is_a_node = False
    if not old_is_a_node:
        proof.append(_range_hash(start, end, get_hash))
    proof.reverse()
    return proof


def _climb(fn: int, sn: int) -> tuple[int, int]:
    """Shift both node numbers right until fn is odd or zero, skipping levels with no sibling."""
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _all_hashes(*hashes: Hash) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(index: LeafIndex, size: int, leaf: Hash, proof: Sequence[Hash], root_hash: Hash) -> bool:
    """Tell whether the proof puts the leaf hash at index in the tree of that size and root (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size or not _all_hashes(leaf, root_hash, *proof):
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            fn, sn = _climb(fn, sn)
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root_hash


def verify_consistency(old_size: int, new_size: int, old_root: Hash, new_root: Hash, proof: Sequence[Hash]) -> bool:
    """Tell whether the proof shows the old tree is a prefix of the new one (RFC 9162 2.1.4.2).

    Size 0 is refused: a proof from the empty tree is meaningless.
    """
    if not _all_hashes(old_root, new_root, *proof) or not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(node, old_result)
            new_result = node_hash(node, new_result)
            fn, sn = _climb(fn, sn)
        else:
            new_result = node_hash(new_result, node)
        fn >>= 1
        sn >>= 1
    return old_result == old_root and new_result == new_root and sn == 0
