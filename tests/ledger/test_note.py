"""Signed notes, checkpoints, witness cosignatures and tlog-proof receipts (catalogue B)."""
from __future__ import annotations

import base64
import hashlib

import nacl.signing
import pytest

from coop.errors import BadInput, BadSignature, IntegrityError, Invalid, TooLarge
from ledger.merkle import EMPTY_ROOT, consistency_proof, inclusion_proof, leaf_hash, memory_hashes, root
from ledger.note import (
    COSIGNATURE,
    ED25519,
    MAX_SIGNATURES,
    Checkpoint,
    Note,
    Signature,
    Signer,
    TlogProof,
    VerifiedCheckpoint,
    Verifier,
    WitnessPolicy,
    cosign,
    key_id,
    sign_note,
    verify_checkpoint,
    verify_tlog_proof,
)

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
).encode()

ORIGIN = "coop.example/ledger"
REFERENCE_VKEY = "coop.example/ledger+dd39216c+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
REFERENCE_NOTE = (
    "coop.example/ledger\n"
    "8\n"
    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "\n"
    "\u2014 coop.example/ledger 3TkhbAk9MMRGDFzxGiqbS9rrvyF7na0SGtkCw62XxKnGz233npqLVt6suvQ/rI1ADR19y5pGAX+soG+AP0YUxzAYhwY=\n"
).encode()
ROOT8_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="

ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
HASHES = [leaf_hash(e) for e in ENTRIES]
CHECKPOINT = Checkpoint(ORIGIN, 8, root(HASHES))

LOG = Signer(ORIGIN, bytes(32))
STRANGER = Signer("stranger.example", bytes([7]) * 32)
W1, W2, W3 = (Signer(f"witness{i}.example", bytes([i]) * 32, COSIGNATURE) for i in (1, 2, 3))
TWO_OF_THREE = WitnessPolicy((W1.verifier, W2.verifier, W3.verifier), 2)
TIME = 1679315147


def signed(text: str, *signers: Signer) -> bytes:
    return sign_note(text, signers).to_bytes()


def flipped(signature: Signature) -> Signature:
    return Signature(signature.name, signature.key_id, signature.data[:-1] + bytes([signature.data[-1] ^ 1]))


def cosigned(*cosignatures: Signature) -> bytes:
    return sign_note(CHECKPOINT.to_text(), [LOG]).with_signatures(*cosignatures).to_bytes()


# B1: the signed-note spec's own example.

def test_spec_example_vkey_verifies_the_example_message() -> None:
    note = Note.from_bytes(SPEC_NOTE)
    [(verifier, _)] = note.verify([Verifier.from_vkey(SPEC_VKEY)])
    assert note.text == "This is an example message.\n"
    assert verifier.name == "example.com/foo"


def test_spec_example_key_id_recomputes_to_530d903a() -> None:
    public = base64.b64decode(SPEC_VKEY.split("+")[2])[1:]
    assert key_id("example.com/foo", ED25519, public).hex() == "530d903a"


def test_vkey_round_trips() -> None:
    assert Verifier.from_vkey(SPEC_VKEY).to_vkey() == SPEC_VKEY


def _vkey(type_byte: int, public: bytes, name: str = "example.com/foo") -> str:
    stated = hashlib.sha256(name.encode() + b"\n" + bytes([type_byte]) + public).digest()[:4].hex()
    return f"{name}+{stated}+{base64.b64encode(bytes([type_byte]) + public).decode()}"


@pytest.mark.parametrize("vkey", [
    pytest.param(SPEC_VKEY.replace("530d903a", "530d903b"), id="wrong-key-id"),
    pytest.param(SPEC_VKEY.replace("530d903a", "530D903A"), id="upper-case-key-id"),
    pytest.param("example.com/foo+530d903a", id="no-key"),
    pytest.param(SPEC_VKEY.replace("example.com/foo", "example.com foo"), id="space-in-name"),
    pytest.param(SPEC_VKEY.replace("example.com/foo", ""), id="empty-name"),
    pytest.param(SPEC_VKEY[:-4], id="short-key"),
    pytest.param(SPEC_VKEY + "=", id="bad-base64"),
    pytest.param(_vkey(0x02, bytes(LOG.verifier.public)), id="ecdsa-type"),
    pytest.param(_vkey(0x01, bytes(32)), id="small-order-all-zero-key"),
])
def test_malformed_vkey_is_refused(vkey: str) -> None:
    with pytest.raises(BadInput):
        Verifier.from_vkey(vkey)


# B2: our own checkpoints.

def test_reference_checkpoint_with_zero_seed_is_reproduced_exactly() -> None:
    assert LOG.verifier.to_vkey() == REFERENCE_VKEY
    assert signed(CHECKPOINT.to_text(), LOG) == REFERENCE_NOTE


def test_checkpoint_round_trips_through_sign_parse_and_verify() -> None:
    verified = verify_checkpoint(signed(CHECKPOINT.to_text(), LOG), REFERENCE_VKEY, ORIGIN)
    assert verified.checkpoint == CHECKPOINT
    assert verified.note.to_bytes() == REFERENCE_NOTE


def test_checkpoint_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint(ORIGIN, 8, CHECKPOINT.root, ("ext one", "ext two"))
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


# B3: malformed checkpoint bodies, validly signed by the log.

@pytest.mark.parametrize("body", [
    pytest.param(f"{ORIGIN}\n007\n{ROOT8_B64}\n", id="size-leading-zeros"),
    pytest.param(f"{ORIGIN}\n-1\n{ROOT8_B64}\n", id="size-negative"),
    pytest.param(f"{ORIGIN}\n1e3\n{ROOT8_B64}\n", id="size-exponent"),
    pytest.param(f"{ORIGIN}\n+8\n{ROOT8_B64}\n", id="size-plus-sign"),
    pytest.param(f"{ORIGIN}\n 8\n{ROOT8_B64}\n", id="size-space"),
    pytest.param(f"{ORIGIN}\n\u0668\n{ROOT8_B64}\n", id="size-arabic-digit"),
    pytest.param(f"{ORIGIN}\n18446744073709551616\n{ROOT8_B64}\n", id="size-beyond-uint64"),
    pytest.param(f"{ORIGIN}\n\n{ROOT8_B64}\n", id="size-empty"),
    pytest.param(f"{ORIGIN}\n8\n{base64.b64encode(bytes(31)).decode()}\n", id="root-31-bytes"),
    pytest.param(f"{ORIGIN}\n8\n{base64.b64encode(bytes(33)).decode()}\n", id="root-33-bytes"),
    pytest.param(f"{ORIGIN}\n8\n{ROOT8_B64.replace('+', '-').replace('/', '_')}\n", id="root-url-safe-base64"),
    pytest.param(f"{ORIGIN}\n8\n{ROOT8_B64.rstrip('=')}\n", id="root-without-padding"),
    pytest.param(f"{ORIGIN}\n8\n{ROOT8_B64[:-2]}h=\n", id="root-non-canonical-bits"),
    pytest.param(f"{ORIGIN}\n8\n", id="no-root-line"),
    pytest.param(f"\n8\n{ROOT8_B64}\n", id="empty-origin"),
    pytest.param(f"{ORIGIN}\n8\n{ROOT8_B64}\n\nextension\n", id="empty-extension-line"),
])
def test_malformed_checkpoint_body_is_refused(body: str) -> None:
    with pytest.raises(BadInput):
        verify_checkpoint(signed(body, LOG), LOG.verifier, ORIGIN)


# B4: malformed notes.

@pytest.mark.parametrize("data", [
    pytest.param(REFERENCE_NOTE[:-1], id="missing-final-newline"),
    pytest.param(REFERENCE_NOTE.replace(b"=\n\n", b"=\n"), id="missing-blank-line"),
    pytest.param(REFERENCE_NOTE.replace(b"\n", b"\r\n"), id="crlf-line-ends"),
    pytest.param(REFERENCE_NOTE.replace(b"\n8\n", b"\n8\r\n"), id="carriage-return"),
    pytest.param(REFERENCE_NOTE.replace(b"\n8\n", b"\n8\t\n"), id="tab"),
    pytest.param(b"\x00" + REFERENCE_NOTE, id="nul"),
    pytest.param(REFERENCE_NOTE.replace(b"ledger\n", b"ledger\x1b\n", 1), id="escape"),
    pytest.param(b"\xff" + REFERENCE_NOTE, id="invalid-utf8"),
    pytest.param(b"\xc0\xaf" + REFERENCE_NOTE, id="overlong-utf8"),
    pytest.param(REFERENCE_NOTE.replace("\u2014".encode(), b"-"), id="hyphen-for-em-dash"),
    pytest.param(REFERENCE_NOTE.replace("\u2014 ".encode(), "\u2014  ".encode()), id="two-spaces-after-dash"),
    pytest.param(REFERENCE_NOTE.replace(b"ledger 3Tk", b"ledger  3Tk"), id="two-spaces-before-signature"),
    pytest.param(REFERENCE_NOTE.replace(b"wY=\n", b"wY\n"), id="signature-bad-base64"),
    pytest.param(REFERENCE_NOTE.split(b"\n\n")[0] + "\n\n\u2014 coop.example/ledger 3TkhbA==\n".encode(), id="signature-without-bytes"),
    pytest.param(REFERENCE_NOTE.split("\u2014".encode())[0], id="no-signature-lines"),
    pytest.param(REFERENCE_NOTE + b"\n", id="blank-line-after-signatures"),
])
def test_malformed_note_is_refused(data: bytes) -> None:
    with pytest.raises(BadInput):
        verify_checkpoint(data, LOG.verifier, ORIGIN)


def test_checkpoint_for_another_origin_is_refused() -> None:
    with pytest.raises(Invalid):
        verify_checkpoint(REFERENCE_NOTE, LOG.verifier, "coop.example/other")


# B6: unknown keys.

def test_signature_by_unknown_key_is_ignored() -> None:
    verified = verify_checkpoint(signed(CHECKPOINT.to_text(), STRANGER, LOG), LOG.verifier, ORIGIN)
    assert verified.checkpoint == CHECKPOINT


@pytest.mark.parametrize("signer", [
    pytest.param(STRANGER, id="unknown-name-and-id"),
    pytest.param(Signer(ORIGIN, bytes([9]) * 32), id="known-name-other-key"),
])
def test_note_signed_only_by_unknown_keys_is_refused(signer: Signer) -> None:
    with pytest.raises(BadSignature):
        verify_checkpoint(signed(CHECKPOINT.to_text(), signer), LOG.verifier, ORIGIN)


def test_signature_with_known_key_id_under_another_name_is_ignored() -> None:
    real = sign_note(CHECKPOINT.to_text(), [LOG]).signatures[0]
    renamed = Note(CHECKPOINT.to_text(), (Signature("other.example", real.key_id, real.data),))
    with pytest.raises(BadSignature):
        verify_checkpoint(renamed.to_bytes(), LOG.verifier, ORIGIN)


# B7: a known key whose signature fails rejects the whole note.

def test_known_key_with_flipped_signature_byte_rejects_the_note() -> None:
    good = sign_note(CHECKPOINT.to_text(), [LOG]).signatures[0]
    note = Note(CHECKPOINT.to_text(), (good, flipped(good)))
    with pytest.raises(BadSignature):
        verify_checkpoint(note.to_bytes(), LOG.verifier, ORIGIN)


def test_signature_over_other_text_is_refused() -> None:
    other = sign_note(Checkpoint(ORIGIN, 0, EMPTY_ROOT).to_text(), [LOG]).signatures[0]
    with pytest.raises(BadSignature):
        verify_checkpoint(Note(CHECKPOINT.to_text(), (other,)).to_bytes(), LOG.verifier, ORIGIN)


# B8: how many signatures a note may carry.

def test_sixteen_mixed_signatures_are_accepted() -> None:
    strangers = [Signer(f"s{i}.example", bytes([i + 10]) * 32) for i in range(15)]
    data = signed(CHECKPOINT.to_text(), *strangers, LOG)
    assert verify_checkpoint(data, LOG.verifier, ORIGIN).checkpoint == CHECKPOINT


@pytest.mark.parametrize("count", [MAX_SIGNATURES + 1, 1000])
def test_note_with_too_many_signatures_is_refused(count: int) -> None:
    line = sign_note(CHECKPOINT.to_text(), [STRANGER]).signatures[0].to_line()
    data = (CHECKPOINT.to_text() + "\n" + line * (count - 1)).encode() + REFERENCE_NOTE.split(b"\n\n")[1]
    with pytest.raises(TooLarge):
        verify_checkpoint(data, LOG.verifier, ORIGIN)


# B9: the empty tree.

def test_size_zero_checkpoint_with_the_empty_root_is_valid() -> None:
    data = signed(f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", LOG)
    assert verify_checkpoint(data, LOG.verifier, ORIGIN).checkpoint.root == EMPTY_ROOT


def test_size_zero_checkpoint_with_another_root_is_refused() -> None:
    with pytest.raises(Invalid):
        verify_checkpoint(signed(f"{ORIGIN}\n0\n{ROOT8_B64}\n", LOG), LOG.verifier, ORIGIN)


# B10: cosignatures.

def test_cosignature_is_76_bytes_of_key_id_time_and_signature() -> None:
    cosignature = cosign(CHECKPOINT, W1, TIME)
    assert len(base64.b64decode(cosignature.to_line().split(" ")[2])) == 76
    assert cosignature.key_id == key_id(W1.name, 0x04, W1.verifier.public)
    assert cosignature.data[:8] == TIME.to_bytes(8, "big")


def test_cosignature_signs_the_cosignature_v1_header_and_the_checkpoint_body() -> None:
    cosignature = cosign(CHECKPOINT, W1, TIME)
    message = b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT.to_text().encode()
    nacl.signing.VerifyKey(W1.verifier.public).verify(message, cosignature.data[8:])


def test_cosigned_checkpoint_verifies_under_a_witness_policy() -> None:
    verified = verify_checkpoint(cosigned(cosign(CHECKPOINT, W1, TIME)), LOG.verifier, ORIGIN, WitnessPolicy((W1.verifier,), 1))
    assert verified.cosigned_at == ((W1.name, TIME),)


def test_cosignature_checked_as_a_log_signature_fails() -> None:
    cosignature = cosign(CHECKPOINT, W1, TIME)
    as_log = Verifier(W1.name, W1.verifier.public, ED25519)
    assert not as_log.verify(CHECKPOINT.to_text().encode(), cosignature.data[8:])
    with pytest.raises(BadSignature):
        verify_checkpoint(Note(CHECKPOINT.to_text(), (cosignature,)).to_bytes(), as_log, ORIGIN)


def test_log_signature_does_not_count_as_a_cosignature() -> None:
    with pytest.raises(BadSignature):
        verify_checkpoint(cosigned(), LOG.verifier, ORIGIN, WitnessPolicy((W1.verifier,), 1))


@pytest.mark.parametrize("timestamp", [-1, 2**63, True], ids=["negative", "beyond-int64", "bool"])
def test_cosignature_time_out_of_range_is_refused(timestamp: int) -> None:
    with pytest.raises(BadInput):
        cosign(CHECKPOINT, W1, timestamp)


def test_cosigning_with_a_note_key_is_refused() -> None:
    with pytest.raises(BadInput):
        cosign(CHECKPOINT, LOG, TIME)


def test_signing_a_note_with_a_cosignature_key_is_refused() -> None:
    with pytest.raises(BadInput):
        sign_note(CHECKPOINT.to_text(), [W1])


# B12: k-of-n witness policy.

def test_two_of_three_witnesses_are_enough() -> None:
    data = cosigned(cosign(CHECKPOINT, W1, TIME), cosign(CHECKPOINT, W3, TIME + 1))
    verified = verify_checkpoint(data, LOG.verifier, ORIGIN, TWO_OF_THREE)
    assert verified.cosigned_at == ((W1.name, TIME), (W3.name, TIME + 1))


@pytest.mark.parametrize("second", [
    pytest.param(flipped(cosign(CHECKPOINT, W2, TIME)), id="invalid-cosignature"),
    pytest.param(cosign(CHECKPOINT, Signer(W2.name, bytes([42]) * 32, COSIGNATURE), TIME), id="witness-name-with-unknown-key"),
    pytest.param(cosign(Checkpoint(ORIGIN, 0, EMPTY_ROOT), W2, TIME), id="cosignature-of-another-checkpoint"),
])
def test_one_valid_and_one_invalid_cosignature_are_refused(second: Signature) -> None:
    with pytest.raises(BadSignature):
        verify_checkpoint(cosigned(cosign(CHECKPOINT, W1, TIME), second), LOG.verifier, ORIGIN, TWO_OF_THREE)


def test_same_witness_twice_counts_once() -> None:
    data = cosigned(cosign(CHECKPOINT, W1, TIME), cosign(CHECKPOINT, W1, TIME + 60))
    with pytest.raises(BadSignature):
        verify_checkpoint(data, LOG.verifier, ORIGIN, TWO_OF_THREE)


def test_witness_with_two_keys_counts_once() -> None:
    rotated = Signer(W1.name, bytes([99]) * 32, COSIGNATURE)
    policy = WitnessPolicy((W1.verifier, rotated.verifier, W2.verifier), 2)
    data = cosigned(cosign(CHECKPOINT, W1, TIME), cosign(CHECKPOINT, rotated, TIME + 5))
    with pytest.raises(BadSignature):
        verify_checkpoint(data, LOG.verifier, ORIGIN, policy)


@pytest.mark.parametrize(("witnesses", "threshold"), [
    pytest.param((W1.verifier, W2.verifier), 0, id="threshold-zero"),
    pytest.param((W1.verifier, W2.verifier), 3, id="threshold-above-witness-count"),
    pytest.param((W1.verifier, W1.verifier), 2, id="threshold-above-distinct-witnesses"),
    pytest.param((LOG.verifier,), 1, id="note-key-as-witness"),
])
def test_impossible_witness_policy_is_refused(witnesses: tuple[Verifier, ...], threshold: int) -> None:
    with pytest.raises(BadInput):
        WitnessPolicy(witnesses, threshold)


# Keys, notes and the verified checkpoint type.

@pytest.mark.parametrize(("name", "seed"), [
    ("has space", bytes(32)), ("has+plus", bytes(32)), ("", bytes(32)), ("ok.example", bytes(31)),
], ids=["space-in-name", "plus-in-name", "empty-name", "short-seed"])
def test_malformed_signer_is_refused(name: str, seed: bytes) -> None:
    with pytest.raises(BadInput):
        Signer(name, seed)


def test_signer_repr_hides_the_seed() -> None:
    assert repr(bytes(32)) not in repr(LOG)


def test_adding_a_cosignature_twice_keeps_one_line() -> None:
    cosignature = cosign(CHECKPOINT, W1, TIME)
    note = sign_note(CHECKPOINT.to_text(), [LOG]).with_signatures(cosignature, cosignature).with_signatures(cosignature)
    assert len(note.signatures) == 2


def test_verified_checkpoint_cannot_be_made_by_hand() -> None:
    with pytest.raises(TypeError):
        VerifiedCheckpoint(CHECKPOINT, Note.from_bytes(REFERENCE_NOTE), ())


def test_log_key_of_cosignature_type_is_refused() -> None:
    with pytest.raises(BadInput):
        verify_checkpoint(REFERENCE_NOTE, W1.verifier, ORIGIN)


def test_verified_checkpoint_checks_inclusion_against_its_own_size_and_root() -> None:
    verified = verify_checkpoint(REFERENCE_NOTE, LOG.verifier, ORIGIN)
    proof = inclusion_proof(3, 8, memory_hashes(HASHES))
    assert verified.includes(3, HASHES[3], proof)
    assert not verified.includes(4, HASHES[3], proof)


def _checkpoint_at(size: int, origin: str = ORIGIN) -> VerifiedCheckpoint:
    return verify_checkpoint(signed(Checkpoint(origin, size, root(HASHES[:size])).to_text(), LOG), LOG.verifier, origin)


def test_newer_checkpoint_extends_older_one_with_a_consistency_proof() -> None:
    assert _checkpoint_at(8).extends(_checkpoint_at(5), consistency_proof(5, 8, memory_hashes(HASHES)))


@pytest.mark.parametrize(("older", "proof"), [
    pytest.param(_checkpoint_at(0), [], id="from-empty-tree"),
    pytest.param(_checkpoint_at(8), [], id="same-tree"),
])
def test_trivial_extension_needs_no_proof(older: VerifiedCheckpoint, proof: list[bytes]) -> None:
    assert _checkpoint_at(8).extends(older, proof)


@pytest.mark.parametrize(("older", "proof"), [
    pytest.param(_checkpoint_at(0), [HASHES[0]], id="proof-from-empty-tree"),
    pytest.param(_checkpoint_at(5, "coop.example/other"), [], id="other-origin"),
    pytest.param(_checkpoint_at(5), [], id="missing-proof"),
])
def test_unproven_extension_is_refused(older: VerifiedCheckpoint, proof: list[bytes]) -> None:
    assert not _checkpoint_at(8).extends(older, proof)


# tlog-proof receipts.

RECEIPT = TlogProof(5, tuple(inclusion_proof(5, 8, memory_hashes(HASHES))), Note.from_bytes(cosigned(cosign(CHECKPOINT, W1, TIME))))


def test_receipt_has_the_tlog_proof_layout() -> None:
    head = "c2sp.org/tlog-proof@v1\nindex 5\n" + "".join(base64.b64encode(h).decode() + "\n" for h in RECEIPT.hashes) + "\n"
    assert RECEIPT.to_bytes() == head.encode() + RECEIPT.checkpoint.to_bytes()


@pytest.mark.parametrize("extra", [None, b"opaque \x00 data"], ids=["without-extra", "with-extra"])
def test_receipt_round_trips(extra: bytes | None) -> None:
    receipt = TlogProof(RECEIPT.index, RECEIPT.hashes, RECEIPT.checkpoint, extra)
    assert TlogProof.from_bytes(receipt.to_bytes()) == receipt


def test_receipt_proves_its_entry_under_log_and_witnesses() -> None:
    verified = verify_tlog_proof(RECEIPT.to_bytes(), ENTRIES[5], REFERENCE_VKEY, ORIGIN, WitnessPolicy((W1.verifier,), 1))
    assert verified.checkpoint == CHECKPOINT


@pytest.mark.parametrize(("entry", "index"), [(ENTRIES[4], 5), (ENTRIES[5], 4)], ids=["other-entry", "other-index"])
def test_receipt_for_another_entry_or_index_is_refused(entry: bytes, index: int) -> None:
    receipt = TlogProof(index, RECEIPT.hashes, RECEIPT.checkpoint)
    with pytest.raises(IntegrityError):
        verify_tlog_proof(receipt.to_bytes(), entry, LOG.verifier, ORIGIN)


def test_receipt_without_required_witnesses_is_refused() -> None:
    with pytest.raises(BadSignature):
        verify_tlog_proof(RECEIPT.to_bytes(), ENTRIES[5], LOG.verifier, ORIGIN, TWO_OF_THREE)


@pytest.mark.parametrize(("old", "new"), [
    pytest.param(b"c2sp.org/tlog-proof@v1\n", b"c2sp.org/tlog-proof@v2\n", id="other-version"),
    pytest.param(b"index 5\n", b"index 05\n", id="index-leading-zero"),
    pytest.param(b"index 5\n", b"index -5\n", id="index-negative"),
    pytest.param(b"index 5\n", b"", id="no-index"),
    pytest.param(b"index 5\n", b"extra \nindex 5\n", id="empty-extra"),
    pytest.param(b"index 5\n", b"index 5\nAAAA\n", id="short-proof-hash"),
    pytest.param(b"index 5\n", b"index 5\n" + b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" * 64, id="65-proof-hashes"),
    pytest.param(b"=\n\ncoop", b"=\ncoop", id="no-blank-line-before-checkpoint"),
])
def test_malformed_receipt_is_refused(old: bytes, new: bytes) -> None:
    with pytest.raises(BadInput):
        TlogProof.from_bytes(RECEIPT.to_bytes().replace(old, new, 1))
