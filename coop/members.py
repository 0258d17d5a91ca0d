"""Members and nodes: who belongs to the co-op, with which roles, skills and keys.

A member record is a signed statement. The founder may add anyone; members, and
apps with the coop.member/v1 scope, may add learners; a member may update their
own skills and keys but not their roles (roles change through proposals). A node
record registers a machine key that signs commits, and the list of node keys is
kept as `keys/allowed_signers` for plain `git verify-commit`. Members, nodes and
apps share one namespace of authors, which `coop/authors.py` keeps.
"""
from __future__ import annotations

import hashlib
from typing import Any

from coop import authors
from coop.errors import BadInput, Conflict, Forbidden
from coop.ids import check_id, check_new_handle
from coop.sshsig import allowed_signers_line
from coop.statements import KeyRecord, Statement
from coop.view import View

MEMBER_TYPE = "coop.member/v1"
NODE_TYPE = "coop.node/v1"
ROLES = ("founder", "member", "mentor", "learner")
ALLOWED_SIGNERS = "keys/allowed_signers"
MAX_SKILLS = 32


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


def member_fields(handle: str, roles: list[str], skills: list[str], keys: list[KeyRecord], previous: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """Return the fields of a member record; `previous` is the sha256 of the record it replaces (None: a new member)."""
    return {"handle": handle, "roles": sorted(roles), "skills": sorted(set(skills)), "keys": [k.to_dict() for k in keys],
            "previous": previous, **extra}


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
    author_roles = view.roles(statement.author)
    _check_replaces(view, handle, body.get("previous"))
    _check_not_self_revoking(statement, keys)
    previous = view.member(handle)
    if previous is None:
        check_new_handle(handle, authors.taken_names(view))
        if "founder" in author_roles:
            pass
        elif roles == ["learner"] and ("member" in author_roles or authors.is_app(view, statement.author)):
            pass  # an app gets here only with coop.member/v1 in its scopes (coop/apps.py `scoped`)
        else:
            raise Forbidden(f"{statement.author!r} may not add a member with roles {roles}; members and apps may add learners, the founder anyone")
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
