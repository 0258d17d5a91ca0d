"""Statement verification rate of `coop.statements.verify` against raw pynacl.

Both check the same signatures over the same messages. `statements.verify`
parses the envelope strictly (UTF-8, duplicate keys, floats, NFC, and the JCS
re-encoding check), checks the common fields, re-encodes the body, builds the
DSSE PAE and verifies each signature with pynacl. The raw side only calls
`VerifyKey.verify(message, signature)` on PAE messages and signatures prepared
beforehand, with one VerifyKey per author built once: the floor that ed25519 sets.
"""
from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence

import nacl.signing

from bench import best_time, rate, table
from coop import canonical, statements
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.statements import KeyRecord

ORIGIN = "bench.example/coop"
AUTHORS = 50
STATEMENTS = 4_000
REPEATS = 5

SignedMessage = tuple[nacl.signing.VerifyKey, bytes, bytes]  # (author's key, DSSE PAE message, signature)


def make_statements() -> tuple[list[bytes], dict[str, list[KeyRecord]]]:
    """Return signed member-record statements (about 430 bytes each) and their authors' keys."""
    pairs = [KeyPair(f"author-{a:02d}", bytes([a + 1]) * 32) for a in range(AUTHORS)]
    keys = {pair.handle: [KeyRecord(pair.public)] for pair in pairs}
    raws = []
    for i in range(STATEMENTS):
        pair = pairs[i % AUTHORS]
        fields = member_fields(f"member-{i:05d}", ["member"], ["python", "web"], [KeyRecord(pair.public)])
        body = statements.make_body(MEMBER_TYPE, ORIGIN, pair.handle, i // AUTHORS + 1, fields, created="2025-01-31T12:00:00Z")
        raws.append(statements.sign(body, [pair]))
    return raws, keys


def signed_messages(raws: Sequence[bytes], keys: Mapping[str, nacl.signing.VerifyKey]) -> list[SignedMessage]:
    """Return what each statement's first signature was made over: the PAE of its exact body bytes, with its author's key."""
    prepared = []
    for raw in raws:
        body, sigs = statements.parse(raw)
        prepared.append((keys[body["author"]], statements.pae(body["type"], statements.body_bytes(raw)),
                         base64.b64decode(sigs[0]["sig"])))
    return prepared


def verify_raw(prepared: Sequence[SignedMessage]) -> None:
    """Verify every signature with bare pynacl: the floor that ed25519 sets."""
    for key, message, signature in prepared:
        key.verify(message, signature)


def main() -> None:
    """Time the full check, its parts and raw ed25519 over the same statements; print the table."""
    print(f"== verify: coop.statements.verify vs raw pynacl, {STATEMENTS:,} statements by {AUTHORS} authors, best of {REPEATS} ==")
    began = time.perf_counter()
    raws, keys = make_statements()
    lookup: Callable[[str], list[KeyRecord]] = keys.__getitem__
    bodies = [statements.parse(raw)[0] for raw in raws]
    verify_keys = {author: nacl.signing.VerifyKey(records[0].public.raw) for author, records in keys.items()}
    prepared = signed_messages(raws, verify_keys)

    def full() -> None:
        for raw in raws:
            statements.verify(raw, origin=ORIGIN, keys=lookup)

    def parse_only() -> None:
        for raw in raws:
            statements.parse(raw)

    def pae_only() -> None:
        for body in bodies:
            statements.pae(body["type"], canonical.encode(body))

    full_rate = rate(STATEMENTS, best_time(full, REPEATS))
    raw_rate = rate(STATEMENTS, best_time(lambda: verify_raw(prepared), REPEATS))
    parse_rate = rate(STATEMENTS, best_time(parse_only, REPEATS))
    pae_rate = rate(STATEMENTS, best_time(pae_only, REPEATS))
    rows = [
        ("coop.statements.verify (all of it)", full_rate, 1e6 / full_rate, full_rate / raw_rate),
        ("raw pynacl VerifyKey.verify", raw_rate, 1e6 / raw_rate, 1.0),
        ("  part: envelope parse + JCS re-encode check", parse_rate, 1e6 / parse_rate, ""),
        ("  part: body JCS encode + DSSE PAE", pae_rate, 1e6 / pae_rate, ""),
    ]
    print(table(["what", "statements/s", "us each", "vs raw"], rows))
    print(f"verify/raw ratio: {full_rate / raw_rate:.2f} (statements.verify runs at {full_rate / raw_rate:.0%} of the raw ed25519 rate)")
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
