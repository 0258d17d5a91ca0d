"""The witness side of c2sp.org/tlog-witness: every answer of add-checkpoint, and no rollback under concurrency."""
from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from coop.errors import BadInput, CoopError, Forbidden, Invalid, NotFound, SizeMismatch
from coop.keys import b64
from coop.state_file import StateFile
from ledger import merkle
from ledger.memory import TreeMemory
from ledger.note import COSIGNATURE, Note, Signature, Signer, sign_note
from ledger.tlog_witness import add_checkpoint

ORIGIN = "coop.example/witnessed"
LOG = Signer(ORIGIN, bytes(32))
OTHER = Signer(ORIGIN, bytes([7]) * 32)
WITNESS = Signer("coop.example/witnessed/witness/alice", bytes([1]) * 32, COSIGNATURE)
LEAVES = [merkle.leaf_hash(b"entry %d" % i) for i in range(40)]
LOGS = {ORIGIN: LOG.verifier}


def checkpoint(size: int, signer: Signer = LOG, origin: str = ORIGIN, root: bytes | None = None) -> bytes:
    """Return a signed checkpoint of the test tree at a size."""
    tree_root = root if root is not None else merkle.root(LEAVES[:size]) if size else merkle.EMPTY_ROOT
    text = f"{origin}\n{size}\n{b64(tree_root)}\n"
    return sign_note(text, [signer]).to_bytes()


def request(old: int, new: int, proof: list[bytes] | None = None, note: bytes | None = None) -> bytes:
    """Return an add-checkpoint body from old to new, with the true consistency proof unless one is given."""
    if proof is None:
        proof = merkle.consistency_proof(old, new, merkle.memory_hashes(LEAVES[:new])) if 0 < old < new else []
    return "".join([f"old {old}\n", *(f"{b64(h)}\n" for h in proof), "\n"]).encode() + (note or checkpoint(new))


def submit(state: TreeMemory, body: bytes) -> bytes:
    """Send one request to the witness."""
    return add_checkpoint(body, LOGS, WITNESS, state, now=1_700_000_000)


@pytest.fixture
def state(tmp_path: Path) -> TreeMemory:
    """Return a witness that has cosigned the tree of size 8."""
    witnessed = TreeMemory(StateFile(tmp_path / "alice-witness-state.json"))
    submit(witnessed, request(0, 8))
    return witnessed


def test_valid_request_is_cosigned_and_remembered(state: TreeMemory) -> None:
    answer = submit(state, request(8, 13))

    note = Note.from_bytes(checkpoint(13)).with_signatures(Signature.from_line(answer.decode().rstrip("\n")))
    assert [v.name for v, _ in note.verify([LOG.verifier, WITNESS.verifier])] == [ORIGIN, WITNESS.name]
    assert (cosigned := state.last()) is not None and cosigned.size == 13


def test_same_checkpoint_again_is_cosigned_again(state: TreeMemory) -> None:
    assert submit(state, request(8, 8)).startswith("\u2014 ".encode())


def test_wrong_old_size_answers_the_remembered_size(state: TreeMemory) -> None:
    with pytest.raises(SizeMismatch) as caught:
        submit(state, request(5, 13))
    assert (caught.value.status, caught.value.size) == (409, 8)


@pytest.mark.parametrize(("body", "error"), [
    (lambda: request(8, 13, note=checkpoint(13, origin="other.example/log")), NotFound),
    (lambda: request(8, 13, note=checkpoint(13, signer=OTHER)), Forbidden),
    (lambda: request(8, 13, note=checkpoint(13)[:-8] + b"AAAAAAA\n"), Forbidden),
    (lambda: request(13, 8), BadInput),
    (lambda: request(8, 13, proof=[bytes(32)] * 64), BadInput),
    (lambda: b"old 08\n\n" + checkpoint(13), BadInput),
    (lambda: request(8, 13, proof=[bytes(32)] * 3), Invalid),
    (lambda: request(8, 8, note=checkpoint(8, root=merkle.root(LEAVES[1:9]))), Invalid),
    (lambda: request(8, 13, proof=[]), Invalid),
], ids=["unknown-origin-404", "untrusted-key-403", "failing-signature-403", "old-beyond-new-400", "64-proof-lines-400",
        "leading-zero-400", "bad-proof-422", "equal-size-other-root-422", "missing-proof-422"])
def test_bad_request_is_refused_and_changes_nothing(state: TreeMemory, body, error: type[CoopError]) -> None:
    with pytest.raises(error):
        submit(state, body())
    assert (cosigned := state.last()) is not None and cosigned.size == 8


def test_size_zero_checkpoint_with_another_root_is_refused(tmp_path: Path) -> None:
    fresh = TreeMemory(StateFile(tmp_path / "fresh.json"))
    with pytest.raises(Invalid):
        submit(fresh, request(0, 0, note=checkpoint(0, root=bytes(32))))
    assert fresh.last() is None


def test_old_zero_with_a_proof_is_refused(tmp_path: Path) -> None:
    fresh = TreeMemory(StateFile(tmp_path / "fresh.json"))
    with pytest.raises(Invalid):
        submit(fresh, request(0, 8, proof=[bytes(32)]))


def race(state: TreeMemory, sizes: list[int], results: list[str]) -> None:
    """Send a request from size 8 to each size, in threads that start together."""
    barrier = threading.Barrier(len(sizes))

    def one(new: int) -> None:
        barrier.wait()
        try:
            submit(state, request(8, new))
            results.append(f"ok {new}")
        except SizeMismatch as e:
            results.append(f"409 {e.size}")

    threads = [threading.Thread(target=one, args=(n,)) for n in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_requests_in_threads_never_roll_the_witness_back(state: TreeMemory) -> None:
    results: list[str] = []
    race(state, [20, 30], results)

    winner = int(next(r for r in results if r.startswith("ok")).split()[1])
    assert sorted(r.split()[0] for r in results) == ["409", "ok"]
    assert (cosigned := state.last()) is not None and cosigned.size == winner


def _process(path: str, new: int, start: multiprocessing.synchronize.Event, out: multiprocessing.Queue) -> None:
    start.wait()
    try:
        submit(TreeMemory(StateFile(Path(path))), request(8, new))
        out.put(f"ok {new}")
    except SizeMismatch as e:
        out.put(f"409 {e.size}")


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_requests_in_processes_never_roll_the_witness_back(state: TreeMemory, attempt: int) -> None:
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=_process, args=(str(state.store.path), new, start, out)) for new in (20, 30, 40)]
    for p in processes:
        p.start()
    start.set()
    for p in processes:
        p.join(30)
    results = [out.get(timeout=5) for _ in processes]

    oks = [int(r.split()[1]) for r in results if r.startswith("ok")]
    assert len(oks) == 1, results
    assert all(r == f"409 {oks[0]}" for r in results if not r.startswith("ok"))
    assert (cosigned := state.last()) is not None and cosigned.size == oks[0]
