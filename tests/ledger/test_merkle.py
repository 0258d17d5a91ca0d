"""RFC 6962 hashing and RFC 9162 proofs: known answers, every small tree, mutations, properties."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.errors import BadInput
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Hash,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    memory_hashes,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

STANDARD_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
STANDARD_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
MAX_SIZE = 64
LEAVES = [leaf_hash(b"entry %d" % i) for i in range(1100)]
GET_HASH = memory_hashes(LEAVES)
ROOTS = [root(LEAVES[:n]) for n in range(len(LEAVES) + 1)]
PAIRS = [(m, n) for n in range(1, MAX_SIZE + 1) for m in range(n)]


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def rfc_path(m: int, hashes: Sequence[Hash]) -> list[Hash]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1, written as the RFC does."""
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if m < k:
        return rfc_path(m, hashes[:k]) + [root(hashes[k:])]
    return rfc_path(m - k, hashes[k:]) + [root(hashes[:k])]


def rfc_subproof(m: int, hashes: Sequence[Hash], complete: bool) -> list[Hash]:
    """SUBPROOF(m, D[n], b) of RFC 6962 section 2.1.2, written as the RFC does."""
    if m == len(hashes):
        return [] if complete else [root(hashes)]
    k = _split(len(hashes))
    if m <= k:
        return rfc_subproof(m, hashes[:k], complete) + [root(hashes[k:])]
    return rfc_subproof(m - k, hashes[k:], False) + [root(hashes[:k])]


def flip_bit(proof: list[Hash], element: int) -> list[Hash]:
    changed = list(proof)
    changed[element] = bytes([changed[element][0] ^ 1]) + changed[element][1:]
    return changed


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(lambda: leaf_hash(b""), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", id="empty-leaf"),
    pytest.param(lambda: leaf_hash(b"L123456"), "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", id="leaf-L123456"),
    pytest.param(lambda: node_hash(b"N123", b"N456"), "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb", id="node-N123-N456"),
])
def test_hashes_match_rfc6962_known_answers(value: Callable[[], Hash], expected: str) -> None:
    assert value().hex() == expected


def test_leaf_hash_is_never_the_node_hash_of_the_same_bytes() -> None:
    left, right = LEAVES[0], LEAVES[1]
    assert leaf_hash(left + right) != node_hash(left, right)


@pytest.mark.parametrize("size", range(1, 9), ids=lambda n: f"size-{n}")
def test_root_of_standard_leaves_matches_known_answer(size: int) -> None:
    assert root([leaf_hash(d) for d in STANDARD_LEAVES[:size]]).hex() == STANDARD_ROOTS[size]


def test_compact_range_root_equals_reference_root_for_sizes_up_to_1024() -> None:
    compact = CompactRange()
    for size in range(1025):
        assert compact.root() == ROOTS[size]
        compact = compact.append(LEAVES[size])


def test_compact_range_read_from_a_tree_continues_like_the_original() -> None:
    grown = CompactRange()
    for leaf in LEAVES[:100]:
        grown = grown.append(leaf)
    resumed = CompactRange.from_tree(100, GET_HASH)
    assert resumed == grown
    assert resumed.append(LEAVES[100]).root() == root(LEAVES[:101])


@pytest.mark.parametrize(("size", "hashes"), [
    pytest.param(3, (EMPTY_ROOT,), id="too-few-subtrees"),
    pytest.param(1, (EMPTY_ROOT, EMPTY_ROOT), id="too-many-subtrees"),
    pytest.param(1, (b"short",), id="short-hash"),
    pytest.param(-1, (), id="negative-size"),
])
def test_compact_range_that_does_not_fit_its_size_is_refused(size: int, hashes: tuple[Hash, ...]) -> None:
    with pytest.raises(BadInput):
        CompactRange(size, hashes)


def test_inclusion_proof_equals_rfc6962_path_for_every_leaf_up_to_64() -> None:
    for m, n in PAIRS:
        assert inclusion_proof(m, n, GET_HASH) == rfc_path(m, LEAVES[:n]), (m, n)


def test_consistency_proof_equals_rfc6962_proof_for_every_pair_up_to_64() -> None:
    for m, n in PAIRS:
        if m:
            assert consistency_proof(m, n, GET_HASH) == rfc_subproof(m, LEAVES[:n], True), (m, n)


def test_inclusion_proof_verifies_for_every_leaf_up_to_64() -> None:
    for m, n in PAIRS:
        assert verify_inclusion(m, n, LEAVES[m], inclusion_proof(m, n, GET_HASH), ROOTS[n]), (m, n)


def test_consistency_proof_verifies_for_every_pair_up_to_64() -> None:
    for m, n in PAIRS:
        if m:
            assert verify_consistency(m, n, ROOTS[m], ROOTS[n], consistency_proof(m, n, GET_HASH)), (m, n)


def test_consistency_proof_between_equal_sizes_is_empty_and_verifies() -> None:
    assert consistency_proof(5, 5, GET_HASH) == []
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])


def test_consistency_proof_from_the_empty_tree_is_empty() -> None:
    assert consistency_proof(0, 9, GET_HASH) == []


INCLUSION_MUTATIONS: dict[str, Callable[[int, int, list[Hash]], tuple[int, int, Hash, list[Hash], Hash] | None]] = {
    "missing-last-element": lambda m, n, p: (m, n, LEAVES[m], p[:-1], ROOTS[n]) if p else None,
    "missing-first-element": lambda m, n, p: (m, n, LEAVES[m], p[1:], ROOTS[n]) if p else None,
    "extra-trailing-element": lambda m, n, p: (m, n, LEAVES[m], p + [LEAVES[0]], ROOTS[n]),
    "extra-leading-element": lambda m, n, p: (m, n, LEAVES[m], [LEAVES[0]] + p, ROOTS[n]),
    "wrong-leaf": lambda m, n, p: (m, n, LEAVES[m + 1], p, ROOTS[n]),
    "root-of-another-size": lambda m, n, p: (m, n, LEAVES[m], p, ROOTS[n + 1]),
    "index-equal-to-size": lambda m, n, p: (n, n, LEAVES[m], p, ROOTS[n]),
    "twice-the-size": lambda m, n, p: (m, 2 * n, LEAVES[m], p, ROOTS[2 * n]),
    "short-root": lambda m, n, p: (m, n, LEAVES[m], p, ROOTS[n][:31]),
    "short-element": lambda m, n, p: (m, n, LEAVES[m], [h[:31] for h in p], ROOTS[n]) if p else None,
}


@pytest.mark.parametrize("mutation", INCLUSION_MUTATIONS)
def test_mutated_inclusion_proof_is_refused(mutation: str) -> None:
    for m, n in PAIRS:
        case = INCLUSION_MUTATIONS[mutation](m, n, inclusion_proof(m, n, GET_HASH))
        if case is not None:
            assert not verify_inclusion(*case), (m, n)


def test_inclusion_proof_with_flipped_bit_is_refused() -> None:
    for m, n in PAIRS:
        proof = inclusion_proof(m, n, GET_HASH)
        for element in range(len(proof)):
            assert not verify_inclusion(m, n, LEAVES[m], flip_bit(proof, element), ROOTS[n]), (m, n, element)


CONSISTENCY_MUTATIONS: dict[str, Callable[[int, int, list[Hash]], tuple[int, int, Hash, Hash, list[Hash]] | None]] = {
    "missing-last-element": lambda m, n, p: (m, n, ROOTS[m], ROOTS[n], p[:-1]),
    "missing-first-element": lambda m, n, p: (m, n, ROOTS[m], ROOTS[n], p[1:]),
    "extra-trailing-element": lambda m, n, p: (m, n, ROOTS[m], ROOTS[n], p + [LEAVES[0]]),
    "extra-leading-element": lambda m, n, p: (m, n, ROOTS[m], ROOTS[n], [LEAVES[0]] + p),
    "swapped-roots": lambda m, n, p: (m, n, ROOTS[n], ROOTS[m], p),
    "old-root-of-another-size": lambda m, n, p: (m, n, ROOTS[m - 1], ROOTS[n], p),
    "new-root-of-another-size": lambda m, n, p: (m, n, ROOTS[m], ROOTS[n + 1], p),
    "sizes-swapped": lambda m, n, p: (n, m, ROOTS[n], ROOTS[m], p),
    "old-size-zero": lambda m, n, p: (0, n, EMPTY_ROOT, ROOTS[n], p),
    "short-old-root": lambda m, n, p: (m, n, ROOTS[m][:31], ROOTS[n], p),
}


@pytest.mark.parametrize("mutation", CONSISTENCY_MUTATIONS)
def test_mutated_consistency_proof_is_refused(mutation: str) -> None:
    for m, n in PAIRS:
        if m:
            mutated = CONSISTENCY_MUTATIONS[mutation](m, n, consistency_proof(m, n, GET_HASH))
            assert mutated is not None and not verify_consistency(*mutated), (m, n)


def test_consistency_proof_with_flipped_bit_is_refused() -> None:
    for m, n in PAIRS:
        proof = consistency_proof(m, n, GET_HASH) if m else []
        for element in range(len(proof)):
            assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], flip_bit(proof, element)), (m, n, element)


@pytest.mark.parametrize(("old_size", "new_size", "old_root", "new_root", "proof"), [
    pytest.param(0, 0, EMPTY_ROOT, EMPTY_ROOT, [], id="empty-to-empty"),
    pytest.param(0, 3, EMPTY_ROOT, ROOTS[3], [], id="empty-to-three"),
    pytest.param(3, 3, ROOTS[3], ROOTS[3], [ROOTS[1]], id="equal-sizes-non-empty-proof"),
    pytest.param(3, 3, ROOTS[3], ROOTS[4], [], id="equal-sizes-different-roots"),
    pytest.param(3, 3, b"don't care 1", b"don't care 1", [], id="equal-sizes-short-roots"),
    pytest.param(3, 5, ROOTS[3], ROOTS[5], [], id="empty-proof"),
])
def test_degenerate_consistency_claim_is_refused(old_size: int, new_size: int, old_root: Hash, new_root: Hash, proof: list[Hash]) -> None:
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof)


def test_consistency_with_rewritten_first_entry_is_refused() -> None:
    rewritten = [leaf_hash(b"forged")] + LEAVES[1:20]
    proof = consistency_proof(7, 20, memory_hashes(rewritten))
    assert not verify_consistency(7, 20, ROOTS[7], root(rewritten), proof)


@pytest.mark.parametrize(("index", "size"), [(5, 5), (6, 5), (-1, 5), (0, 0)], ids=["at-size", "past-size", "negative", "empty-tree"])
def test_inclusion_proof_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(BadInput):
        inclusion_proof(index, size, GET_HASH)


@pytest.mark.parametrize(("old_size", "new_size"), [(6, 5), (-1, 5)], ids=["shrinking", "negative"])
def test_consistency_proof_for_impossible_sizes_is_refused(old_size: int, new_size: int) -> None:
    with pytest.raises(BadInput):
        consistency_proof(old_size, new_size, GET_HASH)


def test_proof_generation_reads_logarithmically_many_hashes() -> None:
    calls = []

    def counting(level: int, index: int) -> Hash:
        calls.append((level, index))
        return GET_HASH(level, index)

    inclusion_proof(1000, 1099, counting)
    consistency_proof(999, 1099, counting)
    assert len(calls) <= 4 * (1099).bit_length()


@settings(max_examples=200)
@given(st.data())
def test_random_inclusion_proof_round_trips(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(LEAVES)))
    index = data.draw(st.integers(0, size - 1))
    tree_root = ROOTS[size]
    proof = inclusion_proof(index, size, GET_HASH)
    assert verify_inclusion(index, size, LEAVES[index], proof, tree_root)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(index, size, LEAVES[index], flip_bit(proof, element), tree_root)


@settings(max_examples=200)
@given(st.data())
def test_random_consistency_proof_round_trips(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(2, len(LEAVES)))
    old_size = data.draw(st.integers(1, new_size - 1))
    old_root, new_root = ROOTS[old_size], ROOTS[new_size]
    proof = consistency_proof(old_size, new_size, GET_HASH)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    element = data.draw(st.integers(0, len(proof) - 1))
    assert not verify_consistency(old_size, new_size, old_root, new_root, flip_bit(proof, element))


@given(st.lists(st.binary(max_size=40), max_size=300))
def test_compact_range_root_equals_reference_root(entries: list[bytes]) -> None:
    hashes = [leaf_hash(e) for e in entries]
    compact = CompactRange()
    for h in hashes:
        compact = compact.append(h)
    assert compact.size == len(hashes)
    assert compact.root() == root(hashes)
