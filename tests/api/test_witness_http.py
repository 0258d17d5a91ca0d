"""`POST /witness/add-checkpoint` on a served node answers as c2sp.org/tlog-witness says, and never rolls back."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from api_harness import ORIGIN, PASSPHRASE, Server, make_node

from api import keeper_keys
from api.wiring import open_node
from coop.keys import b64
from ledger import merkle
from ledger.note import Note, Signature, Signer, Verifier, sign_note

LEAVES = [merkle.leaf_hash(b"entry %d" % i) for i in range(64)]


@dataclass
class Witnessed:
    """A served node, the log key that signs its checkpoints, and its witness's verifier key."""

    url: str
    log: Signer
    witness: Verifier

    def checkpoint(self, size: int, root: bytes | None = None, signer: Signer | None = None, origin: str = ORIGIN) -> bytes:
        """Return a checkpoint of the test tree signed by the log key (or another)."""
        tree_root = root if root is not None else merkle.root(LEAVES[:size]) if size else merkle.EMPTY_ROOT
        return sign_note(f"{origin}\n{size}\n{b64(tree_root)}\n", [signer or self.log]).to_bytes()

    def post(self, old: int, new: int, proof: list[bytes] | None = None, note: bytes | None = None) -> requests.Response:
        """Send add-checkpoint from old to new, with the true consistency proof unless one is given."""
        if proof is None:
            proof = merkle.consistency_proof(old, new, merkle.memory_hashes(LEAVES[:new])) if 0 < old < new else []
        body = "".join([f"old {old}\n", *(f"{b64(h)}\n" for h in proof), "\n"]).encode() + (note or self.checkpoint(new))
        return requests.post(f"{self.url}/witness/add-checkpoint", data=body, timeout=10)

    def remembered(self) -> int:
        """Ask the witness which size it last cosigned (old 0 answers 409 with it, once it cosigned anything)."""
        answer = self.post(0, 0)
        return int(answer.text) if answer.status_code == 409 else 0


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Witnessed]:
    """Return a served node whose witness (alice's key) has cosigned the tree of size 8."""
    home = tmp_path_factory.mktemp("witness") / "node"
    make_node(home)
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    log = Signer(ORIGIN, keeper_keys.log_keys(node).unlock(node.name).seed)
    witness = keeper_keys.witness_for(node, "alice").signer.verifier
    node.index.db.close()
    server = Server(home).start()
    served = Witnessed(server.url, log, witness)
    assert served.post(0, 8).status_code == 200
    yield served
    server.stop()


def test_valid_request_answers_200_with_a_cosignature_that_verifies(witnessed: Witnessed) -> None:
    size = witnessed.remembered()
    answer = witnessed.post(size, size + 1)

    assert answer.status_code == 200, answer.text
    note = Note.from_bytes(witnessed.checkpoint(size + 1)).with_signatures(Signature.from_line(answer.text.rstrip("\n")))
    assert [v for v, _ in note.verify([witnessed.witness])] == [witnessed.witness]


def test_stale_old_size_answers_409_with_the_size_as_text(witnessed: Witnessed) -> None:
    size = witnessed.remembered()
    answer = witnessed.post(1, size + 2)

    assert answer.status_code == 409
    assert answer.headers["Content-Type"] == "text/x.tlog.size"
    assert answer.text == f"{size}\n"


@pytest.mark.parametrize(("make", "status"), [
    (lambda w, n: w.post(n, n + 1, note=w.checkpoint(n + 1, origin="other.example/log")), 404),
    (lambda w, n: w.post(n, n + 1, note=w.checkpoint(n + 1, signer=Signer(ORIGIN, bytes(32)))), 403),
    (lambda w, n: w.post(n, n + 1, note=w.checkpoint(n + 1)[:-8] + b"AAAAAAA\n"), 403),
    (lambda w, n: w.post(n + 2, n + 1), 400),
    (lambda w, n: w.post(n, n + 1, proof=[bytes(32)] * 64), 400),
    (lambda w, n: w.post(n, n + 3, proof=[bytes(32)] * 3), 422),
    (lambda w, n: w.post(n, n, note=w.checkpoint(n, root=merkle.root(LEAVES[1:n + 1]))), 422),
    (lambda w, n: w.post(n, 0, note=w.checkpoint(0, root=bytes(32))), 422),
], ids=["unknown-origin", "untrusted-key", "failing-signature", "old-beyond-new", "too-many-proof-lines", "bad-proof",
        "equal-size-other-root", "size-0-other-root"])
def test_bad_request_is_answered_with_its_status_and_changes_nothing(witnessed: Witnessed, make, status: int) -> None:
    size = witnessed.remembered()
    answer = make(witnessed, size)

    assert answer.status_code == status, answer.text
    assert witnessed.remembered() == size


def test_old_zero_with_a_proof_is_422_on_a_fresh_witness(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("fresh") / "node"
    make_node(home)
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    log = Signer(ORIGIN, keeper_keys.log_keys(node).unlock(node.name).seed)
    witness = keeper_keys.witness_for(node, "alice").signer.verifier
    node.index.db.close()
    server = Server(home).start()
    try:
        fresh = Witnessed(server.url, log, witness)
        assert fresh.post(0, 4, proof=[bytes(32)]).status_code == 422
        assert fresh.post(0, 4).status_code == 200
    finally:
        server.stop()


def test_concurrent_requests_never_roll_the_witness_back(witnessed: Witnessed) -> None:
    size = witnessed.remembered()
    targets = [size + 5, size + 9, size + 2, size + 7]
    barrier = threading.Barrier(len(targets))
    answers: dict[int, requests.Response] = {}

    def one(new: int) -> None:
        barrier.wait()
        answers[new] = witnessed.post(size, new)

    threads = [threading.Thread(target=one, args=(n,)) for n in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    won = [n for n, a in answers.items() if a.status_code == 200]
    assert len(won) == 1, {n: (a.status_code, a.text) for n, a in answers.items()}
    assert all(a.status_code == 409 and a.text == f"{won[0]}\n" for n, a in answers.items() if n != won[0])
    assert witnessed.remembered() == won[0]
