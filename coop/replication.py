"""Replicate a co-op's repository with git itself, verifying everything before it counts.

`clone` fetches a repository (over smart HTTP or from a path) into a scratch
directory beside the target, replays and checks every commit there
(coop.audit.verify_repository), and only then moves a finished node into place:
repository, node.toml and index, no private keys. Anything that fails leaves
nothing behind. The source is kept as the git remote `origin` of the bare
repository, so `coop sync` knows where to fetch from.

`sync` fetches a peer's branch into `refs/coop/incoming/<peer>`, never into the
branch. The branch only fast-forwards to it once every new commit replays and
the areas' checks (the ledger against its checkpoint) pass. A peer whose branch
no longer descends from what it served before (a force-reset), or whose
checkpoint contradicts ours (two roots for one size, a tree that does not extend
ours), is refused and both sides are kept as evidence under `<home>/evidence/`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pygit2

from coop import audit, config
from coop.errors import BadInput, Conflict, IntegrityError, StoreError
from coop.index import Index, open_database
from coop.kinds import Registry
from coop.node import KEYS_DIR, REPO_DIR
from coop.store import BRANCH, GitStore, Snapshot
from coop.view import View

FETCH_TIMEOUT = 300
MAX_PROBLEMS_SHOWN = 5
EVIDENCE_DIR = "evidence"
INCOMING = "refs/coop/incoming/"
SERVED = "refs/coop/peers/"  # what each peer served last time, verified or not: a later rewrite of it is evidence
REPORT = "report.json"

ForkCheck = Callable[[View, View], str | None]


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
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"{target} exists and is not empty")
    if not source:
        raise BadInput("say where to clone from: a URL such as http://host:8000/git/ or a path")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.clone-", dir=target.parent))
    try:
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
        if target.exists():
            target.rmdir()
        os.rename(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return report


@dataclass(frozen=True)
class SyncResult:
    """What syncing with one peer did: `taken` new commits, or why it refused, and where the evidence went."""

    peer: str
    taken: int = 0
    refused: str | None = None
    evidence: Path | None = None

    def __bool__(self) -> bool:
        return self.refused is None


def peer_id(source: str) -> str:
    """Return a short stable name for a peer's refs and evidence."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def peers(store: GitStore) -> list[str]:
    """Return the URLs of the repository's git remotes (`origin` after a clone)."""
    return [remote.url for remote in store.repo.remotes if remote.url]


def sync(store: GitStore, registry: Registry, home: Path, source: str, check_fork: ForkCheck,
         keep: Sequence[str] = ()) -> SyncResult:
    """Fetch a peer's branch, verify what is new, and fast-forward to it; refuse and keep evidence if it misbehaves."""
    name = peer_id(source)
    incoming, served = INCOMING + name, SERVED + name
    theirs = fetch(store.path, source, incoming)
    repo = store.repo
    head = store.head()
    ours = str(head.id) if head is not None else None
    before = str(repo.references[served].target) if served in repo.references else None

    def refuse(kind: str, reason: str) -> SyncResult:
        return SyncResult(source, refused=reason, evidence=save_evidence(store, home, kind, source, ours, theirs, reason, keep))

    if before is not None and before != theirs and not repo.descendant_of(theirs, before):
        fork = check_fork(view_at(store, before), view_at(store, theirs))
        return refuse("force-reset", f"the peer's branch no longer descends from {before[:12]}, which it served before"
                      + (f"; {fork}" if fork else ""))
    repo.references.create(served, theirs, force=True)  # only ever moves forward, checked just above
    if ours is None or theirs == ours or repo.descendant_of(ours, theirs):
        return SyncResult(source)
    if not repo.descendant_of(theirs, ours):
        fork = check_fork(view_at(store, ours), view_at(store, theirs))
        if fork:
            return refuse("fork", fork)
        return SyncResult(source, refused="the peer's history and ours diverged; merging them is not supported yet")
    report = audit.verify_repository(store, registry, tip=theirs, known=ours)
    if not report:
        return refuse("invalid", "; ".join(str(p) for p in report.problems[:MAX_PROBLEMS_SHOWN]))
    fork = check_fork(view_at(store, ours), view_at(store, theirs))
    if fork:
        return refuse("fork", fork)
    try:
        repo.references[BRANCH].set_target(theirs)
    except (OSError, pygit2.GitError) as e:
        return SyncResult(source, refused=f"the branch moved while syncing (a local write?); sync again: {e}")
    return SyncResult(source, taken=report.commits)


def view_at(store: GitStore, commit: str) -> View:
    """Return a view of the repository at a commit."""
    return View(Snapshot(store.repo, store.repo[commit]))


def save_evidence(store: GitStore, home: Path, kind: str, source: str, ours: str | None, theirs: str, reason: str,
                  keep: Sequence[str]) -> Path:
    """Keep both sides of a misbehaving peer: refs and a git bundle of theirs, the kept files of both, a report."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    where = home / EVIDENCE_DIR / f"{stamp}-{kind}-{peer_id(source)}"
    where.mkdir(parents=True)
    store.repo.references.create(f"refs/coop/evidence/{where.name}/theirs", theirs)
    if ours is not None:
        store.repo.references.create(f"refs/coop/evidence/{where.name}/ours", ours)
    git(store.path, "bundle", "create", str(where / "theirs.bundle"), f"refs/coop/evidence/{where.name}/theirs")
    for side, commit in (("ours", ours), ("theirs", theirs)):
        if commit is None:
            continue
        snapshot = Snapshot(store.repo, store.repo[commit])
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
