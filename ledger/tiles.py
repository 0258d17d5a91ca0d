"""The tlog-tiles layout (c2sp.org/tlog-tiles): tile paths, entry bundles and tile updates.

Paths are relative (`tile/0/x001/234`); the store puts them under its own
prefix. A tile at level L holds up to 256 hashes of tree height 8 * L; a partial
tile (`.p/<W>`) holds the first W and is never hashed into a higher level.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from coop.errors import BadInput, IntegrityError
from ledger.merkle import HASH_SIZE, Hash, check_int, root

ReadFile = Callable[[str], bytes]

TILE_WIDTH = 256
TILE_HEIGHT = 8
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF


def _index_path(index: int) -> str:
    """Encode a tile index in zero-padded groups of three digits, all but the last prefixed x."""
    check_int(index, "tile index")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _width_suffix(width: int) -> str:
    check_int(width, "tile width", 1, TILE_WIDTH)
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of a hash tile, with `.p/<W>` when it is partial."""
    check_int(level, "tile level", 0, MAX_LEVEL)
    return f"tile/{level}/{_index_path(index)}{_width_suffix(width)}"


def bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of an entry bundle, with `.p/<W>` when it is partial."""
    return f"tile/entries/{_index_path(index)}{_width_suffix(width)}"


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Concatenate entries, each behind its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise BadInput(f"an entry is at most {MAX_ENTRY_SIZE} bytes to fit a bundle, got {len(entry)}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes, width: int) -> list[bytes]:
    """Split an entry bundle into exactly width entries, refusing truncated data or trailing bytes."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data) and len(entries) < width:
        if offset + 2 > len(data):
            raise IntegrityError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset:offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise IntegrityError("entry bundle ends inside an entry")
        entries.append(data[offset:offset + length])
        offset += length
    if offset != len(data):
        raise IntegrityError(f"entry bundle has {len(data) - offset} bytes after its {width} entries")
    if len(entries) != width:
        raise IntegrityError(f"entry bundle should hold {width} entries, got {len(entries)}")
    return entries


def decode_tile(data: bytes, width: int) -> list[Hash]:
    """Split a hash tile into its hashes, refusing one of the wrong length."""
    if len(data) != width * HASH_SIZE:
        raise IntegrityError(f"a tile of width {width} is {width * HASH_SIZE} bytes, got {len(data)}")
    return [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def _read_tile_hashes(read_tile: ReadFile, level: int, index: int, width: int) -> list[Hash]:
    return decode_tile(read_tile(tile_path(level, index, width)), width)


def _read_bundle_entries(read_bundle: ReadFile, index: int, width: int) -> list[bytes]:
    return decode_bundle(read_bundle(bundle_path(index, width)), width)


def _regroup(old_count: int, added: Sequence[bytes], read_partial: Callable[[int, int], list[bytes]]) -> list[tuple[int, list[bytes]]]:
    """Return (tile index, items) for each tile that items appended after old_count touch."""
    first = old_count // TILE_WIDTH
    kept = old_count % TILE_WIDTH
    items = (read_partial(first, kept) if kept and added else []) + list(added)
    return [(first + i // TILE_WIDTH, items[i:i + TILE_WIDTH]) for i in range(0, len(items), TILE_WIDTH)]


def tile_updates(old_size: int, leaf_hashes: Sequence[Hash], read_tile: ReadFile) -> dict[str, bytes]:
    """Return the hash tiles (path -> bytes) that change when leaf_hashes are appended to a tree of old_size.

    Full tiles feed their root into the level above; the partial tile left at
    each level is written but never hashed upwards. Reads at most one existing
    partial tile per level.
    """
    check_int(old_size, "tree size")
    if any(len(h) != HASH_SIZE for h in leaf_hashes):
        raise BadInput("every leaf hash must be 32 bytes")
    files: dict[str, bytes] = {}
    level, old_count, added = 0, old_size, list(leaf_hashes)
    while added:
        above = []
        for index, hashes in _regroup(old_count, added, partial(_read_tile_hashes, read_tile, level)):
            files[tile_path(level, index, len(hashes))] = b"".join(hashes)
            if len(hashes) == TILE_WIDTH:
                above.append(root(hashes))
        level, old_count, added = level + 1, old_count // TILE_WIDTH, above
    return files


def bundle_updates(old_size: int, entries: Sequence[bytes], read_bundle: ReadFile) -> dict[str, bytes]:
    """Return the entry bundles (path -> bytes) that change when entries are appended to a log of old_size."""
    groups = _regroup(check_int(old_size, "log size"), entries, partial(_read_bundle_entries, read_bundle))
    return {bundle_path(index, len(group)): encode_bundle(group) for index, group in groups}


class TileHashReader:
    """Answer get_hash(level, index) for a tree of a given size from its tiles, caching the tiles it reads."""

    def __init__(self, size: int, read_tile: ReadFile) -> None:
        self.size = size
        self._read_tile = read_tile
        self._tiles: dict[tuple[int, int], list[Hash]] = {}

    def _tile(self, tile_level: int, index: int) -> list[Hash]:
        if (tile_level, index) not in self._tiles:
            count = self.size >> (TILE_HEIGHT * tile_level)
            width = min(count - index * TILE_WIDTH, TILE_WIDTH)
            self._tiles[tile_level, index] = decode_tile(self._read_tile(tile_path(tile_level, index, width)), width)
        return self._tiles[tile_level, index]

    def get_hash(self, level: int, index: int) -> Hash:
        """Return the hash of the perfect subtree at (level, index), hashing up from the tile below if needed."""
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise ValueError(f"no perfect subtree at level {level}, index {index} in a tree of size {self.size}")
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height
        hashes = self._tile(tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        return root(hashes[offset:offset + (1 << height)])
