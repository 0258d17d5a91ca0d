"""Bringing people in: invite a member-to-be (or a member to move to a key of their own), list and cancel invitations.

The node signs invitations as the inviter and never makes the new member's key:
that is made on their own device, which claims the invitation with it
(coop/invitations.py). The code travels outside the repository, as a link or read
out over a call; only its hash is stored. Once a member's record revokes a key
this node still holds for them (a move), the node deletes that key.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from coop import invitations, statements
from coop.errors import BadInput, NotFound
from coop.ids import check_id, normalise_handle
from coop.keys import KeyPair, PublicKey
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node, Receipt
from coop.statements import KeyRecord
from coop.view import View
from projects import learners

JOIN_PATH = "/join/"
TOKEN_JOIN = "~"


@dataclass(frozen=True)
class Invited:
    """An invitation as sent: the link and the code to hand over (shown once: the node keeps only its hash)."""

    handle: str
    code: str
    link: str
    expires: str
    receipt: Receipt


def invite(node: Node, author: str | None, handle: str, roles: Sequence[str] | None, skills: Sequence[str], expires_in: int,
           node_url: str) -> Invited:
    """Invite `handle` with roles and skills (roles None: invite an existing member to move to a key of their own)."""
    handle = normalise_handle(handle)
    code = invitations.new_secret()
    expires = statements.format_time(statements.parse_time(node.clock()) + timedelta(seconds=expires_in))
    fields = invitations.invitation_fields(handle, None if roles is None else list(roles), list(skills), code, expires,
                                           _current_sha(node.view(), handle))
    receipt = node.write(invitations.INVITATION_TYPE, fields, author)
    return Invited(handle, code, join_link(node_url, handle, code), expires, receipt)


def cancel(node: Node, author: str | None, handle: str) -> Receipt:
    """Cancel a handle's pending invitation: its link and code open nothing from then on."""
    view = node.view()
    handle = check_id(handle, "handle")
    current = invitations.invitation(view, handle)
    if current is None or invitations.state(view, handle, node.clock()) != "pending":
        raise NotFound(f"no pending invitation of {handle!r} to cancel")
    return node.write(invitations.INVITATION_TYPE, invitations.cancel_fields(current, _current_sha(view, handle) or ""), author)


@dataclass(frozen=True)
class Invitation:
    """An invitation as anyone may see it: whom it invites, to which roles, by whom, until when; never its code."""

    handle: str
    roles: tuple[str, ...] | None  # None for a move: the member keeps their roles and skills
    skills: tuple[str, ...] | None
    expires: str
    inviter: str
    move: bool
    state: str

    @classmethod
    def of(cls, body: Mapping[str, Any], state: str) -> Invitation:
        """Return the public part of an invitation's body, in the state it is in."""
        move = bool(body.get("move"))
        return cls(body["handle"], None if move else tuple(body["roles"]), None if move else tuple(body["skills"]),
                   body["expires"], body["author"], move, state)


def pending(view: View, now: str) -> list[Invitation]:
    """Return the invitations not yet claimed, cancelled or expired."""
    return [Invitation.of(body, "pending") for body in invitations.pending(view, now)]


def invitation(view: View, handle: str, now: str) -> Invitation:
    """Return a handle's invitation and where it stands (pending, claimed, cancelled or expired)."""
    handle = check_id(handle, "handle")
    body = invitations.invitation(view, handle)
    if body is None:
        raise NotFound(f"there is no invitation for {handle!r}: ask whoever invited you for a new link")
    return Invitation.of(body, invitations.state(view, handle, now))


def forget_revoked_keys(node: Node, raws: Sequence[bytes]) -> list[str]:
    """After statements landed, delete the keys this node holds for members whose record now revokes them.

    A moved member's old key signs nothing from the move on; deleting it leaves the
    node holding no key of theirs. Returns the handles whose key was deleted.
    """
    bodies = [statements.parse(raw)[0] for raw in raws]
    handles = {b["handle"] for b in bodies if b["type"] == MEMBER_TYPE and isinstance(b.get("handle"), str)}
    held = sorted(h for h in handles if node.keys.has(h))
    if not held:
        return []
    view = node.view()
    revoked = [h for h in held if (key := held_key(node, view, h)) is not None and key.revoked_after is not None]
    for handle in revoked:
        node.keys.delete(handle)
    return revoked


def held_by_node(node: Node, view: View, handles: Sequence[str]) -> set[str]:
    """Return the members among `handles` whose valid key this node itself holds (whoever runs it can sign as them)."""
    return {h for h in handles if (key := held_key(node, view, h)) is not None and key.revoked_after is None}


def held_key(node: Node, view: View, handle: str) -> KeyRecord | None:
    """Return the entry of a member's record for the key this node holds of theirs, or None when it holds none."""
    if not node.keys.has(handle):
        return None
    kid = node.keys.public(handle).kid
    return next((k for k in view.keys(handle) if k.kid == kid), None)


def registered_key(node: Node, handle: str, public_key: str | None) -> tuple[KeyRecord, KeyPair | None]:
    """Return the key a member added by hand is registered with: the public half of a key they hold.

    Only a demo node (`coop init --demo`, whose people are made up) may make and
    hold the key itself; it returns that key pair to be saved once the record landed.
    """
    if public_key:
        return KeyRecord(PublicKey.from_b64(public_key)), None
    if not node.config["demo"]:
        raise BadInput(f"this node makes no member's key: invite them with `coop member invite {handle}` (they make their key "
                       "on their own device), or pass --public-key with the public half of a key they hold")
    pair = node.keys.unlock(handle) if node.keys.has(handle) else KeyPair.generate(handle)
    return KeyRecord(pair.public), pair


def add_learner(node: Node, author: str | None, handle: str, track: str, skills: Sequence[str], public_key: str | None) -> Receipt:
    """Give a learner their track: a member already (joined by invitation), or added here with their own key, in one commit."""
    handle = normalise_handle(handle)
    profile = {"handle": handle, "track": track, "mentor": None, "joined_via": "cli"}
    if node.view().member(handle) is not None:
        return node.write(learners.LEARNER_TYPE, profile, author)
    key, pair = registered_key(node, handle, public_key)
    receipts = node.write_batch(lambda view, sign: [sign(MEMBER_TYPE, member_fields(handle, ["learner"], list(skills), [key])),
                                                    sign(learners.LEARNER_TYPE, profile)], author)
    if pair is not None and not node.keys.has(handle):
        node.keys.save(pair)  # a demo node's made-up learner: only once the record landed
    return receipts[-1]


def check_node_url(text: str) -> str:
    """Return a node's base URL without its trailing slash, or say what a node's address looks like."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadInput(f"a node's address looks like https://coop.example or http://127.0.0.1:8000, not {text!r}")
    return text.strip().rstrip("/")


def join_link(node_url: str, handle: str, code: str) -> str:
    """Return the link that opens the join page for an invitation: `<node URL>/join/<handle>~<code>`."""
    return f"{node_url.rstrip('/')}{JOIN_PATH}{handle}{TOKEN_JOIN}{invitations.normalise_secret(code)}"


def parse_join_link(link: str) -> tuple[str, str, str]:
    """Return the node URL, handle and code a join link names, or say plainly what is wrong with it."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or JOIN_PATH not in parts.path:
        raise BadInput("a join link looks like https://coop.example/join/hana~7K2M-QX9P-4RTD-8HWA")
    prefix, _, token = parts.path.rpartition(JOIN_PATH)
    handle, joined, code = token.partition(TOKEN_JOIN)
    if not joined:
        raise BadInput("the join link is cut short: copy all of it, up to the last group of the code")
    return f"{parts.scheme}://{parts.netloc}{prefix}", check_id(handle, "handle"), invitations.normalise_secret(code)


def _current_sha(view: View, handle: str) -> str | None:
    raw = view.read(invitations.invitation_path(handle))
    return hashlib.sha256(raw).hexdigest() if raw is not None else None
