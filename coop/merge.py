"""Merging two histories that diverged: one deterministic rule, so every node builds the same merge commit.

Two nodes that both took writes while apart hold two branches with a common
ancestor. Statements are one file each, so most of a merge is a union; what is
left is decided by one rule, never by which side arrived first:

1. The side that appended to the ledger since the common ancestor is *kept* as
   it is (only the log keeper appends, and its checkpoint is signed; it cannot
   be re-done elsewhere). If both sides appended, the log has two keepers: no
   merge, that is a fork. If neither did, the side with more new commits is
   kept, and between equals the one whose commit id sorts first.
2. The other side's statements are *replayed* on the kept side, commit by
   commit, in the order their commits list them, through the same checks a node
   runs when it accepts a statement (its `created` time standing for the
   moment it arrived). A statement already there byte for byte is skipped; one
   the kept side now makes invalid (the same author's sequence number used
   twice, a vote on a proposal the kept side closed, a record the kept side
   replaced) is left out of the merged tree and named in the merge message. It
   stays in the history of its own side, where anyone can read it.

The merge commit is unsigned and made of nothing but its parents: parents
(kept, other), a fixed author, the later parent's time, a message listing what
was left out. Any node recomputes it from the parents alone and gets the same
commit id, which is how `coop verify` checks one; two nodes that merged the
same pair therefore converge on the same commit.
"""
from __future__ import annotations

from dataclasses import dataclass

import pygit2

from coop.accept import accept
from coop.area_contract import Registry
from coop.errors import Conflict, CoopError
from coop.replay import statement_order
from coop.store import GitStore, Snapshot, changed_files, commit_at
from coop.view import View

MERGER = ("coop merge", "merge@coop")
LEFT_OUT = "Left out: "


@dataclass(frozen=True)
class Plan:
    """Which side is kept, which replayed, and the result of replaying it."""

    kept: pygit2.Commit
    other: pygit2.Commit
    changes: dict[str, bytes | None]
    left_out: list[tuple[str, str]]
    replayed: int


def new_commits(repo: pygit2.Repository, tip: pygit2.Oid, base: pygit2.Oid) -> list[pygit2.Commit]:
    """Return the commits reachable from tip but not from base, oldest first."""
    walker = repo.walk(tip, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    walker.hide(base)
    return list(walker)


def touches(repo: pygit2.Repository, base: pygit2.Commit, tip: pygit2.Commit, prefixes: tuple[str, ...]) -> bool:
    """Tell whether any file under the prefixes differs between two commits."""
    return any(path.startswith(prefixes) for path, _ in changed_files(repo, base.tree, tip.tree))


def plan(store: GitStore, registry: Registry, one: str, two: str) -> Plan:
    """Decide the kept side and replay the other side's statements on it (see the module's rule)."""
    repo = store.repo
    a, b = commit_at(repo, one), commit_at(repo, two)
    found = repo.merge_base(a.id, b.id)
    if found is None:
        raise Conflict("the two histories share no commit: they are not the same co-op")
    base = commit_at(repo, found)
    managed = registry.managed()
    ledger = [side for side in (a, b) if touches(repo, base, side, managed)]
    if len(ledger) == 2:
        raise Conflict("both histories appended to the ledger since they parted: the log has two keepers, which is a fork")
    news = {side.id: new_commits(repo, side.id, base.id) for side in (a, b)}
    if ledger:
        kept = ledger[0]
    else:
        kept = min((a, b), key=lambda side: (-len(news[side.id]), str(side.id)))
    other = b if kept is a else a
    view = View(Snapshot(repo, kept))
    left_out: list[tuple[str, str]] = []
    replayed = 0
    for commit in news[other.id]:
        if len(commit.parents) > 1:
            continue  # a merge carries no statements of its own: its parents' commits are in this walk
        snapshot = Snapshot(repo, commit)
        for path in statement_order(commit.message):
            raw = snapshot.read(path)
            if raw is None or view.read(path) == raw:
                continue  # what the kept side holds byte for byte stays, unchecked, whatever the kept side did since
            try:
                accept(registry, view, raw, stored_at=path)
                replayed += 1
            except CoopError as e:
                left_out.append((path, str(e)))
    return Plan(kept, other, view.pending, left_out, replayed)


def message(found: Plan) -> str:
    """Return the merge commit's message: both parents, then each statement left out and why."""
    lines = [f"Merge {str(found.other.id)[:12]} into {str(found.kept.id)[:12]}", ""]
    lines += [f"{LEFT_OUT}{path} ({reason})" for path, reason in found.left_out]
    return "\n".join(lines).rstrip() + "\n"


def merge_commit(store: GitStore, registry: Registry, one: str, two: str) -> tuple[str, Plan]:
    """Write the merge commit of two diverged commits (no branch moves) and return its id with the plan."""
    found = plan(store, registry, one, two)
    repo = store.repo
    tree = store.build_tree(found.kept.tree, found.changes) if found.changes else found.kept.tree.id
    when = max(found.kept.commit_time, found.other.commit_time)
    who = pygit2.Signature(*MERGER, when, 0)
    oid = repo.create_commit(None, who, who, message(found), tree, [found.kept.id, found.other.id])
    return str(oid), found


def check_merge_commit(store: GitStore, registry: Registry, commit: pygit2.Commit) -> list[str]:
    """Return problems with a merge commit: it must be exactly the merge its two parents make."""
    if len(commit.parents) != 2:
        return [f"a merge commit has {len(commit.parents)} parents; merges here join exactly two"]
    first, second = (str(p.id) for p in commit.parents)
    try:
        expected, found = merge_commit(store, registry, first, second)
    except CoopError as e:
        return [f"its parents cannot be merged: {e}"]
    if str(found.kept.id) != first:
        return ["its first parent is not the side the merge rule keeps"]
    if expected != str(commit.id):
        return ["it differs from the merge its parents make (tree, message, author or time)"]
    return []
