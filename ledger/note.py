"""C2SP signed notes, checkpoints, witness cosignatures and tlog-proof receipts.

Formats: c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature and tlog-proof.
Parsing is strict (one valid encoding per value) and signatures are checked with
pynacl, which refuses small-order keys and malleable signatures.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from coop.digits import parse_whole
from coop.errors import BadInput, BadSignature, IntegrityError, Invalid, TooLarge
from coop.keys import KeyPair, PublicKey, b64, unb64
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MAX_TREE_SIZE,
    Hash,
    LeafIndex,
    check_int,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

ED25519 = 0x01
COSIGNATURE = 0x04
KEY_ID_SIZE = 4
MAX_SIGNATURES = 100
MAX_PROOF_HASHES = 64
MAX_TIMESTAMP = 2**63 - 1
PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_DASH = "\u2014 "
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")
_ED25519_KEY_SIZE = 32


def _check_text(text: str, what: str) -> str:
    """Refuse ASCII control characters other than newline, as signed notes must."""
    for ch in text:
        if ch < " " and ch != "\n":
            raise BadInput(f"{what} holds the control character U+{ord(ch):04X}")
    return text


def _check_name(name: object) -> str:
    """Return a key name if it is non-empty with no spaces, '+' or control characters."""
    if not isinstance(name, str) or not name or any(ch == "+" or ch.isspace() or ch < " " for ch in name):
        raise BadInput(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def _check_sig_type(sig_type: object) -> None:
    """Refuse signature types other than Ed25519 note signatures and Ed25519 cosignatures."""
    if sig_type not in (ED25519, COSIGNATURE):
        raise BadInput(f"signature type {sig_type!r} is not supported; use 0x01 (notes) or 0x04 (cosignatures)")


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    """Return the 4-byte key ID: SHA-256(name || 0x0A || type byte || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public).digest()[:KEY_ID_SIZE]


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """Return what a witness signs: the cosignature/v1 header with its time, then the checkpoint body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures (type 0x01) or cosignatures (type 0x04)."""

    name: str
    public: bytes
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_sig_type(self.sig_type)
        PublicKey(self.public)

    @property
    def key_id(self) -> bytes:
        """Return the key ID that signature lines by this key carry."""
        return key_id(self.name, self.sig_type, self.public)

    @classmethod
    def from_vkey(cls, vkey: object) -> Verifier:
        """Parse `<name>+<hex key ID>+<base64(type || public key)>`, checking the key ID it states."""
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3 or not _HEX_KEY_ID.fullmatch(parts[1]):
            raise BadInput(f"verifier key {vkey!r} is not <name>+<8 hex digits>+<base64 key>")
        name, hex_id, encoded = parts
        key = unb64(encoded, "verifier key")
        if len(key) != 1 + _ED25519_KEY_SIZE:
            raise BadInput(f"verifier key holds {len(key)} bytes; an Ed25519 key is 1 + 32")
        verifier = cls(name, key[1:], key[0])
        if verifier.key_id.hex() != hex_id:
            raise BadInput(f"verifier key {name} states key ID {hex_id}, its key gives {verifier.key_id.hex()}")
        return verifier

    def to_vkey(self) -> str:
        """Return the verifier key string that names, identifies and carries this key."""
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.sig_type]) + self.public)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Tell whether a signature (without its key ID) by this key covers the note text."""
        if self.sig_type == COSIGNATURE:
            timestamp = int.from_bytes(signature[:8], "big")
            if len(signature) != 8 + 64 or timestamp > MAX_TIMESTAMP:
                return False
            text, signature = cosignature_message(text, timestamp), signature[8:]
        try:
            PublicKey(self.public).verify(text, signature)
        except BadSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private Ed25519 key, from a 32-byte seed, that signs notes or cosigns checkpoints under a name."""

    name: str
    seed: bytes = field(repr=False)
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.seed, bytes) or len(self.seed) != _ED25519_KEY_SIZE:
            raise BadInput("an Ed25519 seed is 32 bytes")
        _check_sig_type(self.sig_type)

    @property
    def verifier(self) -> Verifier:
        """Return the public half that checks this signer's signatures."""
        return Verifier(self.name, KeyPair(self.name, self.seed).public.raw, self.sig_type)

    def signature(self, message: bytes, prefix: bytes = b"") -> Signature:
        """Sign a message into a signature line; prefix goes before the signature bytes (a cosignature's time)."""
        return Signature(self.name, self.verifier.key_id, prefix + KeyPair(self.name, self.seed).sign(message))


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: key name, key ID and the algorithm's signature bytes."""

    name: str
    key_id: bytes
    data: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.key_id) != KEY_ID_SIZE or not self.data:
            raise BadInput("a note signature is a 4-byte key ID and a non-empty signature")

    @classmethod
    def from_line(cls, line: str) -> Signature:
        """Parse `— <name> <base64(key ID || signature)>` (without the newline)."""
        parts = line.removeprefix(_DASH).split(" ")
        if not line.startswith(_DASH) or len(parts) != 2:
            raise BadInput(f"signature line {line[:80]!r} is not '— <name> <base64>'")
        raw = unb64(parts[1], "note signature")
        return cls(parts[0], raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])

    def to_line(self) -> str:
        """Return the signature line, newline included."""
        return f"{_DASH}{self.name} {b64(self.key_id + self.data)}\n"


@dataclass(frozen=True)
class Note:
    """A signed note: text ending in a newline, then one or more signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "signatures", tuple(self.signatures))
        if not self.text.endswith("\n"):
            raise BadInput("note text must end with a newline")
        _check_text(self.text, "note text")
        if not 1 <= len(self.signatures) <= MAX_SIGNATURES:
            raise TooLarge(f"a note carries 1 to {MAX_SIGNATURES} signatures, got {len(self.signatures)}")

    @classmethod
    def from_bytes(cls, data: bytes) -> Note:
        """Parse a note strictly: UTF-8, no control characters, the last blank line before the signatures."""
        try:
            whole = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadInput(f"note is not valid UTF-8: {e.reason}") from e
        _check_text(whole, "note")
        split = whole.rfind("\n\n")
        if split < 0 or not whole.endswith("\n"):
            raise BadInput("note needs a blank line before its signatures and a final newline")
        lines = whole[split + 2:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise TooLarge(f"note carries {len(lines)} signatures, the limit is {MAX_SIGNATURES}")
        return cls(whole[:split + 1], tuple(Signature.from_line(line) for line in lines))

    def to_bytes(self) -> bytes:
        """Return the note as it is stored and sent."""
        return (self.text + "\n" + "".join(s.to_line() for s in self.signatures)).encode("utf-8")

    def with_signatures(self, *signatures: Signature) -> Note:
        """Return the note with more signature lines (cosignatures), skipping ones it already has."""
        added = tuple(s for s in dict.fromkeys(signatures) if s not in self.signatures)
        return Note(self.text, self.signatures + added)

    def verify(self, verifiers: Iterable[Verifier]) -> list[tuple[Verifier, Signature]]:
        """Return the (verifier, signature) pairs that verify; unknown keys are ignored.

        Raises BadSignature if a known key's signature fails (the whole note is
        rejected) or if no known key signed at all.
        """
        known = {(v.name, v.key_id): v for v in verifiers}
        message = self.text.encode("utf-8")
        verified = []
        for signature in self.signatures:
            verifier = known.get((signature.name, signature.key_id))
            if verifier is None:
                continue
            if not verifier.verify(message, signature.data):
                raise BadSignature(f"the signature by {signature.name} ({signature.key_id.hex()}) does not verify")
            verified.append((verifier, signature))
        if not verified:
            raise BadSignature("the note carries no signature by a known key")
        return verified


def sign_note(text: str, signers: Sequence[Signer]) -> Note:
    """Sign a note text with one or more Ed25519 (type 0x01) keys."""
    if any(s.sig_type != ED25519 for s in signers):
        raise BadInput("notes are signed with type 0x01 keys; witnesses use cosign()")
    return Note(text, tuple(s.signature(text.encode("utf-8")) for s in signers))


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size and root hash, plus optional extension lines."""

    origin: str
    size: int
    root: Hash
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for line in (self.origin, *self.extensions):
            if not isinstance(line, str) or not line or "\n" in line:
                raise BadInput(f"checkpoint line {line!r} must be non-empty text on one line")
            _check_text(line, "checkpoint line")
        check_int(self.size, "tree size")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise BadInput("a checkpoint root hash is 32 bytes")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise Invalid("a checkpoint of size 0 must carry the empty tree's root, SHA-256 of nothing")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body: origin, size and base64 root on their own lines, then extensions."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise BadInput("a checkpoint is at least three lines (origin, size, root), each ending in a newline")
        size = parse_whole(lines[1], "tree size", 0, MAX_TREE_SIZE)
        return cls(lines[0], size, unb64(lines[2], "root hash", HASH_SIZE), tuple(lines[3:-1]))

    def to_text(self) -> str:
        """Return the checkpoint body that the log signs."""
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), b64(self.root), *self.extensions))


@dataclass(frozen=True)
class WitnessPolicy:
    """Require cosignatures by at least threshold distinct witnesses (by name) of a list."""

    witnesses: tuple[Verifier, ...]
    threshold: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "witnesses", tuple(self.witnesses))
        if any(w.sig_type != COSIGNATURE for w in self.witnesses):
            raise BadInput("witness keys are cosignature keys (type 0x04)")
        names = {w.name for w in self.witnesses}
        check_int(self.threshold, "witness threshold (at most the number of distinct witnesses)", 1, len(names))


_MINT = object()


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature, origin and witness quorum verified; only verify_checkpoint makes one.

    Proofs are checked against its size and root only, never against a size or
    root offered by whoever presents the proof.
    """

    checkpoint: Checkpoint
    note: Note
    cosigned_at: tuple[tuple[str, int], ...]
    _mint: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("a VerifiedCheckpoint comes from verify_checkpoint()")

    def includes(self, index: LeafIndex, leaf: Hash, proof: Sequence[Hash]) -> bool:
        """Tell whether the inclusion proof puts the leaf hash at index in this tree."""
        return verify_inclusion(index, self.checkpoint.size, leaf, proof, self.checkpoint.root)

    def extends(self, older: VerifiedCheckpoint, proof: Sequence[Hash]) -> bool:
        """Tell whether the consistency proof shows the older checkpoint's tree is a prefix of this one."""
        if older.checkpoint.origin != self.checkpoint.origin:
            return False
        if older.checkpoint.size == 0:
            return not proof
        return verify_consistency(older.checkpoint.size, self.checkpoint.size, older.checkpoint.root, self.checkpoint.root, proof)


def verify_checkpoint(data: bytes, log: Verifier | str, origin: str, witnesses: WitnessPolicy | None = None) -> VerifiedCheckpoint:
    """Check a signed checkpoint's log signature, origin and (if given) witness quorum, or raise."""
    if isinstance(log, str):
        log = Verifier.from_vkey(log)
    if log.sig_type != ED25519:
        raise BadInput("a log signs checkpoints with a type 0x01 key")
    note = Note.from_bytes(data)
    verified = note.verify([log, *(witnesses.witnesses if witnesses else ())])
    if all(verifier != log for verifier, _ in verified):
        raise BadSignature(f"the checkpoint is not signed by the log key {log.name}")
    checkpoint = Checkpoint.from_text(note.text)
    if checkpoint.origin != origin:
        raise Invalid(f"checkpoint is for the log {checkpoint.origin!r}, expected {origin!r}")
    cosigned: dict[str, int] = {}
    for verifier, signature in verified:
        if verifier.sig_type == COSIGNATURE:
            cosigned[verifier.name] = max(cosigned.get(verifier.name, 0), int.from_bytes(signature.data[:8], "big"))
    if witnesses and len(cosigned) < witnesses.threshold:
        raise BadSignature(f"the checkpoint has {len(cosigned)} of the {witnesses.threshold} witness cosignatures required")
    return VerifiedCheckpoint(checkpoint, note, tuple(sorted(cosigned.items())), _mint=_MINT)


def cosign(checkpoint: Checkpoint, witness: Signer, timestamp: int) -> Signature:
    """Return a witness's cosignature line for a checkpoint it has checked, as of a POSIX time."""
    if witness.sig_type != COSIGNATURE:
        raise BadInput("a witness cosigns with a type 0x04 key")
    check_int(timestamp, "cosignature time", 0, MAX_TIMESTAMP)
    message = cosignature_message(checkpoint.to_text().encode("utf-8"), timestamp)
    return witness.signature(message, timestamp.to_bytes(8, "big"))


@dataclass(frozen=True)
class TlogProof:
    """An offline receipt (c2sp.org/tlog-proof): leaf index, inclusion proof and the signed checkpoint."""

    index: LeafIndex
    hashes: tuple[Hash, ...]
    checkpoint: Note
    extra: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hashes", tuple(self.hashes))
        check_int(self.index, "leaf index")
        if len(self.hashes) > MAX_PROOF_HASHES or any(len(h) != HASH_SIZE for h in self.hashes):
            raise BadInput(f"an inclusion proof is at most {MAX_PROOF_HASHES} hashes of 32 bytes")
        if self.extra == b"":
            raise BadInput("extra data, when present, is not empty")

    @classmethod
    def from_bytes(cls, data: bytes) -> TlogProof:
        """Parse a tlog-proof: header, optional extra, index, proof lines, blank line, checkpoint."""
        head, blank, checkpoint = data.partition(b"\n\n")
        lines = head.decode("ascii", errors="replace").split("\n")
        if not blank or lines[0] != PROOF_HEADER or len(lines) < 2:
            raise BadInput(f"a tlog proof starts with {PROOF_HEADER!r}, then index and proof lines, then a blank line")
        extra = unb64(lines.pop(1).removeprefix("extra "), "extra data") if lines[1].startswith("extra ") else None
        if len(lines) < 2 or not lines[1].startswith("index "):
            raise BadInput("a tlog proof names its leaf on an 'index <N>' line")
        index = parse_whole(lines[1].removeprefix("index "), "leaf index", 0, MAX_TREE_SIZE)
        if len(lines) - 2 > MAX_PROOF_HASHES:
            raise TooLarge(f"an inclusion proof is at most {MAX_PROOF_HASHES} hashes")
        hashes = tuple(unb64(line, "proof hash", HASH_SIZE) for line in lines[2:])
        return cls(index, hashes, Note.from_bytes(checkpoint), extra)

    def to_bytes(self) -> bytes:
        """Return the receipt text, ready to save as a .tlog-proof file."""
        lines = [PROOF_HEADER, *([f"extra {b64(self.extra)}"] if self.extra is not None else []), f"index {self.index}"]
        lines += [b64(h) for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode("ascii") + self.checkpoint.to_bytes()


def verify_tlog_proof(data: bytes, entry: bytes, log: Verifier | str, origin: str, witnesses: WitnessPolicy | None = None) -> VerifiedCheckpoint:
    """Check that a receipt proves the entry is in the log under a valid checkpoint, or raise."""
    proof = TlogProof.from_bytes(data)
    verified = verify_checkpoint(proof.checkpoint.to_bytes(), log, origin, witnesses)
    if not verified.includes(proof.index, leaf_hash(entry), proof.hashes):
        raise IntegrityError(f"the inclusion proof for index {proof.index} does not match the checkpoint's root")
    return verified
