"""Members and nodes: who belongs to the co-op, with which roles, skills and keys.

A member record is a signed statement. The founder may add anyone; members, and
apps with the coop.member/v1 scope, may add learners; a member may update their
own skills and keys but not their roles (roles change through proposals). A node
record registers a machine key that signs commits, and the list of node keys is
kept as `keys/allowed_signers` for plain `git verify-commit`. Members, nodes and
apps share one namespace of authors, which `coop/authors.py` keeps.
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from coop import authors, invitations, statements
from coop.errors import Conflict, Forbidden, NotFound
from coop.ids import check_id, check_new_handle
from coop.roles import check_roles, check_skills, may_add
from coop.sshsig import allowed_signers_line
from coop.statements import KeyRecord, Statement
from coop.view import View

MEMBER_TYPE = "coop.member/v1"
NODE_TYPE = "coop.node/v1"
ALLOWED_SIGNERS = "keys/allowed_signers"


def member_fields(handle: str, roles: list[str], skills: list[str], keys: list[KeyRecord], previous: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """Return the fields of a member record; `previous` is the sha256 of the record it replaces (None: a new member)."""
    return {"handle": handle, "roles": sorted(roles), "skills": sorted(set(skills)), "keys": [k.to_dict() for k in keys],
            "previous": previous, **extra}


def claim_fields(invitation: Mapping[str, Any], secret: str, device: KeyRecord, recovery: KeyRecord,
                 current: Mapping[str, Any] | None = None, current_sha: str | None = None, last_seq: int = 0) -> dict[str, Any]:
    """Return the member record a new device signs to claim an invitation: its device key and recovery key, and the code.

    For a move (`current` is the member's record now, `current_sha` its hash), the
    record keeps everything but the keys: the old ones are revoked from this
    statement on (after `last_seq`, the member's last statement), never before.
    """
    code = invitations.normalise_secret(secret)
    if current is None:
        return member_fields(invitation["handle"], list(invitation["roles"]), list(invitation["skills"]), [device, recovery],
                             secret=code)
    everything = {k["kid"] for k in current["keys"]}
    return {**rekeyed_fields(current, current_sha, [device, recovery], everything, last_seq), "secret": code}


def rekeyed_fields(current: Mapping[str, Any], current_sha: str | None, add: Sequence[KeyRecord], revoke: Collection[str],
                   last_seq: int) -> dict[str, Any]:
    """Return a member's record with keys added and others revoked from the next statement on (after `last_seq`, their last).

    Everything else stays as it is, so a recovery key may sign it; a key revoked
    already keeps its revocation point, which never moves.
    """
    old = [KeyRecord.from_dict(k) for k in current["keys"]]
    unknown = set(revoke) - {k.kid for k in old}
    if unknown:
        raise NotFound(f"{current['handle']!r} has no key {sorted(unknown)[0]}")
    keys = [dataclasses.replace(k, revoked_after=last_seq) if k.kid in revoke and k.revoked_after is None else k for k in old]
    kept = {k: v for k, v in current.items() if k not in {"handle", "roles", "skills", "keys", "previous", "secret", *statements.COMMON_FIELDS}}
    return member_fields(current["handle"], list(current["roles"]), list(current["skills"]), [*keys, *add], current_sha, **kept)


def member_statement_path(statement: Statement) -> str:
    """Store a member record under its handle."""
    return authors.member_path(statement.body.get("handle", ""))


def check_member(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Enforce who may add or change a member record, and keep handles and keys unique."""
    body = statement.body
    handle = check_id(body.get("handle"), "handle")
    roles = check_roles(body.get("roles"))
    check_skills(body.get("skills"))
    keys = authors.check_keys(body.get("keys"))
    _check_replaces(view, handle, body.get("previous"))
    _check_not_self_revoking(statement, keys)
    _check_recovery_only_manages_keys(statement, view)
    previous = view.member(handle)
    author_roles = view.roles(statement.author)
    if "secret" in body:
        changes = invitations.check_claim(statement, view, keys)
        if previous is not None:
            authors.check_key_history(view, handle, previous, keys)
        return {**changes, **authors.claim_keys(view, handle, keys)}
    if previous is None:
        check_new_handle(handle, authors.taken_names(view))
        may_add(view, statement.author, roles)
    else:
        if statement.author != handle and "founder" not in author_roles:
            raise Forbidden(f"only {handle!r} or the founder may change {handle!r}'s record")
        if statement.author == handle and roles != previous["roles"] and "founder" not in author_roles:
            raise Forbidden("roles change through a passed proposal, not by editing your own record")
        authors.check_key_history(view, handle, previous, keys)
    return authors.claim_keys(view, handle, keys)


def record_sha(view: View, handle: str) -> str | None:
    """Return the sha256 of a member's current record: what an update names as `previous`."""
    raw = view.read(authors.member_path(handle))
    return hashlib.sha256(raw).hexdigest() if raw is not None else None


def _check_replaces(view: View, handle: str, previous: object) -> None:
    """Refuse a record that does not name the version it replaces, so nothing is overwritten unseen."""
    current = view.read(authors.member_path(handle))
    if current is None:
        if previous is not None:
            raise Conflict(f"there is no record of {handle!r} to replace")
        return
    if previous is None:
        raise Conflict(f"handle {handle!r} is taken")
    if previous != hashlib.sha256(current).hexdigest():
        raise Conflict(f"the record of {handle!r} changed since it was read; read it again")


def _check_recovery_only_manages_keys(statement: Statement, view: View) -> None:
    """Refuse a record signed by a recovery key that changes anything but the member's own keys."""
    recovery = {k.kid for k in view.keys(statement.author) if k.recovery}
    if not recovery & set(statement.signers):
        return
    previous = view.member(statement.author)
    if previous is None or statement.body["handle"] != statement.author:
        raise Forbidden("a recovery key only manages its own member's keys")
    managed = {"keys", "previous", "secret", *statements.COMMON_FIELDS}  # the code a claim spent is dropped on the next change
    unchanged = set(previous) - managed
    if set(statement.body) - managed != unchanged or any(
            statement.body[field] != previous[field] for field in unchanged):
        raise Forbidden("a recovery key only adds and revokes keys: roles, skills and profile stay as they are")


def _check_not_self_revoking(statement: Statement, keys: list[KeyRecord]) -> None:
    """Refuse a record signed by a key it revokes before the record itself."""
    for key in keys:
        if key.kid in statement.signers and key.revoked_after is not None and key.revoked_after < statement.seq:
            raise Forbidden(f"key {key.kid} cannot sign a record that revokes it before that record (statement {statement.seq})")


def check_node(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Let the founder register a node key and refresh allowed_signers for git."""
    if "founder" not in view.roles(statement.author):
        raise Forbidden("only the founder registers nodes (later: the keeper-change proposal)")
    name = check_id(statement.body.get("name"), "node name")
    keys = authors.check_keys(statement.body.get("keys"))
    if authors.node(view, name) is None and name in authors.taken_names(view):
        raise Conflict(f"name {name!r} is taken")
    claims = authors.claim_keys(view, name, keys)
    view.stage({authors.node_path(name): statement.raw})
    return {**claims, ALLOWED_SIGNERS: allowed_signers(view)}


def allowed_signers(view: View) -> bytes:
    """Return the allowed_signers file for every node key that is still valid."""
    lines = []
    for name in authors.node_names(view):
        for key in view.keys(name):
            if key.revoked_after is None:
                lines.append(allowed_signers_line(name, key.public))
    return ("\n".join(lines) + "\n").encode("ascii")


def node_signing_keys(view: View, name: str) -> list[KeyRecord]:
    """Return the keys a node may sign commits with."""
    return [k for k in view.keys(name) if k.revoked_after is None] if authors.node(view, name) else []
