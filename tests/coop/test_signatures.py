"""Signed statements: every way a signature, a key or a sequence number is refused."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop import canonical, statements
from coop.errors import BadInput, BadSignature, Conflict, Forbidden
from coop.keys import KeyPair, PublicKey, b64
from coop.statements import KeyRecord

ORIGIN = "coop.example/test"
NOTE = "coop.note/v1"
VOTE = "coop.vote/v1"


@pytest.fixture
def alice() -> KeyPair:
    """Return a fresh key for alice."""
    return KeyPair.generate("alice")


def lookup(*records: KeyRecord) -> statements.KeyLookup:
    """Return a key lookup in which alice holds exactly the given keys."""

    def keys(author: str) -> Iterable[KeyRecord]:
        return records if author == "alice" else ()

    return keys


def body(kind: str = NOTE, seq: int = 1, **fields: Any) -> dict[str, Any]:
    """Return alice's statement body with a fixed time, so tests can edit its bytes."""
    return statements.make_body(kind, ORIGIN, "alice", seq, {"text": "hello", **fields}, created="2025-01-01T00:00:00Z")


def envelope(statement_body: Mapping[str, Any], sigs: list[dict[str, str]]) -> bytes:
    """Return envelope bytes with hand-made signature entries."""
    return canonical.encode({"body": dict(statement_body), "sigs": sigs})


def test_statement_signed_by_the_authors_key_verifies(alice: KeyPair) -> None:
    raw = statements.sign(body(), [alice])

    statement = statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)), expected_type=NOTE)

    assert statement.signers == (alice.kid,)
    assert statement.raw == raw


def test_tampered_body_is_refused(alice: KeyPair) -> None:
    raw = statements.sign(body(), [alice]).replace(b'"text":"hello"', b'"text":"hellp"')

    with pytest.raises(BadSignature, match="does not verify"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_wrong_expected_type_is_refused(alice: KeyPair) -> None:
    raw = statements.sign(body(NOTE), [alice])

    with pytest.raises(BadInput, match=f"expected a {VOTE} statement"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)), expected_type=VOTE)


def test_statement_for_another_coop_is_refused(alice: KeyPair) -> None:
    raw = statements.sign(body(), [alice])

    with pytest.raises(BadSignature, match="not 'other.example/coop'"):
        statements.verify(raw, origin="other.example/coop", keys=lookup(KeyRecord(alice.public)))


def test_replayed_sequence_number_is_refused(alice: KeyPair) -> None:
    statement = statements.verify(statements.sign(body(seq=3), [alice]), origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))

    with pytest.raises(Conflict, match="already used sequence number 3"):
        statements.check_sequence(statement, last_seq=3)


def test_skipped_sequence_number_is_refused(alice: KeyPair) -> None:
    statement = statements.verify(statements.sign(body(seq=5), [alice]), origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))

    with pytest.raises(BadInput, match="skipped sequence numbers"):
        statements.check_sequence(statement, last_seq=3)


def test_next_sequence_number_is_accepted(alice: KeyPair) -> None:
    statement = statements.verify(statements.sign(body(seq=4), [alice]), origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))

    statements.check_sequence(statement, last_seq=3)


def test_revoked_key_cannot_sign_after_its_revocation_point(alice: KeyPair) -> None:
    raw = statements.sign(body(seq=6), [alice])

    with pytest.raises(Forbidden, match="revoked after statement 5"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public, revoked_after=5)))


@pytest.mark.parametrize("seq", [1, 5], ids=["long-before", "at-the-point"])
def test_revoked_key_still_validates_what_it_signed_before_the_point(alice: KeyPair, seq: int) -> None:
    raw = statements.sign(body(seq=seq), [alice])

    statement = statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public, revoked_after=5)))

    assert statement.seq == seq


@pytest.mark.parametrize("length", [63, 65, 0], ids=["63-bytes", "65-bytes", "empty"])
def test_signature_of_the_wrong_length_is_refused(alice: KeyPair, length: int) -> None:
    signed = body()
    good = alice.sign(statements.pae(NOTE, canonical.encode(signed)))
    raw = envelope(signed, [{"kid": alice.kid, "sig": b64((good * 2)[:length])}])

    with pytest.raises((BadInput, BadSignature), match="64 bytes"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_public_key_refuses_a_63_byte_signature(alice: KeyPair) -> None:
    signature = alice.sign(b"message")

    with pytest.raises(BadSignature, match="64 bytes"):
        alice.public.verify(b"message", signature[:63])


@pytest.mark.parametrize("raw", [
    bytes(32),
    b"\x01" + bytes(31),
    b"\xec" + b"\xff" * 30 + b"\x7f",
], ids=["all-zero", "identity-point", "order-2-point"])
def test_small_order_public_key_is_refused(raw: bytes) -> None:
    with pytest.raises(BadInput, match="small order"):
        PublicKey(raw)


@pytest.mark.parametrize("length", [31, 33], ids=["31-bytes", "33-bytes"])
def test_public_key_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(BadInput, match="32 bytes"):
        PublicKey(bytes(range(length)))


def test_signature_by_a_key_the_author_does_not_hold_is_refused(alice: KeyPair) -> None:
    stranger = KeyPair.generate("alice")
    raw = statements.sign(body(), [stranger])

    with pytest.raises(BadSignature, match="not a key of 'alice'"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_author_without_registered_keys_is_refused(alice: KeyPair) -> None:
    raw = statements.sign(body(), [alice])

    with pytest.raises(BadSignature, match="no registered key"):
        statements.verify(raw, origin=ORIGIN, keys=lookup())


def test_signature_made_for_another_statement_type_is_refused(alice: KeyPair) -> None:
    signed = body(NOTE)
    payload = canonical.encode(signed)
    copied = alice.sign(statements.pae(VOTE, payload))  # the same payload, signed as a vote
    raw = envelope(signed, [{"kid": alice.kid, "sig": b64(copied)}])

    with pytest.raises(BadSignature, match="does not verify"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_signature_over_the_bare_body_without_pae_is_refused(alice: KeyPair) -> None:
    signed = body()
    raw = envelope(signed, [{"kid": alice.kid, "sig": b64(alice.sign(canonical.encode(signed)))}])

    with pytest.raises(BadSignature, match="does not verify"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_pae_separates_types_with_the_same_payload() -> None:
    assert statements.pae(NOTE, b"{}") != statements.pae(VOTE, b"{}")
    assert statements.pae(NOTE, b"{}") == b"DSSEv1 12 coop.note/v1 2 {}"


def test_same_key_signing_twice_is_refused(alice: KeyPair) -> None:
    signed = body()
    entry = {"kid": alice.kid, "sig": b64(alice.sign(statements.pae(NOTE, canonical.encode(signed))))}
    raw = envelope(signed, [entry, entry])

    with pytest.raises(BadSignature, match="signs twice"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_statement_without_signatures_is_refused(alice: KeyPair) -> None:
    with pytest.raises(BadSignature, match="no signature"):
        statements.verify(envelope(body(), []), origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_envelope_with_extra_fields_is_refused(alice: KeyPair) -> None:
    signed = body()
    sig = b64(alice.sign(statements.pae(NOTE, canonical.encode(signed))))
    raw = canonical.encode({"body": signed, "note": "extra", "sigs": [{"kid": alice.kid, "sig": sig}]})

    with pytest.raises(BadInput, match="exactly 'body' and 'sigs'"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_signature_in_non_canonical_base64_is_refused(alice: KeyPair) -> None:
    signed = body()
    sig = b64(alice.sign(statements.pae(NOTE, canonical.encode(signed)))).rstrip("=")
    raw = envelope(signed, [{"kid": alice.kid, "sig": sig}])

    with pytest.raises(BadInput):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def test_key_record_whose_kid_does_not_match_its_key_is_refused(alice: KeyPair) -> None:
    with pytest.raises(BadInput, match="key id does not match"):
        KeyRecord.from_dict({"kid": "0" * 16, "public": alice.public.to_b64()})


def test_key_record_with_a_small_order_key_is_refused() -> None:
    with pytest.raises(BadInput, match="small order"):
        KeyRecord.from_dict({"kid": "0" * 16, "public": b64(bytes(32))})


@pytest.mark.parametrize("created", ["2025-01-01t00:00:00Z", "2025-01-01T00:00:00z", "2025-01-01 00:00:00Z",
                                     "\u0662\u0660\u0662\u0665-01-01T00:00:00Z", "2025-1-01T00:00:00Z0"],
                         ids=["lower-t", "lower-z", "space", "arabic-digits", "short-month"])
def test_a_statement_time_not_exactly_in_the_documented_format_is_refused(alice: KeyPair, created: str) -> None:
    signed = {**body(), "created": created}
    raw = envelope(signed, [{"kid": alice.kid, "sig": b64(alice.sign(statements.pae(NOTE, canonical.encode(signed))))}])

    with pytest.raises(BadInput, match="time"):
        statements.verify(raw, origin=ORIGIN, keys=lookup(KeyRecord(alice.public)))


def _accepts(text: str) -> bool:
    try:
        statements.parse_time(text)
    except BadInput:
        return False
    return True


# Strings near the format (each character of a real time, maybe swapped for a look-alike) and any text at all.
NEAR_TIMES = st.builds(lambda moment, swaps: "".join(swaps.get(i, c) for i, c in enumerate(statements.format_time(moment))),
                       st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)),
                       st.dictionaries(st.integers(0, 19), st.sampled_from("tz Tz0 9:-+.\u0660\u0669\uff10"), max_size=2))


@settings(max_examples=300, database=None, deadline=None)
@given(st.one_of(NEAR_TIMES, st.text(max_size=24)))
def test_a_time_is_accepted_exactly_when_it_formats_back_to_itself(text: str) -> None:
    try:
        again = statements.format_time(datetime.strptime(text, statements.TIME_FORMAT).replace(tzinfo=UTC))
    except ValueError:
        again = None

    assert _accepts(text) == (again == text)
