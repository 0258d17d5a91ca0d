"""Accepting one statement: the single path a node's write, the audit's replay and the merge all take.

Every statement that enters a repository passes `accept`: its signature and
origin, where its kind stores it, the author's next sequence number, and the
rules of its kind, checked against a view of the repository at that moment.
What it causes is staged in the view, so later statements of the same commit
see it. Only the first commit is checked another way (coop.genesis), since
nothing can be verified before there is a charter and a key.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coop import statements
from coop.area_contract import Changes, Kind, Registry
from coop.errors import Forbidden, IntegrityError
from coop.statements import KeyLookup, Statement
from coop.view import View


@dataclass(frozen=True)
class Accepted:
    """A statement that passed: where it lives and the files it changed (none when it was stored there already)."""

    statement: Statement
    path: str
    changes: Changes

    @property
    def new(self) -> bool:
        """Tell whether the statement was not stored before."""
        return bool(self.changes)


def accept(registry: Registry, view: View, raw: bytes, stored_at: str | None = None) -> Accepted:
    """Check one statement against the view and stage what it causes there, or raise and leave the view as it was.

    When it arrived is the view's `now`, the one rule that differs between paths:
    a node taking a write opens its view with its clock (`View(snapshot, now=...)`),
    so a statement dated later than that is refused, rules run at that moment, and
    the checks only a node accepting a write now makes apply (a webhook URL that
    points into its network, a payment reported too late). Replaying history
    opens its view without a clock: the statement's signed `created` stands for
    the moment it arrived and those checks are skipped, since what was accepted
    once stays accepted. `stored_at` is where history stored the statement
    (replay and merge): it must be where its kind puts it. A statement already
    stored byte for byte at its place changes nothing.
    """
    body, sigs = statements.parse(raw)
    kind = registry.kind(body["type"])
    statement = statements.verify_parsed(raw, body, sigs, origin=view.origin, keys=signing_keys(kind, view, body))
    check_recovery_use(kind, view, statement)
    if view.now is not None:
        statements.check_not_future(statement, view.now)
    path = kind.path(statement)
    if stored_at is not None and stored_at != path:
        raise IntegrityError(f"a {statement.type} statement does not belong at this path")
    if view.read(path) == raw:
        return Accepted(statement, path, {})
    statements.check_sequence(statement, view.last_seq(statement.author))
    before = dict(view.pending)
    try:
        changes = {path: raw, **kind.check(statement, view), **view.seq_change(statement, path)}
    except Exception:
        view.pending = before  # a check may stage what it reads (a node's record for allowed_signers)
        raise
    view.stage(changes)
    return Accepted(statement, path, changes)


def signing_keys(kind: Kind, view: View, body: Mapping[str, Any]) -> KeyLookup:
    """Return the keys that may sign a statement: its author's registered keys, and those a claim brings."""
    if kind.brought_keys is None:
        return view.keys
    brought = list(kind.brought_keys(body))
    return lambda author: [*view.keys(author), *(k for k in brought if k.kid not in {r.kid for r in view.keys(author)})]


def check_recovery_use(kind: Kind, view: View, statement: Statement) -> None:
    """Refuse a statement signed by a recovery key unless its kind manages keys (then its check limits it further)."""
    recovery = {k.kid for k in view.keys(statement.author) if k.recovery}
    if recovery & set(statement.signers) and not kind.manage_keys:
        raise Forbidden("a recovery key only adds and revokes keys: it cannot sign a "
                        f"{statement.type} statement; sign with a device key")
