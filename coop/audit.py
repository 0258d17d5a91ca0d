"""Verify a whole repository from its files alone: every object, every commit, every statement.

First every git object the commits reach is read once and checked (present,
inflates, hashes to its id); a damaged object is reported and the scan goes on.
If any is damaged, history is not replayed: what it would report follows from
the damage. Otherwise each commit must carry an SSHSIG by a key of the node it
names, and must be exactly what its statements cause when replayed, in the
order its message lists them, through coop.accept, the path a node's writes
take (the first commit through coop.genesis). A merge commit is unsigned and
must be exactly the merge its parents make (coop.merge). Paths an area manages itself (the ledger's tiles)
are checked by that area's own checks.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import pygit2

from coop import genesis, merge, sshsig
from coop.accept import accept
from coop.area_contract import Registry
from coop.errors import CoopError, IntegrityError
from coop.members import node_signing_keys
from coop.replay import statement_order
from coop.store import GitStore, Snapshot, changed_files, commit_at
from coop.view import View


@dataclass(frozen=True)
class Problem:
    """One thing that failed verification, and where."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Report:
    """The result of a full verification: truthy when nothing failed."""

    commits: int
    statements: int
    problems: list[Problem] = field(default_factory=list)
    replayed: bool = True

    def __bool__(self) -> bool:
        return not self.problems


class ObjectScan:
    """Every object a range of commits reaches, each checked once before libgit2 parses it."""

    def __init__(self, store: GitStore) -> None:
        self.store = store
        self.problems: list[Problem] = []
        self._whole: dict[pygit2.Oid, bool] = {}
        self._scanned: set[pygit2.Oid] = set()

    def check(self, oid: pygit2.Oid, what: str) -> bool:
        """Tell whether an object is whole, reporting it (once) if not."""
        if oid not in self._whole:
            damage = self.store.damage(oid)
            if damage is not None:
                self.problems.append(Problem(f"object {oid}", f"{what}: {damage}"))
            self._whole[oid] = damage is None
        return self._whole[oid]

    def load(self, oid: pygit2.Oid, what: str) -> pygit2.Object | None:
        """Return a whole object parsed by libgit2, or None if it is damaged."""
        return self.store.repo[oid] if self.check(oid, what) else None

    def commits(self, tip: pygit2.Oid, hidden: set[pygit2.Oid]) -> int:
        """Check every commit from the tip back to the hidden ones and every object each adds; return how many commits."""
        count = 0
        stack, seen = [tip], set(hidden)
        while stack:
            oid = stack.pop()
            if oid in seen:
                continue
            seen.add(oid)
            commit = self.load(oid, "commit")
            if not isinstance(commit, pygit2.Commit):
                continue
            count += 1
            where = f"in commit {str(oid)[:12]}"
            parent = self.load(commit.parent_ids[0], "commit") if commit.parent_ids else None
            before = parent.tree_id if isinstance(parent, pygit2.Commit) else None
            self.tree(commit.tree_id, before, "", where)
            stack.extend(commit.parent_ids)
        return count

    def tree(self, new: pygit2.Oid, old: pygit2.Oid | None, path: str, where: str) -> None:
        """Check a tree and what it holds that the tree it replaces did not (that one is checked with its own commit)."""
        if new == old or new in self._scanned:
            return
        self._scanned.add(new)
        tree = self.load(new, f"tree /{path} {where}")
        if not isinstance(tree, pygit2.Tree):
            return
        older = self.load(old, f"tree /{path}") if old is not None else None
        before = {item.name: item for item in older} if isinstance(older, pygit2.Tree) else {}
        for item in tree:
            prior = before.get(item.name)
            if prior is not None and prior.id == item.id:
                continue
            if item.type == pygit2.GIT_OBJECT_TREE:
                was = prior.id if prior is not None and prior.type == pygit2.GIT_OBJECT_TREE else None
                self.tree(item.id, was, f"{path}{item.name}/", where)
            else:
                self.check(item.id, f"{item.type_str} {path}{item.name} {where}")


def verify_repository(store: GitStore, registry: Registry,
                      progress: Callable[[int], None] | None = None, tip: str | None = None, known: str | None = None) -> Report:
    """Check every commit from the first to the head, then every area's whole-repository checks.

    `tip` checks another commit than the branch head (one just fetched); `known`
    skips the commits it already holds (verified before), checking only the new ones.
    """
    head_id = pygit2.Oid(hex=tip) if tip is not None else store.head_id()
    if head_id is None:
        return Report(0, 0, [Problem("repository", "no commits")])
    scan = ObjectScan(store)
    hidden = {commit.id for commit in store.repo.walk(known)} if known is not None else set()
    scanned = scan.commits(head_id, hidden)
    if scan.problems:
        return Report(scanned, 0, scan.problems, replayed=False)
    head = commit_at(store.repo, head_id)
    problems: list[Problem] = []
    walker = store.repo.walk(head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if known is not None:
        walker.hide(known)
    commits = list(walker)
    count = 0
    for commit in commits:
        where = f"commit {str(commit.id)[:12]}"
        if len(commit.parents) > 1:
            problems += [Problem(where, m) for m in merge.check_merge_commit(store, registry, commit)]
            if progress:
                progress(1)
            continue
        problems += [Problem(where, m) for m in check_commit_signature(store, commit)]
        found, messages = check_commit_changes(store, registry, commit, registry.managed())
        count += found
        problems += [Problem(where, m) for m in messages]
        if progress:
            progress(1)
    view = View(Snapshot(store.repo, head))
    for check in registry.checks():
        try:
            problems += [Problem("repository", m) for m in check(view)]
        except CoopError as e:
            problems.append(Problem("repository", str(e)))
    return Report(len(commits), count, problems)


def check_commit_signature(store: GitStore, commit: pygit2.Commit) -> list[str]:
    """Return problems with a commit's signature: missing, invalid, or not the named node's key."""
    signature = commit.gpg_signature
    if signature is None or signature[0] is None:
        return ["commit has no signature (added outside the platform?)"]
    armored, payload = signature
    try:
        public = sshsig.verify(armored, payload)
    except CoopError as e:
        return [f"commit signature is invalid: {e}"]
    name = commit.committer.name
    if commit.author.name != name:
        return [f"commit author {commit.author.name!r} differs from committer {name!r}"]
    snapshot = Snapshot(store.repo, commit.parents[0] if commit.parents else commit)
    allowed = {k.kid for k in node_signing_keys(View(snapshot), name)}
    if public.kid not in allowed:
        return [f"commit is signed by key {public.kid}, which is not a key of node {name!r}"]
    return []


def check_commit_changes(store: GitStore, registry: Registry, commit: pygit2.Commit,
                         managed: Sequence[str]) -> tuple[int, list[str]]:
    """Replay a commit's statements on its parent; the result must equal the commit."""
    after = Snapshot(store.repo, commit)
    before = Snapshot(store.repo, commit.parents[0]) if commit.parents else None
    changed = _changed_paths(before, after)
    if before is None:
        order = genesis.order(changed)
        view = View(None, {p: after.read(p) for p in order})
        step: Callable[[View, str, bytes], object] = genesis.apply
    else:
        order = statement_order(commit.message)
        view = View(before)
        step = partial(_replay, registry)
    problems: list[str] = []
    for path in order:
        raw = after.read(path)
        if raw is None:
            problems.append(f"{path}: listed in the commit message but not in the commit")
            continue
        try:
            step(view, path, raw)
        except CoopError as e:
            problems.append(f"{path}: {e}")
    if problems:
        return len(order), problems
    for path in sorted(changed):
        if any(path.startswith(prefix) for prefix in managed):
            continue
        if path not in view.pending:
            problems.append(f"{path}: changed by the commit but caused by none of its statements")
        elif view.pending[path] != after.read(path):
            problems.append(f"{path}: differs from what its statements cause")
    for path in sorted(set(view.pending) - changed):
        if view.pending[path] != after.read(path):
            problems.append(f"{path}: its statements change it, but the commit does not")
    return len(order), problems


def _replay(registry: Registry, view: View, path: str, raw: bytes) -> None:
    """Accept a stored statement again on its commit's parent, where it must not be yet."""
    if not accept(registry, view, raw, stored_at=path).new:
        raise IntegrityError("listed in the commit message, but its parent holds it already")


def _changed_paths(before: Snapshot | None, after: Snapshot) -> set[str]:
    return {path for path, _ in changed_files(after.repo, before.tree if before is not None else None, after.tree)}
