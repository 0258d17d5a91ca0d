"""Invitations: how a member-to-be joins with a key made on their own device, never on the node.

Whoever may add a member (the founder anyone, a member or an allowed app a
learner) signs an invitation: the handle, the roles and skills it will have, an
expiry, and only the SHA-256 of a one-time secret. The secret travels to the new
member outside the repository, as a link or as a code read out over a call. On
their device they make a key and sign their first member record with it; the
record carries the secret, which proves they were the one invited, and brings the
new key, which no record listed before (coop/accept.py lets a claim be signed by
the key it brings, and `check_claim` refuses it unless the secret matches).

The same claim moves an existing member off a key the node holds: a *move*
invitation names a member who already has a record, and the claim replaces the
record's keys with the device's, revoking the old ones from that statement on.

An invitation works once: the claim leaves `invitations/<handle>.claimed.json`
naming the secret's hash, and a second claim with that secret is refused. The
inviter (or the founder) cancels an invitation by signing it again with
`cancelled: true`. The secret is revealed in the claim, which is public from then
on; by then it opens nothing.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from coop import authors, canonical, statements
from coop.errors import BadInput, Conflict, Forbidden, NotFound
from coop.ids import check_id, check_new_handle
from coop.roles import check_roles, check_skills, may_add
from coop.statements import KeyRecord, Statement
from coop.view import View

INVITATION_TYPE = "coop.invitation/v1"
DIRECTORY = "invitations"
MAX_LIFETIME = timedelta(days=30)
SECRET_BYTES = 10  # 80 bits: 16 characters to read out, beyond guessing even with the hash public
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread
GROUP = 4
FIELDS = {"handle", "roles", "skills", "move", "secret_sha256", "expires", "previous", "cancelled"}


def invitation_path(handle: str) -> str:
    """Return where the invitation of a handle lives (one at a time per handle: a new one replaces the old)."""
    return f"{DIRECTORY}/{check_id(handle, 'handle')}.json"


def claimed_path(handle: str) -> str:
    """Return where the claim of a handle's invitation is marked."""
    return f"{DIRECTORY}/{check_id(handle, 'handle')}.claimed.json"


def new_secret() -> str:
    """Return a fresh secret as the code a person reads out: 16 characters in groups of four."""
    value = int.from_bytes(secrets.token_bytes(SECRET_BYTES), "big")
    digits = "".join(ALPHABET[(value >> shift) & 31] for shift in range(5 * (2 * SECRET_BYTES * 8 // 10 - 1), -1, -5))
    return "-".join(digits[i:i + GROUP] for i in range(0, len(digits), GROUP))


def normalise_secret(text: str) -> str:
    """Return a secret as typed (any case, with or without dashes or spaces, O for 0, I or L for 1) in its one form."""
    plain = text.upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    if len(plain) != 2 * SECRET_BYTES * 8 // 10 or any(c not in ALPHABET for c in plain):
        raise BadInput("an invitation code is 16 letters and digits, such as 7K2M-QX9P-4RTD-8HWA")
    return "-".join(plain[i:i + GROUP] for i in range(0, len(plain), GROUP))


def secret_sha256(secret: str) -> str:
    """Return the hash an invitation keeps of its secret."""
    return hashlib.sha256(normalise_secret(secret).encode("ascii")).hexdigest()


def invitation_fields(handle: str, roles: list[str] | None, skills: list[str] | None, secret: str, expires: str,
                      previous: str | None) -> dict[str, Any]:
    """Return the fields of an invitation for a new member (roles and skills) or a move (both None)."""
    fields: dict[str, Any] = {"handle": handle, "secret_sha256": secret_sha256(secret), "expires": expires, "previous": previous}
    if roles is None:
        fields["move"] = True
    else:
        fields.update(roles=sorted(roles), skills=sorted(set(skills or [])))
    return fields


def cancel_fields(current: Mapping[str, Any], previous: str) -> dict[str, Any]:
    """Return the fields that cancel an invitation: the same invitation, marked cancelled."""
    kept = {k: v for k, v in current.items() if k not in statements.COMMON_FIELDS and k != "previous"}
    return {**kept, "previous": previous, "cancelled": True}


def invitation(view: View, handle: str) -> Mapping[str, Any] | None:
    """Return the current invitation of a handle, or None."""
    return view.body(invitation_path(handle))


def state(view: View, handle: str, now: str) -> str:
    """Say where a handle's invitation stands: pending, claimed, cancelled, expired or none."""
    current = invitation(view, handle)
    if current is None:
        return "none"
    marker = view.read(claimed_path(handle))
    if marker is not None and canonical.decode(marker).get("secret_sha256") == current["secret_sha256"]:
        return "claimed"
    if current.get("cancelled"):
        return "cancelled"
    if statements.parse_time(now) > statements.parse_time(current["expires"]):
        return "expired"
    return "pending"


def pending(view: View, now: str) -> list[Mapping[str, Any]]:
    """Return every invitation not yet claimed, cancelled or expired, by handle."""
    handles = sorted(name.removesuffix(".json") for name in view.list(DIRECTORY) if name.endswith(".json") and ".claimed" not in name)
    return [body for handle in handles if state(view, handle, now) == "pending" and (body := invitation(view, handle)) is not None]


def why_not_pending(standing: str, expires: str) -> str:
    """Say why an invitation that is claimed, cancelled or expired (at `expires`) opens nothing."""
    return {"claimed": "this invitation was used already: each link works once",
            "cancelled": "this invitation was cancelled: ask for a new one",
            "expired": f"this invitation expired at {expires}: ask for a new one"}[standing]


def check_invitation(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Enforce who may invite whom (as who may add whom, coop/roles.py), for how long, and that a new invitation replaces the old one knowingly."""
    body = statement.body
    unknown = set(body) - FIELDS - set(statements.COMMON_FIELDS)
    if unknown:
        raise BadInput(f"an invitation has no field {sorted(unknown)[0]!r}")
    handle = check_id(body.get("handle"), "handle")
    digest = body.get("secret_sha256")
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BadInput("secret_sha256 is the hex SHA-256 of the invitation code")
    now = statements.parse_time(view.clock(statement))
    expires = statements.parse_time(body.get("expires"))
    _check_replaces(view, handle, body.get("previous"))
    current = invitation(view, handle)
    if body.get("cancelled", False) is not False:
        return _check_cancel(statement, view, current)
    if not now < expires <= now + MAX_LIFETIME:
        raise BadInput(f"an invitation expires after now and within {MAX_LIFETIME.days} days")
    if body.get("move", False) is not False:
        if body["move"] is not True or "roles" in body or "skills" in body:
            raise BadInput("a move invitation says move: true and names no roles or skills (the member keeps theirs)")
        if view.member(handle) is None:
            raise NotFound(f"no member {handle!r} to move to a key of their own")
        if statement.author != handle and "founder" not in view.roles(statement.author):
            raise Forbidden(f"only {handle!r} or the founder may invite {handle!r} to move to a new key")
        return {}
    roles = check_roles(body.get("roles"))
    check_skills(body.get("skills"))
    check_new_handle(handle, authors.taken_names(view))
    may_add(view, statement.author, roles)
    return {}


def _check_replaces(view: View, handle: str, previous: object) -> None:
    raw = view.read(invitation_path(handle))
    expected = hashlib.sha256(raw).hexdigest() if raw is not None else None
    if previous != expected:
        raise Conflict(f"the invitation of {handle!r} changed since it was read (or there is none to replace); read it again")


def _check_cancel(statement: Statement, view: View, current: Mapping[str, Any] | None) -> dict[str, bytes | None]:
    body = statement.body
    if current is None or current.get("cancelled"):
        raise NotFound(f"no invitation of {body['handle']!r} to cancel")
    if statement.author != current["author"] and "founder" not in view.roles(statement.author):
        raise Forbidden("only who sent an invitation, or the founder, may cancel it")
    if body["cancelled"] is not True or {k: v for k, v in body.items() if k in FIELDS - {"previous", "cancelled"}} != {
            k: v for k, v in current.items() if k in FIELDS - {"previous", "cancelled"}}:
        raise BadInput("a cancellation repeats the invitation as it was, with cancelled: true")
    return {}


def brought_keys(body: Mapping[str, Any]) -> list[KeyRecord]:
    """Return the keys a member record that claims an invitation brings to sign itself (none for other records)."""
    if "secret" not in body or not isinstance(body.get("keys"), list):
        return []
    return [KeyRecord.from_dict(k) for k in body["keys"] if isinstance(k, dict) and k.get("revoked_after") is None]


def check_claim(statement: Statement, view: View, keys: list[KeyRecord]) -> dict[str, bytes | None]:
    """Accept a member record that claims an invitation: the secret matches, the invitation is live, the device key signs.

    Returns the marker that spends the invitation.
    """
    body = statement.body
    handle = body["handle"]
    current = invitation(view, handle)
    if current is None:
        raise NotFound(f"there is no invitation for {handle!r}: ask whoever invited you for a new link")
    if statement.author != handle:
        raise Forbidden(f"an invitation of {handle!r} is claimed by {handle!r}, signing as themselves")
    if not isinstance(body["secret"], str) or secret_sha256(body["secret"]) != current["secret_sha256"]:
        raise Forbidden("the invitation code does not match: check the link or the code you were given")
    standing = state(view, handle, view.clock(statement))
    if standing != "pending":
        raise Forbidden(why_not_pending(standing, current["expires"]))
    brought = {k.kid for k in brought_keys(body)} - {k.kid for k in view.keys(handle)}
    signers = set(statement.signers)
    if not signers <= brought or any(k.recovery for k in keys if k.kid in signers):
        raise Forbidden("a claim is signed by the device key it brings, and only by it")
    previous = view.member(handle)
    if current.get("move"):
        if previous is None:
            raise NotFound(f"no member {handle!r} to move")
        if body["roles"] != previous["roles"] or body["skills"] != previous["skills"]:
            raise Forbidden("moving to a new key keeps the member's roles and skills")
    elif previous is not None or body["roles"] != current["roles"] or body["skills"] != current["skills"]:
        raise Forbidden("a claim takes the handle, roles and skills the invitation names")
    marker = {"secret_sha256": current["secret_sha256"], "kid": sorted(signers)[0], "seq": statement.seq}
    return {claimed_path(handle): canonical.encode(marker)}
