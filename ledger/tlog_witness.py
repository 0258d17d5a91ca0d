"""The witness side of c2sp.org/tlog-witness: answer `add-checkpoint` requests.

A request names the size of the last checkpoint the client believes this
witness cosigned (`old N`), a consistency proof from that size, and a signed
checkpoint. The witness checks the log's signature, that the old size is the
one it remembers, and the proof, then cosigns and persists the new checkpoint
before answering. Reading the remembered checkpoint, comparing and writing the
new one happen as one step under the memory's lock (ledger/memory.py), so two
requests in threads or processes can never roll the witness back.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from coop.digits import parse_whole
from coop.errors import BadInput, BadSignature, Forbidden, Invalid, NotFound, SizeMismatch
from coop.keys import unb64
from ledger.memory import Signed, TreeMemory
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, MAX_TREE_SIZE, Hash, verify_consistency
from ledger.note import Checkpoint, Note, Signature, Signer, Verifier, cosign

MAX_PROOF_LINES = 63
SIZE_MEDIA_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: the old size, the consistency proof and the checkpoint note, verbatim."""

    old: int
    proof: tuple[Hash, ...]
    checkpoint: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> AddCheckpoint:
        """Parse `old <N>`, up to 63 base64 proof lines, a blank line, then the checkpoint."""
        head, blank, checkpoint = data.partition(b"\n\n")
        if not blank:
            raise BadInput("an add-checkpoint body is 'old <size>', proof lines, a blank line, then the checkpoint")
        lines = head.decode("ascii", errors="replace").split("\n")
        if not lines[0].startswith("old "):
            raise BadInput("an add-checkpoint body starts with 'old <size>'")
        old = parse_whole(lines[0].removeprefix("old "), "old size", 0, MAX_TREE_SIZE)
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise BadInput(f"a consistency proof has at most {MAX_PROOF_LINES} hashes, got {len(lines) - 1}")
        return cls(old, tuple(unb64(line, "proof hash", HASH_SIZE) for line in lines[1:]), checkpoint)


def check_request(request: AddCheckpoint, logs: Mapping[str, Verifier], last: Signed | None) -> Checkpoint:
    """Check a request against the trusted log keys and the last cosigned checkpoint; return the checkpoint to cosign.

    Raises NotFound (404) for an unknown origin, Forbidden (403) for a missing or
    failing log signature, BadInput (400) for an old size beyond the checkpoint,
    SizeMismatch (409) for an old size that is not the remembered one, and Invalid
    (422) for a checkpoint that is not consistent with the remembered one.
    """
    note = Note.from_bytes(request.checkpoint)
    origin = note.text.split("\n", 1)[0]
    log = logs.get(origin)
    if log is None:
        raise NotFound(f"this witness does not witness the log {origin!r}")
    try:
        note.verify([log])
    except BadSignature as e:
        raise Forbidden(f"the checkpoint is not validly signed by the log key {log.name}: {e}") from e
    checkpoint = Checkpoint.from_text(note.text)  # Invalid (422) for size 0 with another root than SHA-256("")
    if request.old > checkpoint.size:
        raise BadInput(f"old size {request.old} is larger than the checkpoint's size {checkpoint.size}")
    known = last or Signed(0, EMPTY_ROOT)
    if request.old != known.size:
        raise SizeMismatch(known.size)
    if request.old == 0:
        if request.proof:
            raise Invalid("a request from size 0 carries no consistency proof")
    elif not verify_consistency(known.size, checkpoint.size, known.root, checkpoint.root, request.proof):
        same = known.size == checkpoint.size
        raise Invalid(f"the checkpoint of size {checkpoint.size} has another root than the one cosigned at that size" if same
                      else f"the consistency proof from size {known.size} to {checkpoint.size} does not verify")
    return checkpoint


def add_checkpoint(body: bytes, logs: Mapping[str, Verifier], signer: Signer, memory: TreeMemory,
                   now: int | None = None) -> bytes:
    """Answer an add-checkpoint request: check it, persist the checkpoint, return the cosignature line(s)."""
    request = AddCheckpoint.from_bytes(body)
    with memory.changing() as last:
        checkpoint = check_request(request, logs, last)
        line: Signature = cosign(checkpoint, signer, max(1, now if now is not None else int(time.time())))
        memory.keep(checkpoint)
    return line.to_line().encode("utf-8")
