"""Signatures between a node and its apps: the node signs each delivery; an app signs its private requests.

    Coop-Signature: t=<unix seconds>,kid=<key id>,sig=<base64 ed25519 signature>

A delivery's signature covers the bytes `<t>.` followed by the exact request
body, so a body cannot be moved to another time, and a receiver refuses
deliveries whose time is too far from its own clock (a replayed delivery).

    Coop-Request-Signature: t=<unix seconds>,nonce=<random>,kid=<key id>,sig=<base64 ed25519 signature>

An app's request for what only the app may see or set (its delivery log, its
webhook URL) is signed by one of the app's keys over the co-op's origin, the
node's name, the method, the path with its query, the time, the nonce and the
body's SHA-256 (`request_message`). The node refuses it when it is stale or its
nonce was seen before, so a request cannot be replayed or sent to another node.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable

from coop.errors import BadInput, BadSignature
from coop.keys import KeyPair, PublicKey, b64, unb64

HEADER = "Coop-Signature"
REQUEST_HEADER = "Coop-Request-Signature"
REQUEST_CONTEXT = "coop-request/v1"
TOLERANCE = 300
MAX_NONCE = 64


def message(timestamp: int, body: bytes) -> bytes:
    """Return the bytes a delivery's signature covers."""
    return f"{timestamp}.".encode("ascii") + body


def sign(pair: KeyPair, body: bytes, timestamp: int | None = None) -> str:
    """Return the signature header value for a body, signed now (or at the given time)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},kid={pair.kid},sig={b64(pair.sign(message(moment, body)))}"


def parse(header: str, name: str = HEADER, names: tuple[str, ...] = ("t", "kid", "sig")) -> dict[str, str]:
    """Split a signature header into its fields, refusing any other shape (time digits, signature base64)."""
    shape = f"{name} is {','.join(f'{n}=<{n}>' for n in names)}"
    fields: dict[str, str] = {}
    for part in header.split(","):
        field, sep, value = part.strip().partition("=")
        if not sep or field in fields:
            raise BadInput(shape)
        fields[field] = value
    if set(fields) != set(names) or not fields["t"].isdigit() or len(fields["t"]) > 12:
        raise BadInput(shape)
    unb64(fields["sig"], f"{name} signature", 64)
    return fields


def check(fields: dict[str, str], signed: bytes, keys: Iterable[PublicKey], whose: str, tolerance: int, now: float) -> int:
    """Check a parsed signature by one of the keys over the signed bytes, and its freshness; return its time."""
    key = next((k for k in keys if k.kid == fields["kid"]), None)
    if key is None:
        raise BadSignature(f"signed by key {fields['kid']!r}, which is not a key of {whose}")
    key.verify(signed, unb64(fields["sig"], "signature", 64))
    timestamp = int(fields["t"])
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"signed at {timestamp}, more than {tolerance} s from now: a replay?")
    return timestamp


def verify(header: str | None, body: bytes, keys: Iterable[PublicKey], tolerance: int = TOLERANCE, now: float | None = None) -> int:
    """Check a delivery's signature by one of the node keys and its freshness; return its time."""
    if not header:
        raise BadSignature(f"the delivery carries no {HEADER} header")
    fields = parse(header)
    return check(fields, message(int(fields["t"]), body), keys, "the node", tolerance, time.time() if now is None else now)


# -- an app's signed requests --------------------------------------------------------------

def request_message(origin: str, node: str, method: str, target: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """Return the bytes an app's request signature covers: where it goes, what it asks, when, and its body."""
    return "\n".join([REQUEST_CONTEXT, origin, node, method.upper(), target, str(timestamp), nonce,
                      hashlib.sha256(body).hexdigest()]).encode("utf-8")


def sign_request(pair: KeyPair, origin: str, node: str, method: str, target: str, body: bytes = b"",
                 timestamp: int | None = None) -> str:
    """Return the request signature header value for a request by an app, signed now (or at the given time)."""
    moment = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_urlsafe(16)
    signature = pair.sign(request_message(origin, node, method, target, moment, nonce, body))
    return f"t={moment},nonce={nonce},kid={pair.kid},sig={b64(signature)}"


class Nonces:
    """The nonces of signed requests seen within the tolerance: a request is taken once."""

    def __init__(self, tolerance: int = TOLERANCE) -> None:
        self.tolerance = tolerance
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def take(self, kid: str, nonce: str, timestamp: int, now: float) -> None:
        """Record a request's nonce, or refuse one already taken (a replay)."""
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if abs(now - t) <= self.tolerance}
            if (kid, nonce) in self._seen:
                raise BadSignature("this signed request was already made: sign each request anew")
            self._seen[(kid, nonce)] = timestamp


def verify_request(header: str | None, origin: str, node: str, method: str, target: str, body: bytes,
                   keys: Iterable[PublicKey], whose: str, nonces: Nonces, now: float | None = None) -> int:
    """Check an app's request signature by one of its keys, its freshness and its nonce; return its time."""
    if not header:
        raise BadSignature(f"only {whose} may make this request: sign it with {REQUEST_HEADER} (api/sdk.py does)")
    fields = parse(header, REQUEST_HEADER, ("t", "nonce", "kid", "sig"))
    if not 0 < len(fields["nonce"]) <= MAX_NONCE:
        raise BadInput(f"the nonce of {REQUEST_HEADER} has 1 to {MAX_NONCE} characters")
    moment = time.time() if now is None else now
    signed = request_message(origin, node, method, target, int(fields["t"]), fields["nonce"], body)
    timestamp = check(fields, signed, keys, whose, nonces.tolerance, moment)
    nonces.take(fields["kid"], fields["nonce"], timestamp, moment)
    return timestamp
