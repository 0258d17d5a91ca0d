"""The tlog-tiles layout: paths, entry bundles, tile updates and proofs served from tiles."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.errors import BadInput, IntegrityError
from ledger.merkle import Hash, consistency_proof, inclusion_proof, leaf_hash, memory_hashes, root
from ledger.tiles import (
    MAX_ENTRY_SIZE,
    TileHashReader,
    bundle_path,
    bundle_updates,
    decode_bundle,
    encode_bundle,
    tile_path,
    tile_updates,
)

# Sizes the shared store is grown through, so it holds the partial tiles of each.
SIZES = [1, 2, 255, 256, 257, 300, 4095, 65535, 65536, 65537, 70000]
LEAVES = [hashlib.sha256(b"\x00%d" % i).digest() for i in range(SIZES[-1])]
IN_MEMORY = memory_hashes(LEAVES)
NO_TILES: dict[str, bytes] = {}  # a tree with no tiles yet: reading any is a KeyError


def grow(store: dict[str, bytes], sizes: list[int], leaves: list[Hash]) -> dict[str, bytes]:
    """Append leaves to a tile store in steps ending at each size, as a log would."""
    old = 0
    for size in sizes:
        store.update(tile_updates(old, leaves[old:size], store.__getitem__))
        old = size
    return store


STORE = grow({}, SIZES, LEAVES)


@pytest.mark.parametrize(("args", "expected"), [
    ((0, 0), "tile/0/000"),
    ((0, 1234067), "tile/0/x001/x234/067"),
    ((1, 1000), "tile/1/x001/000"),
    ((2, 5, 17), "tile/2/005.p/17"),
    ((63, 999, 255), "tile/63/999.p/255"),
], ids=["zero", "spec-example", "thousand", "partial", "top-level"])
def test_tile_path_encodes_the_index_in_groups_of_three_digits(args: tuple[int, ...], expected: str) -> None:
    assert tile_path(*args) == expected


@pytest.mark.parametrize(("args", "expected"), [
    ((0,), "tile/entries/000"),
    ((7, 5), "tile/entries/007.p/5"),
    ((1234067,), "tile/entries/x001/x234/067"),
], ids=["zero", "partial", "grouped"])
def test_bundle_path_follows_the_tile_encoding(args: tuple[int, ...], expected: str) -> None:
    assert bundle_path(*args) == expected


@pytest.mark.parametrize("args", [(64, 0), (-1, 0), (0, -1), (0, 0, 0), (0, 0, 257), (True, 0)],
                         ids=["level-64", "negative-level", "negative-index", "width-0", "width-257", "bool-level"])
def test_tile_path_out_of_range_is_refused(args: tuple[int, ...]) -> None:
    with pytest.raises(BadInput):
        tile_path(*args)


def test_bundle_round_trips_with_empty_and_largest_entries() -> None:
    entries = [b"", b"one", b"x" * MAX_ENTRY_SIZE]
    data = encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x03o"
    assert decode_bundle(data, 3) == entries


def test_bundle_entry_above_65535_bytes_is_refused() -> None:
    with pytest.raises(BadInput):
        encode_bundle([b"x" * (MAX_ENTRY_SIZE + 1)])


@pytest.mark.parametrize(("data", "width"), [
    (b"\x00\x03ab", 1),
    (b"\x00\x01a\x00", 1),
    (b"\x00\x01a\x00\x00", 1),
    (b"\x00\x01a", 2),
], ids=["truncated-entry", "truncated-length", "trailing-entry", "too-few-entries"])
def test_malformed_bundle_is_refused(data: bytes, width: int) -> None:
    with pytest.raises(IntegrityError):
        decode_bundle(data, width)


def test_tiles_at_size_70000_match_the_spec_example() -> None:
    files = tile_updates(0, LEAVES[:70000], STORE.__getitem__)
    expected = {tile_path(0, n) for n in range(273)} | {tile_path(0, 273, 112), tile_path(1, 0), tile_path(1, 1, 17), tile_path(2, 0, 1)}
    assert set(files) == expected


def test_full_tile_holds_its_hashes_and_feeds_its_root_upwards() -> None:
    assert STORE[tile_path(0, 1)] == b"".join(LEAVES[256:512])
    assert STORE[tile_path(1, 0)][32:64] == root(LEAVES[256:512])


def test_partial_tile_is_never_hashed_into_a_higher_level() -> None:
    files = tile_updates(0, LEAVES[:300], NO_TILES.__getitem__)
    assert set(files) == {tile_path(0, 0), tile_path(0, 1, 44), tile_path(1, 0, 1)}
    assert files[tile_path(1, 0, 1)] == root(LEAVES[:256])


def test_update_reads_only_the_partial_tile_of_each_level_it_extends() -> None:
    reads = []

    def read(path: str) -> bytes:
        reads.append(path)
        return STORE[path]

    tile_updates(65537, LEAVES[65537:70000], read)
    assert reads == [tile_path(0, 256, 1)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 700), min_size=1, max_size=6))
def test_tiles_grown_in_steps_equal_tiles_built_at_once(steps: list[int]) -> None:
    sizes: list[int] = []
    for step in steps:
        sizes.append((sizes[-1] if sizes else 0) + step)
    stepwise = grow({}, sizes, LEAVES)
    at_once = tile_updates(0, LEAVES[:sizes[-1]], NO_TILES.__getitem__)
    assert {path: stepwise[path] for path in at_once} == at_once


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.binary(max_size=8), max_size=300), min_size=1, max_size=4))
def test_bundles_grown_in_steps_hold_every_entry_in_order(batches: list[list[bytes]]) -> None:
    store: dict[str, bytes] = {}
    size = 0
    for batch in batches:
        store.update(bundle_updates(size, batch, store.__getitem__))
        size += len(batch)
    entries = [entry for batch in batches for entry in batch]
    for index in range(0, size, 256):
        width = min(256, size - index)
        assert decode_bundle(store[bundle_path(index // 256, width)], width) == entries[index:index + width]


@pytest.mark.parametrize("size", SIZES, ids=lambda n: f"size-{n}")
def test_tile_reader_serves_the_same_hashes_as_memory(size: int) -> None:
    reader = TileHashReader(size, STORE.__getitem__)
    for level in range(size.bit_length()):
        for index in {0, (size >> level) - 1}:
            if index >= 0:
                assert reader.get_hash(level, index) == IN_MEMORY(level, index), (level, index)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SIZES), st.data())
def test_tiles_based_proofs_equal_in_memory_proofs(size: int, data: st.DataObject) -> None:
    reader = TileHashReader(size, STORE.__getitem__)
    index = data.draw(st.integers(0, size - 1))
    old_size = data.draw(st.integers(0, size))
    assert inclusion_proof(index, size, reader.get_hash) == inclusion_proof(index, size, IN_MEMORY)
    assert consistency_proof(old_size, size, reader.get_hash) == consistency_proof(old_size, size, IN_MEMORY)


def test_proof_from_tiles_reads_few_tiles() -> None:
    reads = []

    def read(path: str) -> bytes:
        reads.append(path)
        return STORE[path]

    reader = TileHashReader(70000, read)
    inclusion_proof(12345, 70000, reader.get_hash)
    consistency_proof(65537, 70000, reader.get_hash)
    assert len(reads) <= 10


def test_tile_of_the_wrong_length_is_refused() -> None:
    reader = TileHashReader(300, {tile_path(0, 0): b"\x00" * 31}.__getitem__)
    with pytest.raises(IntegrityError):
        reader.get_hash(0, 0)


def test_hash_outside_the_tree_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        TileHashReader(300, STORE.__getitem__).get_hash(8, 1)


def test_leaf_hashes_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(BadInput):
        tile_updates(0, [leaf_hash(b"x")[:31]], NO_TILES.__getitem__)
