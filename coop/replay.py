"""Replaying stored statements: how a commit records the order of its statements, and applying one again.

A node that accepts statements and a verifier that re-checks history must run
the very same steps, so both (and the merge rule) come here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from coop import statements
from coop.authors import claim_keys
from coop.errors import IntegrityError
from coop.kinds import Registry
from coop.members import ALLOWED_SIGNERS, allowed_signers
from coop.statements import KeyRecord
from coop.view import View

TRAILER = "Statement: "


def trailer(paths: Iterable[str]) -> str:
    """Return the message lines that record the order statements were applied in."""
    return "\n".join(TRAILER + path for path in paths)


def statement_order(message: str) -> list[str]:
    """Read the statement paths a commit message lists, in order."""
    return [line[len(TRAILER):].strip() for line in message.splitlines() if line.startswith(TRAILER)]


def replay(registry: Registry, view: View, path: str, raw: bytes, genesis: bool = False) -> None:
    """Apply one stored statement to a view exactly as a node accepting it would."""
    statement = statements.verify(raw, origin=view.origin, keys=view.keys)
    kind = registry.kind(statement.type)
    if kind.path(statement) != path:
        raise IntegrityError(f"a {statement.type} statement does not belong at this path")
    statements.check_sequence(statement, view.last_seq(statement.author))
    effects: Mapping[str, bytes | None]
    if genesis:
        effects = genesis_effect(view, statement)
    else:
        effects = kind.check(statement, view)
    view.stage({path: raw, **effects, **view.seq_change(statement, path)})


def genesis_effect(view: View, statement: statements.Statement) -> dict[str, bytes | None]:
    """Return what a statement of the first commit causes: its keys' owner files, and for the node, allowed_signers."""
    body = statement.body
    if statement.type == "coop.member/v1":
        return claim_keys(view, body["handle"], [KeyRecord.from_dict(k) for k in body["keys"]])
    if statement.type == "coop.node/v1":
        claims = claim_keys(view, body["name"], [KeyRecord.from_dict(k) for k in body["keys"]])
        view.stage(claims)
        return {**claims, ALLOWED_SIGNERS: allowed_signers(view)}
    return {}
