"""Replicate a co-op's repository with git itself, verifying everything before it counts.

`clone` fetches a repository (over smart HTTP or from a path) into a scratch
directory beside the target, replays and checks every commit there
(coop.audit.verify_repository), and only then moves a finished node into place:
repository, node.toml and index, no private keys. Anything that fails leaves
nothing behind. The source is kept as the git remote `origin` of the bare
repository, so `coop sync` knows where to fetch from.

`sync` fetches a peer's branch into `refs/coop/incoming/<peer>`, never into the
branch. Statements the peer lacks are offered to its API first. The branch moves
only once every new commit replays and the areas' checks (the ledger against its
checkpoint) pass: by a fast-forward, or by the deterministic merge of
coop.merge when both sides took writes. The move is a compare-and-swap against
the head that was verified and merged with (GitStore.move_branch); a local
commit that lands meanwhile makes sync join again, so it is never lost. A peer whose branch no longer descends
from what it served before (a force-reset), or whose checkpoint contradicts
ours (two roots for one size, a tree that does not extend ours), is refused and
both sides are kept as evidence under `<home>/evidence/`.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coop import audit, config, merge
from coop.area_contract import Registry
from coop.errors import BadInput, Conflict, IntegrityError, StoreError
from coop.index import Index, open_database
from coop.merge import new_commits
from coop.node import KEYS_DIR, REPO_DIR
from coop.replay import statement_order
from coop.scratch import built_in_place
from coop.store import BRANCH, GitStore, Snapshot, commit_at
from coop.view import View

FETCH_TIMEOUT = 300
MOVE_ATTEMPTS = 20  # local writes landing during one sync before it gives up
MAX_PROBLEMS_SHOWN = 5
EVIDENCE_DIR = "evidence"
INCOMING = "refs/coop/incoming/"
SERVED = "refs/coop/peers/"  # what each peer served last time, verified or not: a later rewrite of it is evidence
REPORT = "report.json"

ForkCheck = Callable[[View, View, bool], str | None]  # (ours, theirs, behind_ok): why theirs contradicts ours


def git(repository: Path, *args: str) -> str:
    """Run git on a bare repository with no user or system configuration; return its output or raise StoreError."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repository), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(["git", "--git-dir", str(repository), *args], env=env, capture_output=True, text=True,
                              timeout=FETCH_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise StoreError(f"git {args[0]} took longer than {FETCH_TIMEOUT} s") from e
    if done.returncode != 0:
        raise StoreError(f"git {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def fetch(repository: Path, source: str, ref: str) -> str:
    """Fetch the source's main branch into a ref of the local repository, whatever it held; return the commit id."""
    git(repository, "fetch", "--no-tags", "--no-write-fetch-head", "--update-head-ok", source, f"+{BRANCH}:{ref}")
    return git(repository, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()


def check_report(report: audit.Report, source: str) -> None:
    """Raise IntegrityError listing the first problems of a failed verification."""
    if report:
        return
    shown = "; ".join(str(p) for p in report.problems[:MAX_PROBLEMS_SHOWN])
    more = f" (and {len(report.problems) - MAX_PROBLEMS_SHOWN} more)" if len(report.problems) > MAX_PROBLEMS_SHOWN else ""
    raise IntegrityError(f"{source} does not verify, nothing was kept: {shown}{more}")


def clone(source: str, target: Path, registry: Registry, database_url: str = "") -> audit.Report:
    """Fetch a co-op's repository, verify every commit, then create a node at target without any keys."""
    if not source:
        raise BadInput("say where to clone from: a URL such as http://host:8000/git/ or a path")
    with built_in_place(target, "clone") as scratch:
        store = GitStore.create(scratch / REPO_DIR)
        head = fetch(store.path, source, BRANCH)
        report = audit.verify_repository(GitStore(store.path), registry)
        check_report(report, source)
        git(store.path, "remote", "add", "origin", source)
        git(store.path, "update-ref", SERVED + peer_id(source), head)
        (scratch / KEYS_DIR).mkdir(mode=0o700)
        config.write_node_file(scratch, {"node_name": "", "identity": ""})
        index = Index(open_database(database_url, scratch), registry.indexers())
        try:
            index.update(GitStore(store.path))
        finally:
            index.db.close()
    return report


@dataclass(frozen=True)
class SyncResult:
    """What syncing with one peer did, or why it refused, and where the evidence went.

    `taken` counts the peer's new commits taken, `offered` our statements the peer
    accepted, `merged` tells whether two diverged histories were joined, and
    `left_out` lists statements the merge rule left out, with why.
    """

    peer: str
    taken: int = 0
    refused: str | None = None
    evidence: Path | None = None
    offered: int = 0
    offer_problems: tuple[str, ...] = ()
    merged: bool = False
    left_out: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return self.refused is None


@dataclass(frozen=True)
class Offered:
    """What a peer answered when offered our statements: how many it took, and what it said of the others."""

    accepted: int
    problems: tuple[str, ...] = ()


# Posts statements to a peer's API (their exact bytes, in order); never raises for a refusal.
Offer = Callable[[str, Sequence[bytes]], Offered]


def peer_id(source: str) -> str:
    """Return a short stable name for a peer's refs and evidence."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def peers(store: GitStore) -> list[str]:
    """Return the URLs of the repository's git remotes (`origin` after a clone)."""
    return [remote.url for remote in store.repo.remotes if remote.url]


def statements_missing(store: GitStore, ours: str, theirs: str) -> list[bytes]:
    """Return the statements of commits we hold and the peer does not, oldest first, each once.

    A statement one of our merges left out (merge.LEFT_OUT), and that our head does
    not hold either, lost to another one already: offering it again would only
    be refused again.
    """
    commits = new_commits(store.repo, store.repo[ours].id, store.repo[theirs].id)
    head = Snapshot(store.repo, commit_at(store.repo, ours))
    left_out = {line[len(merge.LEFT_OUT):].split(" (", 1)[0] for commit in commits if len(commit.parents) > 1
                for line in commit.message.splitlines() if line.startswith(merge.LEFT_OUT)}
    found: list[bytes] = []
    seen: set[bytes] = set()
    for commit in commits:
        if len(commit.parents) > 1:
            continue
        snapshot = Snapshot(store.repo, commit)
        for path in statement_order(commit.message):
            raw = snapshot.read(path)
            if raw is None or raw in seen or (path in left_out and head.read(path) != raw):
                continue
            seen.add(raw)
            found.append(raw)
    return found


class Peer:
    """One sync with one peer: what it served before, what it serves now, and our branch."""

    def __init__(self, store: GitStore, home: Path, source: str, check_fork: ForkCheck, keep: Sequence[str]) -> None:
        self.store, self.home, self.source, self.check_fork, self.keep = store, home, source, check_fork, keep
        self.incoming, self.served = INCOMING + peer_id(source), SERVED + peer_id(source)
        head = store.head()
        self.ours = str(head.id) if head is not None else None
        self.theirs = ""

    def refuse(self, kind: str, reason: str, **done: Any) -> SyncResult:
        """Keep both sides as evidence and say why the peer was refused."""
        where = save_evidence(self.store, self.home, kind, self.source, self.ours, self.theirs, reason, self.keep)
        return SyncResult(self.source, refused=reason, evidence=where, **done)

    def fetch(self) -> str | None:
        """Fetch the peer's branch; return why it is refused if it no longer descends from what it served before."""
        repo = self.store.repo
        self.theirs = fetch(self.store.path, self.source, self.incoming)
        before = str(repo.references[self.served].target) if self.served in repo.references else None
        if before is not None and before != self.theirs and not repo.descendant_of(self.theirs, before):
            fork = self.check_fork(view_at(self.store, before), view_at(self.store, self.theirs), False)
            return (f"the peer's branch no longer descends from {before[:12]}, which it served before"
                    + (f"; {fork}" if fork else ""))
        repo.references.create(self.served, self.theirs, force=True)  # only ever moves forward, checked just above
        return None

    def join(self, registry: Registry, done: dict[str, Any]) -> SyncResult | None:
        """Verify the peer's new commits, then move our branch to them (or to the merge with them) if it is still at `ours`.

        Return None when the branch moved meanwhile (a local write): the move is a
        compare-and-swap against the head we verified and merged with, so nothing
        that landed locally is lost; `ours` is then the new head, to join again with.
        """
        store, repo, ours, theirs, source = self.store, self.store.repo, self.ours, self.theirs, self.source
        if ours is None or theirs == ours or repo.descendant_of(ours, theirs):
            return SyncResult(source, **done)
        report = audit.verify_repository(store, registry, tip=theirs, known=ours)
        if not report:
            return self.refuse("invalid", "; ".join(str(p) for p in report.problems[:MAX_PROBLEMS_SHOWN]), **done)
        diverged = not repo.descendant_of(theirs, ours)
        fork = self.check_fork(view_at(store, ours), view_at(store, theirs), diverged)
        if fork:
            return self.refuse("fork", fork, **done)
        target = theirs
        if diverged:
            try:
                target, plan = merge.merge_commit(store, registry, ours, theirs)
            except Conflict as e:
                return self.refuse("fork", str(e), **done)
            problems = [m for check in registry.checks() for m in check(view_at(store, target))]
            if problems:
                return self.refuse("invalid", f"merging with the peer breaks: {'; '.join(problems[:MAX_PROBLEMS_SHOWN])}", **done)
            done.update(merged=True, left_out=tuple(plan.left_out))
        if not store.move_branch(repo[ours].id, repo[target].id, f"sync with {source}"):
            self.ours = str(store.repo.references[BRANCH].target)
            return None
        return SyncResult(source, taken=report.commits, **done)


def sync(store: GitStore, registry: Registry, home: Path, source: str, check_fork: ForkCheck,
         keep: Sequence[str] = (), offer: Offer | None = None) -> SyncResult:
    """Offer the peer what it lacks, take what is new there once verified, and join the two histories.

    Statements we hold and the peer does not go to the peer's API first (`offer`),
    so they pass its checks like any write; then the peer is fetched again. Its new
    commits are replayed and the areas' checks run before our branch moves: by a
    fast-forward when our history is part of theirs, else by the deterministic
    merge of coop.merge. A peer that rewrote what it served before, or whose
    checkpoint contradicts ours, is refused and both sides are kept as evidence.
    """
    peer = Peer(store, home, source, check_fork, keep)
    rewritten = peer.fetch()
    if rewritten:
        return peer.refuse("force-reset", rewritten)
    offered = Offered(0)
    if offer is not None and peer.ours is not None and peer.ours != peer.theirs:
        missing = statements_missing(store, peer.ours, peer.theirs)
        if missing:
            offered = offer(source, missing)
            if offered.accepted:
                rewritten = peer.fetch()
                if rewritten:
                    return peer.refuse("force-reset", rewritten)
    done: dict[str, Any] = {"offered": offered.accepted, "offer_problems": offered.problems}
    for _ in range(MOVE_ATTEMPTS):
        result = peer.join(registry, done)  # None: a local commit landed after we verified and merged
        if result is not None:
            return result
    return SyncResult(source, refused=f"the branch kept moving while syncing ({MOVE_ATTEMPTS} local writes); sync again", **done)


def view_at(store: GitStore, commit: str) -> View:
    """Return a view of the repository at a commit."""
    return View(Snapshot(store.repo, commit_at(store.repo, commit)))


def save_evidence(store: GitStore, home: Path, kind: str, source: str, ours: str | None, theirs: str, reason: str,
                  keep: Sequence[str]) -> Path:
    """Keep both sides of a misbehaving peer: refs and a git bundle of theirs, the kept files of both, a report."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    where = home / EVIDENCE_DIR / f"{stamp}-{kind}-{peer_id(source)}"
    where.mkdir(parents=True)
    store.repo.references.create(f"refs/coop/evidence/{where.name}/theirs", theirs)
    if ours is not None:
        store.repo.references.create(f"refs/coop/evidence/{where.name}/ours", ours)
    git(store.path, "bundle", "create", str(where / "theirs.bundle"), f"refs/coop/evidence/{where.name}/theirs")
    for side, commit in (("ours", ours), ("theirs", theirs)):
        if commit is None:
            continue
        snapshot = Snapshot(store.repo, commit_at(store.repo, commit))
        for path in keep:
            data = snapshot.read(path)
            if data is not None:
                (where / f"{side}.{path.replace('/', '.')}").write_bytes(data)
    report = {"kind": kind, "peer": source, "ours": ours, "theirs": theirs, "reason": reason, "found": stamp}
    (where / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    return where


def evidence(home: Path) -> list[dict[str, str]]:
    """Return the reports of the evidence kept so far, oldest first, each with its directory."""
    folder = home / EVIDENCE_DIR
    if not folder.exists():
        return []
    return [{**json.loads((d / REPORT).read_text()), "directory": str(d)} for d in sorted(folder.iterdir()) if (d / REPORT).exists()]
