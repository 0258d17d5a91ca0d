"""The webhook signature: how a node signs a delivery and how a receiver checks it.

    Coop-Signature: t=<unix seconds>,kid=<key id>,sig=<base64 ed25519 signature>

The signature covers the bytes `<t>.` followed by the exact request body, so a
body cannot be moved to another time, and a receiver refuses deliveries whose
time is too far from its own clock (a replayed delivery).
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from coop.errors import BadInput, BadSignature
from coop.keys import KeyPair, PublicKey, b64, unb64

HEADER = "Coop-Signature"
TOLERANCE = 300


def message(timestamp: int, body: bytes) -> bytes:
    """Return the bytes a delivery's signature covers."""
    return f"{timestamp}.".encode("ascii") + body


def sign(pair: KeyPair, body: bytes, timestamp: int | None = None) -> str:
    """Return the signature header value for a body, signed now (or at the given time)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},kid={pair.kid},sig={b64(pair.sign(message(moment, body)))}"


def parse(header: str) -> tuple[int, str, bytes]:
    """Split a signature header into time, key id and signature, refusing any other shape."""
    fields: dict[str, str] = {}
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name in fields:
            raise BadInput(f"{HEADER} is t=<time>,kid=<key id>,sig=<signature>")
        fields[name] = value
    if set(fields) != {"t", "kid", "sig"} or not fields["t"].isdigit() or len(fields["t"]) > 12:
        raise BadInput(f"{HEADER} is t=<time>,kid=<key id>,sig=<signature>")
    return int(fields["t"]), fields["kid"], unb64(fields["sig"], "webhook signature", 64)


def verify(header: str | None, body: bytes, keys: Iterable[PublicKey], tolerance: int = TOLERANCE, now: float | None = None) -> int:
    """Check a delivery's signature by one of the node keys and its freshness; return its time."""
    if not header:
        raise BadSignature(f"the delivery carries no {HEADER} header")
    timestamp, kid, signature = parse(header)
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise BadSignature(f"the delivery is signed by key {kid!r}, which is not a key of the node")
    key.verify(message(timestamp, body), signature)
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise BadSignature(f"the delivery was signed at {timestamp}, more than {tolerance} s from now: a replay?")
    return timestamp
