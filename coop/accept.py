"""Accepting one statement: the single path a node's write, the audit's replay and the merge all take.

Every statement that enters a repository passes `accept`: its signature and
origin, where its kind stores it, the author's next sequence number, and the
rules of its kind, checked against a view of the repository at that moment.
What it causes is staged in the view, so later statements of the same commit
see it. Only the first commit is checked another way (coop.genesis), since
nothing can be verified before there is a charter and a key.
"""
from __future__ import annotations

from dataclasses import dataclass

from coop import statements
from coop.area_contract import Changes, Registry
from coop.errors import IntegrityError
from coop.statements import Statement
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
    statement = statements.verify(raw, origin=view.origin, keys=view.keys)
    if view.now is not None:
        statements.check_not_future(statement, view.now)
    kind = registry.kind(statement.type)
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
