"""Witnesses: members' nodes cosign the log's checkpoints so the keeper cannot show two histories.

A witness keeps the last checkpoint it cosigned (outside the repository, in its
node's data directory) and cosigns a new one only after checking a consistency
proof from that one, computed from the tiles. Its cosignature
(c2sp.org/tlog-cosignature, Ed25519) is submitted as a statement and stored at
`ledger/cosignatures/<handle>.json`. The charter's `witnesses` rule lists the
witnesses' verifier keys and `witness_quorum` says how many must cosign; the
published checkpoint carries the cosignatures made for its exact size.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from coop.charter import rules as charter_rules
from coop.errors import BadInput, Conflict, Forbidden, Invalid
from coop.ids import check_id
from coop.statements import Statement
from coop.view import View
from ledger import keepers, log, merkle
from ledger.memory import Signed, TreeMemory
from ledger.note import COSIGNATURE, Checkpoint, Note, Signature, Signer, Verifier, WitnessPolicy, cosign

COSIGNATURE_TYPE = "coop.ledger.cosignature/v1"
DIRECTORY = "ledger/cosignatures"


def cosignature_path(handle: str) -> str:
    """Return where a witness's latest cosignature lives."""
    return f"{DIRECTORY}/{check_id(handle, 'witness')}.json"


def witness_name(origin: str, handle: str) -> str:
    """Return the key name a member witnesses under."""
    return f"{origin}/witness/{check_id(handle, 'witness')}"


def witnesses(view: View) -> list[Verifier]:
    """Return the witness keys the charter names."""
    keys = [Verifier.from_vkey(v) for v in charter_rules(view).get("witnesses", [])]
    if any(k.sig_type != COSIGNATURE for k in keys):
        raise Invalid("a witness key in the charter is not a cosignature (0x04) key")
    return keys


def policy(view: View) -> WitnessPolicy | None:
    """Return the charter's k-of-n witness policy, or None when it asks for no witnesses."""
    quorum = charter_rules(view).get("witness_quorum", 0)
    return WitnessPolicy(tuple(witnesses(view)), quorum) if quorum else None


def root_at(view: View, size: int) -> bytes:
    """Return the tree's root at an earlier (or the current) size, from the tiles."""
    if size == 0:
        return merkle.EMPTY_ROOT
    reader = log.hashes(view, log.size(view))
    return merkle.CompactRange.from_tree(size, reader.get_hash).root()


class Witness:
    """A member node's witness: its cosignature key and its memory of the last checkpoint it cosigned."""

    def __init__(self, signer: Signer, memory: TreeMemory) -> None:
        if signer.sig_type != COSIGNATURE:
            raise BadInput("a witness signs with a cosignature (0x04) key")
        self.signer = signer
        self.memory = memory

    def last(self) -> Signed | None:
        """Return the size and root of the last checkpoint this witness cosigned."""
        return self.memory.last()

    def cosign(self, view: View, now: int | None = None) -> tuple[Checkpoint, Signature]:
        """Verify the repository's checkpoint, check it extends the last one cosigned, and cosign it (see `remember`)."""
        data = view.read(log.CHECKPOINT)
        if data is None:
            raise Invalid("the ledger has no checkpoint to witness")
        checkpoint = keepers.verify(view, data).checkpoint
        last = self.last()
        if last is not None:
            size, root = last
            if checkpoint.size < size:
                raise Conflict(f"the log shrank from {size} to {checkpoint.size} entries: refusing to cosign (keep both as evidence)")
            proof = log.consistency(view, size, checkpoint.size) if size else []
            if size and not merkle.verify_consistency(size, checkpoint.size, root, checkpoint.root, proof):
                raise Conflict(f"the checkpoint of size {checkpoint.size} does not extend the one of size {size} this witness cosigned")
        return checkpoint, cosign(checkpoint, self.signer, now if now is not None else int(time.time()))

    def remember(self, checkpoint: Checkpoint) -> None:
        """Keep a checkpoint as the last one cosigned: call it once the cosignature was accepted.

        Under the same lock as the add-checkpoint endpoint (ledger/tlog_witness.py), and
        never replacing a larger tree the endpoint cosigned meanwhile.
        """
        with self.memory.changing() as last:
            if last is None or last.size <= checkpoint.size:
                self.memory.keep(checkpoint)


def cosignature_fields(checkpoint: Checkpoint, line: Signature) -> dict[str, Any]:
    """Return the fields of a cosignature statement."""
    return {"size": checkpoint.size, "root": line_root(checkpoint), "line": line.to_line().rstrip("\n")}


def line_root(checkpoint: Checkpoint) -> str:
    """Return the checkpoint's root as its note writes it (base64)."""
    return checkpoint.to_text().split("\n")[2]


def check_cosignature(statement: Statement, view: View) -> dict[str, bytes | None]:
    """A charter witness cosigns a checkpoint of this log whose root is the tree's root at that size."""
    body = statement.body
    if "member" not in view.roles(statement.author):
        raise Forbidden("witnesses are members")
    name = witness_name(view.origin, statement.author)
    keys = [k for k in witnesses(view) if k.name == name]
    if not keys:
        raise Forbidden(f"{statement.author!r} is not a witness named in the charter (key name {name})")
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= log.size(view):
        raise Invalid(f"the log has no tree of size {size}")
    checkpoint = Checkpoint(view.origin, size, root_at(view, size))
    if body.get("root") != line_root(checkpoint):
        raise Invalid(f"the root of the tree of size {size} is {line_root(checkpoint)}")
    note = Note(checkpoint.to_text(), (Signature.from_line(body.get("line", "")),))
    if not note.verify(keys):
        raise Forbidden("the cosignature does not verify with the witness's key")
    previous = view.body(cosignature_path(statement.author))
    if previous is not None and previous["size"] > size:
        raise Conflict(f"{statement.author!r} already cosigned a larger tree ({previous['size']})")
    return {}


def cosigned_checkpoint(view: View) -> bytes:
    """Return the stored checkpoint with the cosignatures made for its exact size appended."""
    data = view.read(log.CHECKPOINT)
    if data is None:
        raise Invalid("the ledger has no checkpoint yet")
    note = Note.from_bytes(data)
    size = Checkpoint.from_text(note.text).size
    lines = []
    for name in view.list(DIRECTORY):
        body = view.body(f"{DIRECTORY}/{name}")
        if body is not None and body["size"] == size:
            lines.append(Signature.from_line(body["line"]))
    return note.with_signatures(*lines).to_bytes()


def check_witnessed(view: View) -> list[str]:
    """Report stored cosignatures that no longer verify against the charter's witness keys."""
    problems = []
    for name in view.list(DIRECTORY):
        body = view.body(f"{DIRECTORY}/{name}")
        if body is None:
            continue
        keys = [k for k in witnesses(view) if k.name == witness_name(view.origin, body["author"])]
        checkpoint = Checkpoint(view.origin, body["size"], root_at(view, body["size"]))
        if not keys or not Note(checkpoint.to_text(), (Signature.from_line(body["line"]),)).verify(keys):
            problems.append(f"{DIRECTORY}/{name}: the cosignature does not verify for the tree of size {body['size']}")
    return problems


def witness_signer(seed: bytes, origin: str, handle: str) -> Signer:
    """Return a member's witness signer (type 0x04) from a 32-byte seed."""
    return Signer(witness_name(origin, handle), seed, COSIGNATURE)


def summary(view: View) -> Mapping[str, Any]:
    """Return who cosigned which size, for people to read."""
    return {body["author"]: body["size"] for name in view.list(DIRECTORY) if (body := view.body(f"{DIRECTORY}/{name}")) is not None}
