"""Signed statements: the envelope every change to the co-op travels in.

The envelope is `{"body": {...}, "sigs": [{"kid": ..., "sig": ...}]}` in canonical
JSON. The signature covers DSSE PAE(type, JCS(body)), so a signature made for one
kind of statement can never be replayed as another, and the body names the co-op
(its log origin), the author and the author's next sequence number.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from coop import canonical
from coop.errors import BadInput, BadSignature, Forbidden, IntegrityError, SequenceUsed
from coop.ids import check_id
from coop.keys import KeyPair, Kid, PublicKey, b64, unb64

TYPE_PREFIX = "coop."
COMMON_FIELDS = ("type", "coop", "author", "seq", "created")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_SKEW = timedelta(minutes=5)


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return DSSE's pre-authentication encoding of a typed payload."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def now() -> str:
    """Return the current UTC time as the statements write it (informational only)."""
    return datetime.now(UTC).strftime(TIME_FORMAT)


def parse_time(text: object) -> datetime:
    """Parse a statement time (UTC, whole seconds, e.g. 2026-11-23T18:00:00Z), refusing any other form.

    strptime alone lets through a lower-case `t` or `z` and non-ASCII digits, so a
    time is accepted only if formatting it again gives exactly the same text.
    """
    try:
        if not isinstance(text, str) or len(text) != 20:
            raise ValueError
        moment = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as e:
        raise BadInput(f"time {text!r} must look like 2026-11-23T18:00:00Z") from e
    if format_time(moment) != text:
        raise BadInput(f"time {text!r} must be exactly YYYY-MM-DDTHH:MM:SSZ (upper-case T and Z, ASCII digits)")
    return moment


def format_time(moment: datetime) -> str:
    """Return a time as statements write it (the year always in four digits, which strftime does not promise)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def check_not_future(statement: Statement, now: str) -> None:
    """Refuse a statement dated more than a few minutes after the node's clock."""
    if parse_time(statement.body["created"]) > parse_time(now) + MAX_SKEW:
        raise BadInput(f"statement is dated {statement.body['created']}, in the future (the node's clock says {now})")


MAX_KEY_LABEL = 40


@dataclass(frozen=True)
class KeyRecord:
    """A public key as listed in an author's record, with the point after which it is revoked.

    A member names each device key ("phone", "laptop") and holds one recovery key,
    kept on paper, that may only add and revoke keys (coop/accept.py refuses it
    anything else).
    """

    public: PublicKey
    revoked_after: int | None = None
    label: str | None = None
    recovery: bool = False

    @property
    def kid(self) -> Kid:
        """Return the key id."""
        return self.public.kid

    def valid_at(self, seq: int) -> bool:
        """Tell whether the key may sign the author's statement with this sequence number."""
        return self.revoked_after is None or seq <= self.revoked_after

    def to_dict(self) -> dict[str, Any]:
        """Return the record form stored in member files (a key written before labels has none)."""
        out: dict[str, Any] = {"kid": self.kid, "public": self.public.to_b64()}
        if self.label is not None:
            out["label"] = self.label
        if self.recovery:
            out["recovery"] = True
        if self.revoked_after is not None:
            out["revoked_after"] = self.revoked_after
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyRecord:
        """Parse a stored key entry, checking its kid matches its key."""
        unknown = set(data) - {"kid", "public", "label", "recovery", "revoked_after"}
        if unknown:
            raise BadInput(f"a key entry has no field {sorted(unknown)[0]!r}")
        public = PublicKey.from_b64(data.get("public"))
        if data.get("kid") != public.kid:
            raise BadInput("key id does not match its public key")
        revoked = data.get("revoked_after")
        if revoked is not None and (not isinstance(revoked, int) or isinstance(revoked, bool) or revoked < 0):
            raise BadInput("revoked_after must be a non-negative integer")
        label = data.get("label")
        if label is not None and (not isinstance(label, str) or not 0 < len(label) <= MAX_KEY_LABEL
                                  or not label.isprintable() or label != label.strip()):
            raise BadInput(f"a key's label is a short name such as 'phone': 1 to {MAX_KEY_LABEL} printable characters")
        if data.get("recovery", True) is not True:
            raise BadInput("a recovery key says recovery: true; other keys leave it out")
        return cls(public, revoked, label, "recovery" in data)


KeyLookup = Callable[[str], Iterable[KeyRecord]]


@dataclass(frozen=True)
class Statement:
    """A parsed, signature-checked statement; `raw` are the exact bytes stored and hashed."""

    raw: bytes
    body: Mapping[str, Any]
    signers: tuple[Kid, ...]

    @property
    def type(self) -> str:
        """Return the statement type, e.g. `coop.vote/v1`."""
        return cast(str, self.body["type"])

    @property
    def author(self) -> str:
        """Return the handle of the author."""
        return cast(str, self.body["author"])

    @property
    def seq(self) -> int:
        """Return the author's sequence number of this statement."""
        return cast(int, self.body["seq"])

    @property
    def sha256(self) -> str:
        """Return the hex sha256 of the stored bytes: the statement's content hash."""
        return hashlib.sha256(self.raw).hexdigest()


def make_body(kind: str, origin: str, author: str, seq: int, fields: Mapping[str, Any], created: str | None = None) -> dict[str, Any]:
    """Return a statement body with the common fields filled in."""
    clash = set(fields) & set(COMMON_FIELDS)
    if clash:
        raise ValueError(f"fields {sorted(clash)} are set by make_body")
    return {"type": kind, "coop": origin, "author": author, "seq": seq, "created": created or now(), **fields}


def sign(body: Mapping[str, Any], pairs: Iterable[KeyPair]) -> bytes:
    """Sign a body with one or more keys and return the canonical envelope bytes."""
    _check_common(body)
    message = pae(body["type"], canonical.encode(dict(body)))
    sigs = [{"kid": pair.kid, "sig": b64(pair.sign(message))} for pair in pairs]
    if not sigs:
        raise ValueError("a statement needs at least one signature")
    return canonical.encode({"body": dict(body), "sigs": sigs})


def parse(raw: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Split envelope bytes into body and signature list, refusing any other shape."""
    value = canonical.decode(raw)
    if not isinstance(value, dict) or set(value) != {"body", "sigs"}:
        raise BadInput("a statement is an object with exactly 'body' and 'sigs'")
    body, sigs = value["body"], value["sigs"]
    if not isinstance(body, dict):
        raise BadInput("statement body must be an object")
    if not isinstance(sigs, list) or not sigs:
        raise BadSignature("statement carries no signature")
    for entry in sigs:
        if not isinstance(entry, dict) or set(entry) != {"kid", "sig"}:
            raise BadSignature("each signature is an object with exactly 'kid' and 'sig'")
    _check_common(body)
    return body, sigs


def verify(raw: bytes, *, origin: str, keys: KeyLookup, expected_type: str | None = None) -> Statement:
    """Parse and check a statement: shape, type, origin and every signature by a valid key."""
    body, sigs = parse(raw)
    return verify_parsed(raw, body, sigs, origin=origin, keys=keys, expected_type=expected_type)


def verify_parsed(raw: bytes, body: dict[str, Any], sigs: list[dict[str, Any]], *, origin: str, keys: KeyLookup,
                  expected_type: str | None = None) -> Statement:
    """Check a statement `parse` already split: type, origin and every signature by a valid key."""
    if expected_type is not None and body["type"] != expected_type:
        raise BadInput(f"expected a {expected_type} statement, got {body['type']}")
    if body["coop"] != origin:
        raise BadSignature(f"statement is for co-op {body['coop']!r}, not {origin!r}")
    known = {record.kid: record for record in keys(body["author"])}
    if not known:
        raise BadSignature(f"author {body['author']!r} has no registered key")
    message = pae(body["type"], body_bytes(raw))
    signers: list[Kid] = []
    for entry in sigs:
        kid = entry["kid"]
        record = known.get(kid) if isinstance(kid, str) else None
        if record is None:
            raise BadSignature(f"signature by key {kid!r}, which is not a key of {body['author']!r}")
        if not record.valid_at(body["seq"]):
            raise Forbidden(
                f"key {kid} of {body['author']!r} was revoked after statement {record.revoked_after}; "
                f"it cannot sign statement {body['seq']}"
            )
        if kid in signers:
            raise BadSignature(f"key {kid} signs twice")
        record.public.verify(message, unb64(entry["sig"], "signature"))
        signers.append(kid)
    return Statement(raw, body, tuple(signers))


def stored_body(raw: bytes) -> dict[str, Any]:
    """Return the body of a statement read back from the repository, where it was verified on the way in.

    Reading state must be fast and must not trust blindly either: a file that is
    not an envelope at all is reported as tampering (the full audit says which).
    """
    try:
        body = json.loads(raw)["body"]
    except (ValueError, KeyError, TypeError) as e:
        raise IntegrityError(f"a stored statement is not a statement envelope: {e}") from e
    if not isinstance(body, dict):
        raise IntegrityError("a stored statement's body is not an object")
    return body


def body_bytes(raw: bytes) -> bytes:
    """Return JCS(body) as it stands inside canonical envelope bytes, without encoding it again.

    The envelope's keys sort as "body" then "sigs", so raw is `{"body":` JCS(body)
    `,"sigs":` JCS(sigs) `}`; quotes inside strings are escaped, and nested "sigs"
    keys come earlier, so the last `,"sigs":[` is the envelope's own.
    """
    return raw[len(b'{"body":'):raw.rindex(b',"sigs":[')]


def check_sequence(statement: Statement, last_seq: int) -> None:
    """Refuse a statement whose sequence number is not exactly the author's next one."""
    expected = last_seq + 1
    if statement.seq < expected:
        raise SequenceUsed(
            f"{statement.author!r} already used sequence number {statement.seq} "
            f"(the next one is {expected}): a replayed or re-signed statement"
        )
    if statement.seq > expected:
        raise BadInput(f"{statement.author!r} skipped sequence numbers: got {statement.seq}, expected {expected}")


def _check_common(body: Mapping[str, Any]) -> None:
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.startswith(TYPE_PREFIX) or len(kind) > 64:
        raise BadInput(f"statement type must be a string starting with {TYPE_PREFIX!r}")
    if not isinstance(body.get("coop"), str) or not body["coop"]:
        raise BadInput("statement must name its co-op origin in 'coop'")
    check_id(body.get("author"), "author")
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadInput("statement 'seq' must be a positive integer")
    parse_time(body.get("created"))
