"""Verify a whole repository from its files alone: every commit, every statement.

Each commit must carry an SSHSIG by a key of the node it names, and must be
exactly what its statements cause when replayed, in the order its message lists
them, through the same checks a node runs when it accepts them. Paths an area
manages itself (the ledger's tiles) are checked by that area's own checks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pygit2

from coop import sshsig, statements
from coop.errors import CoopError, IntegrityError
from coop.kinds import Registry
from coop.members import ALLOWED_SIGNERS, allowed_signers, claim_keys, node_signing_keys
from coop.statements import KeyRecord
from coop.store import GitStore, Snapshot, changed_files
from coop.view import View

TRAILER = "Statement: "


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

    def __bool__(self) -> bool:
        return not self.problems


def trailer(paths: Iterable[str]) -> str:
    """Return the message lines that record the order statements were applied in."""
    return "\n".join(TRAILER + path for path in paths)


def statement_order(message: str) -> list[str]:
    """Read the statement paths a commit message lists, in order."""
    return [line[len(TRAILER):].strip() for line in message.splitlines() if line.startswith(TRAILER)]


def verify_repository(store: GitStore, registry: Registry,
                      progress: Callable[[int], None] | None = None, tip: str | None = None, known: str | None = None) -> Report:
    """Check every commit from the first to the head, then every area's whole-repository checks.

    `tip` checks another commit than the branch head (one just fetched); `known`
    skips the commits it already holds (verified before), checking only the new ones.
    """
    head = store.repo[tip] if tip is not None else store.head()
    if head is None:
        return Report(0, 0, [Problem("repository", "no commits")])
    problems: list[Problem] = []
    walker = store.repo.walk(head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if known is not None:
        walker.hide(known)
    commits = list(walker)
    count = 0
    for commit in commits:
        where = f"commit {str(commit.id)[:12]}"
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
    order = statement_order(commit.message) if before is not None else _genesis_order(changed)
    view = View(before) if before is not None else View(None, {p: after.read(p) for p in order})
    problems: list[str] = []
    for path in order:
        raw = after.read(path)
        if raw is None:
            problems.append(f"{path}: listed in the commit message but not in the commit")
            continue
        try:
            replay(registry, view, path, raw, genesis=before is None)
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


def replay(registry: Registry, view: View, path: str, raw: bytes, genesis: bool = False) -> None:
    """Apply one stored statement to a view exactly as a node accepting it would."""
    statement = statements.verify(raw, origin=view.origin, keys=view.keys)
    kind = registry.kind(statement.type)
    if kind.path(statement) != path:
        raise IntegrityError(f"a {statement.type} statement does not belong at this path")
    statements.check_sequence(statement, view.last_seq(statement.author))
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


def _changed_paths(before: Snapshot | None, after: Snapshot) -> set[str]:
    return {path for path, _ in changed_files(after.repo, before.tree if before is not None else None, after.tree)}


def _genesis_order(changed: set[str]) -> list[str]:
    """The first commit holds the charter, the founder's record and the first node, in that order."""
    return ["coop.json"] + sorted(p for p in changed if p.startswith("members/")) + sorted(p for p in changed if p.startswith("nodes/"))
