"""A member's own keys, from the machine the member uses: join, add a device, revoke a key, recover from the sheet.

Each verb signs with keys held on this machine only (its key store, encrypted
under the member's passphrase) and sends the statement to the co-op: to the node
in this home when it has one (`Local`), else over HTTP (`Remote`). The node sees
public keys and signatures, never a private key. A new key is saved here only
once the record that lists it has landed, so a refusal leaves nothing behind.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests

from api import recovery
from api.sdk import Client
from api.usecases import members
from coop import authors, invitations, statements
from coop.errors import ApiError, BadInput, Conflict, Forbidden, NotFound
from coop.ids import check_id
from coop.keys import KeyPair, KeyStore, Kid, PublicKey
from coop.members import MEMBER_TYPE, claim_fields, record_sha, rekeyed_fields
from coop.node import Node, Receipt
from coop.statements import KeyRecord

RECOVERY_LABEL = "paper"
T = TypeVar("T")


@dataclass(frozen=True)
class Record:
    """A member's record as stored, with the hash an update names as `previous`."""

    body: Mapping[str, Any]
    sha256: str

    @property
    def keys(self) -> list[KeyRecord]:
        """Return the keys the record lists, revoked ones included."""
        return [KeyRecord.from_dict(k) for k in self.body["keys"]]


class Reach(Protocol):
    """The co-op's node as a member's machine reaches it: in this home, or over HTTP."""

    @property
    def origin(self) -> str:
        """Return the co-op's log origin, which every statement names."""

    def now(self) -> str:
        """Return the time to date a statement with."""

    def record(self, handle: str) -> Record | None:
        """Return a member's current record, or None when there is no such member."""

    def last_seq(self, author: str) -> int:
        """Return the last sequence number an author used (0 for none yet)."""

    def invitation(self, handle: str) -> members.Invitation:
        """Return a handle's invitation and where it stands."""

    def submit(self, raw: bytes) -> Receipt:
        """Send a signed member record to the node and return where it landed."""


class Local:
    """The node in this home."""

    def __init__(self, node: Node) -> None:
        self.node = node

    @property
    def origin(self) -> str:
        """Return the co-op's log origin."""
        return self.node.origin

    def now(self) -> str:
        """Return the node's clock."""
        return self.node.clock()

    def record(self, handle: str) -> Record | None:
        """Return a member's record from the repository."""
        view = self.node.view()
        body, sha = view.member(handle), record_sha(view, handle)
        return Record(body, sha) if body is not None and sha is not None else None

    def last_seq(self, author: str) -> int:
        """Return an author's last sequence number from the repository."""
        return self.node.view().last_seq(author)

    def invitation(self, handle: str) -> members.Invitation:
        """Return a handle's invitation from the repository."""
        return members.invitation(self.node.view(), handle, self.node.clock())

    def submit(self, raw: bytes) -> Receipt:
        """Commit the record, then delete any key of the member's this node holds that it now revokes."""
        receipt = self.node.submit_one(raw)
        members.forget_revoked_keys(self.node, [raw])
        return receipt


class Remote:
    """A node over its HTTP API (api/sdk.py)."""

    def __init__(self, url: str, client: Client | None = None) -> None:
        self.client = client or Client(url)

    @property
    def origin(self) -> str:
        """Return the co-op's log origin, as the node says."""
        return self._asking(lambda: self.client.origin)

    def now(self) -> str:
        """Return this machine's clock (the node refuses a statement dated minutes ahead of its own)."""
        return statements.now()

    def record(self, handle: str) -> Record | None:
        """Return a member's record as the node stores it, byte for byte."""
        raw = self._found(lambda: self.client.get_bytes(f"/api/v1/statements/{authors.member_path(handle)}"))
        return None if raw is None else Record(statements.parse(raw)[0], hashlib.sha256(raw).hexdigest())

    def last_seq(self, author: str) -> int:
        """Return an author's last sequence number, as the node says (0 for a member-to-be, who has no record yet)."""
        found = self._found(lambda: self.client.get(f"/api/v1/authors/{check_id(author, 'author')}/seq"))
        return 0 if found is None else int(found["seq"])

    def invitation(self, handle: str) -> members.Invitation:
        """Return a handle's invitation, as the node says."""
        got = self._asking(lambda: self.client.get(f"/api/v1/invitations/{check_id(handle, 'handle')}"))
        return members.Invitation(got["handle"], _tuple(got["roles"]), _tuple(got["skills"]), got["expires"], got["inviter"],
                                  got["move"], got["state"])

    def submit(self, raw: bytes) -> Receipt:
        """Post the record to the node's members route."""
        got = self._asking(lambda: self.client.post(raw, "/api/v1/members"))
        return Receipt(got["path"], got["commit"], got["sha256"], got["created"])

    def _found(self, call: Callable[[], T]) -> T | None:
        """Ask the node for something that may not exist: None when it answers 404."""
        try:
            return self._asking(call)
        except ApiError as e:
            if e.status == NotFound.status:
                return None
            raise

    def _asking(self, call: Callable[[], T]) -> T:
        """Ask the node, saying plainly when no node answers at its address."""
        try:
            return call()
        except requests.RequestException as e:
            raise BadInput(f"no Coop node answers at {self.client.url} ({type(e).__name__}): check the address") from e


def _tuple(items: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if items is None else tuple(items)


@dataclass(frozen=True)
class Joined:
    """A claimed invitation: the device key kept on this machine, and the recovery key to write down now (never kept)."""

    handle: str
    device: Kid
    recovery: KeyPair
    move: bool
    receipt: Receipt


def join(reach: Reach, keys: KeyStore, handle: str, code: str, label: str) -> Joined:
    """Claim an invitation from this machine: make a device key and a recovery key, sign the claim with the device key.

    For a move, the claim revokes every key the member had (the node deletes its copy).
    """
    _check_none_here(keys, handle)
    invited = reach.invitation(handle)
    if invited.state != "pending":
        raise Forbidden(invitations.why_not_pending(invited.state, invited.expires))
    device, spare = KeyPair.generate(handle), KeyPair.generate(handle)
    current = reach.record(handle) if invited.move else None
    if invited.move and current is None:
        raise NotFound(f"no member {handle!r} to move to a key of their own")
    fields = claim_fields({"handle": handle, "roles": invited.roles or (), "skills": invited.skills or ()}, code,
                          KeyRecord(device.public, label=label), KeyRecord(spare.public, label=RECOVERY_LABEL, recovery=True),
                          current.body if current else None, current.sha256 if current else None, reach.last_seq(handle))
    receipt = reach.submit(_sign(reach, device, fields))
    keys.save(device)
    return Joined(handle, device.kid, spare, invited.move, receipt)


def add_key(reach: Reach, keys: KeyStore, handle: str, public: PublicKey, label: str) -> Receipt:
    """Add another device's key to a member's record, signed by the member's key on this machine."""
    return _rekey(reach, keys.unlock(handle), [KeyRecord(public, label=label)], ())


@dataclass(frozen=True)
class Revoked:
    """A key revoked from the record's statement on, and whose key on this machine signed that."""

    handle: str
    kid: Kid
    receipt: Receipt


def revoke(reach: Reach, keys: KeyStore, kid: Kid) -> Revoked:
    """Revoke a key of the member whose key this machine holds, signed by that key: it signs nothing from then on."""
    handle = _owner_here(reach, keys, kid)
    signer = keys.unlock(handle)
    if signer.kid == kid:
        raise Forbidden(f"key {kid} is the key of {handle!r} on this machine, which cannot revoke itself: revoke it from "
                        f"another device of {handle!r}, or take over with the recovery words (coop keys recover {handle})")
    return Revoked(handle, kid, _rekey(reach, signer, [], {kid}))


@dataclass(frozen=True)
class Recovered:
    """A new device key made from the recovery sheet, and the keys it revoked."""

    handle: str
    device: Kid
    revoked: tuple[Kid, ...]
    receipt: Receipt


def recover(reach: Reach, keys: KeyStore, handle: str, words: str, label: str, lost: Collection[Kid] = ()) -> Recovered:
    """On a new machine, sign with the recovery key the record that adds a new device key and revokes the lost ones.

    Without `lost`, every other device key is revoked: whoever found the lost phone
    cannot sign with it from then on.
    """
    _check_none_here(keys, handle)
    spare = recovery.key_of(handle, words)
    current = reach.record(handle)
    if current is None:
        raise NotFound(f"no member {handle!r}")
    mine = {k.kid: k for k in current.keys}
    if spare.kid not in mine or not mine[spare.kid].recovery:
        raise BadInput(f"these words are not the recovery key of {handle!r}: check the handle, and each word on the sheet")
    targets = set(lost) or {k.kid for k in current.keys if not k.recovery and k.revoked_after is None}
    device = KeyPair.generate(handle)
    receipt = _rekey(reach, spare, [KeyRecord(device.public, label=label)], targets, current)
    keys.save(device)
    return Recovered(handle, device.kid, tuple(sorted(targets)), receipt)


def _rekey(reach: Reach, signer: KeyPair, add: Sequence[KeyRecord], revoke_kids: Collection[Kid],
           current: Record | None = None) -> Receipt:
    """Sign and send the signer's record with keys added and revoked."""
    record = current or reach.record(signer.handle)
    if record is None:
        raise NotFound(f"no member {signer.handle!r}")
    fields = rekeyed_fields(record.body, record.sha256, add, revoke_kids, reach.last_seq(signer.handle))
    return reach.submit(_sign(reach, signer, fields))


def _sign(reach: Reach, pair: KeyPair, fields: Mapping[str, Any]) -> bytes:
    """Sign a member record as the key's holder, with their next sequence number."""
    body = statements.make_body(MEMBER_TYPE, reach.origin, pair.handle, reach.last_seq(pair.handle) + 1, fields, reach.now())
    return statements.sign(body, [pair])


def _owner_here(reach: Reach, keys: KeyStore, kid: Kid) -> str:
    """Return the member whose key this machine holds and whose record lists the key."""
    for handle in keys.identities():
        record = reach.record(handle)
        if record is not None and any(k.kid == kid for k in record.keys):
            return handle
    raise NotFound(f"no member whose key this machine holds has a key {kid} (`coop keys list` shows them)")


def _check_none_here(keys: KeyStore, handle: str) -> None:
    """Refuse to make a second key of a member on this machine (it keeps one per member)."""
    if keys.has(handle):
        raise Conflict(f"this machine holds a key of {handle!r} already ({keys.directory}): use another --home for a new one")
