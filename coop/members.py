"""Members and nodes: who belongs to the co-op, with which roles, skills and keys.

A member record (`members/<handle>.json`) is a signed statement. The founder may
add anyone; members, and apps with the coop.member/v1 scope, may add learners; a
member may update their own skills and keys but not their roles (roles change
through proposals). A node record (`nodes/<name>.json`) registers a machine key
that signs commits, and the list of node keys is kept as `keys/allowed_signers`
for plain `git verify-commit`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from coop.errors import BadInput, Conflict, Forbidden
from coop import canonical
from coop.ids import check_id, check_new_handle
from coop.sshsig import allowed_signers_line
from coop.statements import KeyRecord, Statement
from coop.view import View, member_path

MEMBER_TYPE = "coop.member/v1"
NODE_TYPE = "coop.node/v1"
ROLES = ("founder", "member", "mentor", "learner")
ALLOWED_SIGNERS = "keys/allowed_signers"
KEY_OWNERS = "keys/owners"
MAX_SKILLS = 32


def node_path(name: str) -> str:
    """Return where a node's record lives."""
    return f"nodes/{check_id(name, 'node name')}.json"


def check_roles(roles: object) -> list[str]:
    """Refuse unknown roles and a learner who is also a member."""
    if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
        raise BadInput(f"roles must be a non-empty list of {', '.join(ROLES)}")
    if len(set(roles)) != len(roles) or roles != sorted(roles):
        raise BadInput("roles must be sorted and unique")
    if "learner" in roles and len(roles) > 1:
        raise BadInput("a learner has no other role until admitted as a member")
    if ("founder" in roles or "mentor" in roles) and "member" not in roles:
        raise BadInput("founders and mentors are members too: add the 'member' role")
    return roles


def check_skills(skills: object) -> list[str]:
    """Refuse skills that are not short lower-case tags."""
    if not isinstance(skills, list) or len(skills) > MAX_SKILLS:
        raise BadInput(f"skills must be a list of at most {MAX_SKILLS} tags")
    for skill in skills:
        check_id(skill, "skill")
    if skills != sorted(set(skills)):
        raise BadInput("skills must be sorted and unique")
    return skills


def check_keys(keys: object) -> list[KeyRecord]:
    """Parse a record's key list: at least one key that is not revoked, no key twice."""
    if not isinstance(keys, list) or not keys:
        raise BadInput("a record lists at least one key")
    records = [KeyRecord.from_dict(k) if isinstance(k, dict) else _bad_key() for k in keys]
    if len({r.kid for r in records}) != len(records):
        raise BadInput("a key is listed twice")
    if all(r.revoked_after is not None for r in records):
        raise BadInput("at least one key must stay valid")
    return records


def _bad_key() -> KeyRecord:
    raise BadInput("each key is an object with 'kid' and 'public'")


def member_fields(handle: str, roles: list[str], skills: list[str], keys: list[KeyRecord], previous: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """Return the fields of a member record; `previous` is the sha256 of the record it replaces (None: a new member)."""
    return {"handle": handle, "roles": sorted(roles), "skills": sorted(set(skills)), "keys": [k.to_dict() for k in keys],
            "previous": previous, **extra}


def taken_names(view: View) -> set[str]:
    """Return every handle, node and app name: they share one namespace of authors."""
    names = set(view.handles())
    for directory in ("nodes", "apps"):
        names |= {n[:-5] for n in view.list(directory) if n.endswith(".json")}
    return names


def member_statement_path(statement: Statement) -> str:
    """Store a member record under its handle."""
    return member_path(statement.body.get("handle", ""))


def check_member(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Enforce who may add or change a member record, and keep handles and keys unique."""
    body = statement.body
    handle = check_id(body.get("handle"), "handle")
    roles = check_roles(body.get("roles"))
    check_skills(body.get("skills"))
    keys = check_keys(body.get("keys"))
    author_roles = view.roles(statement.author)
    _check_replaces(view, handle, body.get("previous"))
    _check_not_self_revoking(statement, keys)
    previous = view.member(handle)
    if previous is None:
        check_new_handle(handle, taken_names(view))
        if "founder" in author_roles:
            pass
        elif roles == ["learner"] and ("member" in author_roles or _is_app(view, statement.author)):
            pass  # an app gets here only with coop.member/v1 in its scopes (coop/apps.py `scoped`)
        else:
            raise Forbidden(f"{statement.author!r} may not add a member with roles {roles}; members and apps may add learners, the founder anyone")
    else:
        if statement.author != handle and "founder" not in author_roles:
            raise Forbidden(f"only {handle!r} or the founder may change {handle!r}'s record")
        if statement.author == handle and roles != previous["roles"] and "founder" not in author_roles:
            raise Forbidden("roles change through a passed proposal, not by editing your own record")
        _check_key_history(view, handle, previous, keys)
    return claim_keys(view, handle, keys)


def _is_app(view: View, author: str) -> bool:
    """Tell whether an author is an allied app (imported here: coop.apps builds on this module)."""
    from coop.apps import is_app

    return is_app(view, author)


def record_sha(view: View, handle: str) -> str | None:
    """Return the sha256 of a member's current record: what an update names as `previous`."""
    raw = view.read(member_path(handle))
    return hashlib.sha256(raw).hexdigest() if raw is not None else None


def _check_replaces(view: View, handle: str, previous: object) -> None:
    """Refuse a record that does not name the version it replaces, so nothing is overwritten unseen."""
    current = view.read(member_path(handle))
    if current is None:
        if previous is not None:
            raise Conflict(f"there is no record of {handle!r} to replace")
        return
    if previous is None:
        raise Conflict(f"handle {handle!r} is taken")
    if previous != hashlib.sha256(current).hexdigest():
        raise Conflict(f"the record of {handle!r} changed since it was read; read it again")


def _check_not_self_revoking(statement: Statement, keys: list[KeyRecord]) -> None:
    """Refuse a record signed by a key it revokes before the record itself."""
    for key in keys:
        if key.kid in statement.signers and key.revoked_after is not None and key.revoked_after < statement.seq:
            raise Forbidden(f"key {key.kid} cannot sign a record that revokes it before that record (statement {statement.seq})")


def _check_key_history(view: View, owner: str, previous: Mapping[str, Any], keys: list[KeyRecord]) -> None:
    """Keys are never dropped and revocations never move; a new revocation cannot reach back before now.

    Statements a key already signed stay valid: revoking it "after statement N"
    needs N to be at least the owner's last sequence number.
    """
    now = {k.kid: k for k in keys}
    last = view.last_seq(owner)
    for old in (KeyRecord.from_dict(k) for k in previous["keys"]):
        new = now.get(old.kid)
        if new is None:
            raise Forbidden(f"key {old.kid} cannot be dropped: what it signed must stay verifiable; revoke it instead")
        if old.revoked_after is not None and new.revoked_after != old.revoked_after:
            raise Forbidden(f"key {old.kid} was revoked after statement {old.revoked_after}; that cannot be undone or moved")
        if old.revoked_after is None and new.revoked_after is not None and new.revoked_after < last:
            raise Forbidden(f"key {old.kid} already signed statement {last} of {owner!r}; revoke it after {last} or later")


def key_owner_path(kid: str) -> str:
    """Return where the author a key belongs to is recorded (one file per key: an O(1) uniqueness check)."""
    return f"{KEY_OWNERS}/{kid[:2]}/{kid}.json"


def claim_keys(view: View, owner: str, keys: list[KeyRecord]) -> dict[str, bytes | None]:
    """Refuse a key another author registered; return the files that record these keys as the owner's."""
    changes: dict[str, bytes | None] = {}
    for key in keys:
        path = key_owner_path(key.kid)
        recorded = view.read(path)
        if recorded is None:
            changes[path] = canonical.encode({"owner": owner})
        elif canonical.decode(recorded)["owner"] != owner:
            raise Conflict(f"key {key.kid} is already registered to {canonical.decode(recorded)['owner']!r}")
    return changes


def check_node(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Let the founder register a node key and refresh allowed_signers for git."""
    if "founder" not in view.roles(statement.author):
        raise Forbidden("only the founder registers nodes (later: the keeper-change proposal)")
    name = check_id(statement.body.get("name"), "node name")
    keys = check_keys(statement.body.get("keys"))
    if view.read(node_path(name)) is None and name in taken_names(view):
        raise Conflict(f"name {name!r} is taken")
    claims = claim_keys(view, name, keys)
    view.stage({node_path(name): statement.raw})
    return {**claims, ALLOWED_SIGNERS: allowed_signers(view)}


def allowed_signers(view: View) -> bytes:
    """Return the allowed_signers file for every node key that is still valid."""
    lines = []
    for entry in view.list("nodes"):
        name = entry[:-5]
        for key in view.keys(name):
            if key.revoked_after is None:
                lines.append(allowed_signers_line(name, key.public))
    return ("\n".join(lines) + "\n").encode("ascii")


def node_signing_keys(view: View, name: str) -> list[KeyRecord]:
    """Return the keys a node may sign commits with."""
    return [k for k in view.keys(name) if k.revoked_after is None] if view.read(node_path(name)) else []
