"""The git store: a bare repository, written with pygit2 and no work tree.

One call commits several file changes at once. The branch moves by
compare-and-swap, so concurrent writers (threads or processes) retry instead of
losing each other's commits, and each attempt re-runs the caller's checks against
the new parent. Every commit is signed in SSHSIG format with the node's key.

Every writer moves the branch while holding the store's advisory lock (flock on
WRITER_LOCK in the repository), which the kernel drops when its holder dies. So
a `refs/heads/main.lock` found while holding it was left by a writer that died
mid-move, and is removed at once. Plain git writing to the same repository
(`git update-ref`, `git gc`, a push) does not take that lock and is not a
supported writer while the node runs.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import random
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pygit2

from coop import sshsig
from coop.errors import BadInput, NotFound, StaleWrite, StoreError
from coop.keys import KeyPair

BRANCH = "refs/heads/main"
WRITER_LOCK = "coop-writer.flock"
RETRY_SECONDS = 15.0
ATTRIBUTES = "*.json merge=binary\n*.md merge=binary\n"

Changes = Mapping[str, bytes | None]
Level = dict[str, "bytes | None | Level"]  # changes grouped by folder, one level per path part


# pygit2 types every lookup as Object; these name what the caller knows the id holds (a branch target is a commit,
# a tree entry of blob type is a blob), so a reader gets the type without a check per call.
def commit_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Commit:
    """Return the commit with this id."""
    return cast(pygit2.Commit, repo[oid])


def tree_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Tree:
    """Return the tree with this id."""
    return cast(pygit2.Tree, repo[oid])


def blob_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> bytes:
    """Return the bytes of the blob with this id."""
    return cast(pygit2.Blob, repo[oid]).data


def entry_name(item: pygit2.Object) -> str:
    """Return the name of an object read as a tree entry (only objects looked up by id have none)."""
    return cast(str, item.name)


def check_path(path: str) -> list[str]:
    """Split a repository path into parts, refusing anything that could escape or hide."""
    parts = path.split("/")
    for part in parts:
        if not part or part in (".", "..") or part.startswith(".") or "\\" in part or "\x00" in part or part.lower().startswith("git~"):
            raise BadInput(f"path {path!r} is not a safe repository path")
    return parts


@dataclass(frozen=True)
class CommitSigner:
    """The node identity that signs commits: its key, name and e-mail for git."""

    pair: KeyPair
    name: str
    email: str


@dataclass(frozen=True)
class Revision:
    """One commit that changed a path: what history shows."""

    commit: str
    time: int
    message: str
    blob: str | None


class Snapshot:
    """A read-only view of the repository at one commit (or empty)."""

    def __init__(self, repo: pygit2.Repository, commit: pygit2.Commit | None) -> None:
        self.repo = repo
        self.commit = commit
        self.tree = commit.tree if commit is not None else None

    @property
    def id(self) -> str | None:
        """Return the commit id of this snapshot, None for an empty repository."""
        return str(self.commit.id) if self.commit is not None else None

    def _entry(self, path: str) -> pygit2.Object | None:
        if self.tree is None:
            return None
        try:
            return self.tree[path]
        except KeyError:
            return None

    def read(self, path: str) -> bytes | None:
        """Return the bytes of a file, or None if there is none at that path."""
        check_path(path)
        entry = self._entry(path)
        if entry is None or entry.type != pygit2.GIT_OBJECT_BLOB:
            return None
        return blob_at(self.repo, entry.id)

    def blob_id(self, path: str) -> str | None:
        """Return the git blob id at a path, or None."""
        entry = self._entry(path)
        return str(entry.id) if entry is not None and entry.type == pygit2.GIT_OBJECT_BLOB else None

    def list(self, directory: str) -> list[str]:
        """List the names directly inside a directory (empty if it does not exist)."""
        check_path(directory)
        entry = self._entry(directory)
        if entry is None or entry.type != pygit2.GIT_OBJECT_TREE:
            return []
        return sorted(entry_name(item) for item in tree_at(self.repo, entry.id))

    def blob_ids(self, directory: str) -> dict[str, str]:
        """Return the blob id of every file directly inside a directory, by name, resolving the directory once."""
        check_path(directory)
        entry = self._entry(directory)
        if entry is None or entry.type != pygit2.GIT_OBJECT_TREE:
            return {}
        return {entry_name(item): str(item.id) for item in tree_at(self.repo, entry.id) if item.type == pygit2.GIT_OBJECT_BLOB}

    def read_dir(self, directory: str) -> dict[str, bytes]:
        """Return every file directly inside a directory, by name, resolving the directory once."""
        return {name: blob_at(self.repo, oid) for name, oid in self.blob_ids(directory).items()}

    def walk(self, directory: str = "") -> Iterator[str]:
        """Yield the path of every file below a directory, in sorted order."""
        tree = self.tree if not directory else None
        if directory:
            entry = self._entry(directory)
            if entry is not None and entry.type == pygit2.GIT_OBJECT_TREE:
                tree = tree_at(self.repo, entry.id)
        if tree is None:
            return
        prefix = f"{directory}/" if directory else ""
        for item in sorted(tree, key=entry_name):
            path = prefix + entry_name(item)
            if item.type == pygit2.GIT_OBJECT_TREE:
                yield from self.walk(path)
            else:
                yield path


class GitStore:
    """A bare git repository holding the co-op's signed record."""

    def __init__(self, path: Path, retry_seconds: float = RETRY_SECONDS) -> None:
        try:
            self.repo = pygit2.Repository(str(path))
        except pygit2.GitError as e:
            raise StoreError(f"no co-op repository at {path}: {e}") from e
        self.path = path
        self.retry_seconds = retry_seconds

    @classmethod
    def create(cls, path: Path) -> GitStore:
        """Create an empty bare repository whose statements merge as whole files."""
        if path.exists() and any(path.iterdir()):
            raise StoreError(f"{path} exists and is not empty")
        pygit2.init_repository(str(path), bare=True, initial_head="main")
        (path / "info").mkdir(exist_ok=True)
        (path / "info" / "attributes").write_text(ATTRIBUTES)
        return cls(path)

    def head(self) -> pygit2.Commit | None:
        """Return the commit the branch points at, None before the first commit."""
        head = self.head_id()
        try:
            return commit_at(self.repo, head) if head is not None else None
        except KeyError:
            return None

    def head_id(self) -> pygit2.Oid | None:
        """Return the id the branch points at without reading the commit, None before the first commit."""
        ref = self.repo.references.get(BRANCH)
        return cast(pygit2.Oid, ref.target) if ref is not None else None  # the branch is a direct reference, never symbolic

    def damage(self, oid: pygit2.Oid) -> str | None:
        """Return what is wrong with a stored object (missing, unreadable, not what its id names), None if it is whole.

        A loose object is checked here before libgit2 reads it: libgit2 1.9 never
        returns from reading a truncated one.
        """
        loose = Path(self.repo.path) / "objects" / str(oid)[:2] / str(oid)[2:]
        try:
            return loose_damage(loose.read_bytes(), str(oid))
        except FileNotFoundError:
            pass  # packed, or missing: libgit2 tells which
        try:
            self.repo.odb.read(oid)
        except KeyError:
            return "missing"
        except (pygit2.GitError, ValueError) as e:
            return f"unreadable ({e})"
        return None

    def snapshot(self, rev: str | None = None) -> Snapshot:
        """Return a view of the repository at a revision (default: the branch head)."""
        if rev is None:
            return Snapshot(self.repo, self.head())
        try:
            commit = self.repo.revparse_single(rev).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError) as e:
            raise NotFound(f"no revision {rev!r}") from e
        return Snapshot(self.repo, commit)

    def read(self, path: str, rev: str | None = None) -> bytes:
        """Return a file's bytes at a revision, or raise NotFound."""
        data = self.snapshot(rev).read(path)
        if data is None:
            raise NotFound(f"no file {path!r}" + (f" at {rev}" if rev else ""))
        return data

    def history(self, path: str) -> list[Revision]:
        """Return the commits that changed a path, newest first."""
        check_path(path)
        head = self.head()
        if head is None:
            return []
        revisions = []
        for commit in self.repo.walk(head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME):
            mine = Snapshot(self.repo, commit).blob_id(path)
            parents = [Snapshot(self.repo, parent).blob_id(path) for parent in commit.parents]
            if (not parents and mine is not None) or (parents and all(p != mine for p in parents)):
                revisions.append(Revision(str(commit.id), commit.commit_time, commit.message.strip(), mine))
        return revisions

    def commit(self, prepare: Callable[[Snapshot], Changes], message: str | Callable[[], str], signer: CommitSigner) -> str:
        """Apply the changes `prepare` computes from the current head in one signed commit.

        Return the new commit's id, or the head's when `prepare` finds nothing to change.

        `prepare` runs again on every retry, against the new head, so checks it makes
        (sequence numbers, taken names) always hold for the commit that lands. The
        message may be a function, called after `prepare`, when it names what was prepared.
        """
        deadline = time.monotonic() + self.retry_seconds
        attempt = 0
        while attempt == 0 or time.monotonic() < deadline:
            attempt += 1
            head = self.head()
            snapshot = Snapshot(self.repo, head)
            try:
                changes = prepare(snapshot)
            except StaleWrite:
                continue
            if not changes:
                return snapshot.id or ""
            tree = self.build_tree(snapshot.tree, changes)
            text = message() if callable(message) else message
            oid = self._write_commit(tree, head, text, signer)
            if self.move_branch(head.id if head is not None else None, oid, text.splitlines()[0]):
                return str(oid)
            time.sleep(random.uniform(0, min(0.002 * attempt, 0.2)))
        raise StoreError(f"could not move {BRANCH} after {attempt} attempts: too many concurrent writers, "
                         "or a git command outside coop holding the branch")

    def move_branch(self, expected: pygit2.Oid | None, new: pygit2.Oid, message: str) -> bool:
        """Point the branch at `new` if it still points at `expected` (None: no branch yet); tell whether it moved."""
        with self.writer_lock():
            current = self.repo.references.get(BRANCH)
            if (current.target if current is not None else None) != expected:
                return False
            try:
                if current is None:
                    self.repo.references.create(BRANCH, new)
                else:
                    current.set_target(new, message)
            except (pygit2.GitError, OSError, pygit2.AlreadyExistsError):
                return False  # not written (a full disk, git outside coop in the way): retry while the deadline allows
            return True

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the lock every coop writer takes to move the branch, clearing a branch lock left by a dead writer."""
        with open(Path(self.repo.path) / WRITER_LOCK, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the kernel releases it when the file closes or its holder dies
            (Path(self.repo.path) / (BRANCH + ".lock")).unlink(missing_ok=True)
            yield

    def _write_commit(self, tree: pygit2.Oid, parent: pygit2.Commit | None, message: str, signer: CommitSigner) -> pygit2.Oid:
        who = pygit2.Signature(signer.name, signer.email, int(time.time()), 0)
        parents: list[str | pygit2.Oid] = [parent.id] if parent is not None else []
        text = cast(str, self.repo.create_commit_string(who, who, message, tree, parents))  # the stub says Oid; it is the commit's text
        signature = sshsig.sign(signer.pair, text.encode("utf-8"))
        return self.repo.create_commit_with_signature(text, signature)

    def build_tree(self, base: pygit2.Tree | None, changes: Changes) -> pygit2.Oid:
        """Write the tree of base with changes applied (None deletes), rewriting only the changed paths."""
        nested: Level = {}
        for path, data in changes.items():
            parts = check_path(path)
            node = nested
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise BadInput(f"{path!r} conflicts with another change")
                node = child
            node[parts[-1]] = data
        return self._write_level(base, nested) or self.repo.TreeBuilder().write()

    def _write_level(self, base: pygit2.Tree | None, nested: Level) -> pygit2.Oid | None:
        """Rewrite only the trees along changed paths, so a commit costs O(depth), not O(size)."""
        builder = self.repo.TreeBuilder(base) if base is not None else self.repo.TreeBuilder()
        for name, change in nested.items():
            existing = builder.get(name)
            if isinstance(change, dict):
                sub_base = tree_at(self.repo, existing.id) if existing is not None and existing.type == pygit2.GIT_OBJECT_TREE else None
                sub = self._write_level(sub_base, change)
                if sub is None:
                    if existing is not None:
                        builder.remove(name)
                else:
                    builder.insert(name, sub, pygit2.GIT_FILEMODE_TREE)
            elif change is None:
                if existing is not None:
                    builder.remove(name)
            else:
                builder.insert(name, self.repo.create_blob(change), pygit2.GIT_FILEMODE_BLOB)
        return builder.write() if len(builder) else None

    def maintain(self) -> None:
        """Let git pack loose objects when there are many (pygit2 never does), holding the writer lock: gc locks refs too."""
        with self.writer_lock():
            subprocess.run(["git", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"], cwd=self.repo.path, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})


def loose_damage(data: bytes, hexid: str) -> str | None:
    """Return what is wrong with the bytes of a loose object file, None if they hold the object its id names."""
    try:
        raw = zlib.decompress(data)
    except zlib.error as e:
        return f"cannot be inflated ({e})"
    header, nul, body = raw.partition(b"\0")
    kind, _, size = header.partition(b" ")
    if not nul or kind not in (b"commit", b"tree", b"blob", b"tag") or not size.isdigit() or int(size) != len(body):
        return "has no valid object header"
    if hashlib.sha1(raw).hexdigest() != hexid:
        return "does not hash to its id"
    return None


def changed_files(repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree | None, prefix: str = "") -> Iterator[tuple[str, pygit2.Oid | None]]:
    """Yield (path, new blob id or None if deleted) for every file that differs between two trees.

    Only subtrees whose ids differ are entered, so a commit that changes one file
    costs O(depth), however large the repository (libgit2's tree diff reads whole trees).
    """
    before = {entry_name(item): item for item in old} if old is not None else {}
    after = {entry_name(item): item for item in new} if new is not None else {}
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is not None and b is not None and a.id == b.id:
            continue
        path = prefix + name
        a_tree = tree_at(repo, a.id) if a is not None and a.type == pygit2.GIT_OBJECT_TREE else None
        b_tree = tree_at(repo, b.id) if b is not None and b.type == pygit2.GIT_OBJECT_TREE else None
        if a_tree is not None or b_tree is not None:
            yield from changed_files(repo, a_tree, b_tree, path + "/")
        if b is not None and b.type == pygit2.GIT_OBJECT_BLOB:
            yield path, b.id
        elif a is not None and a.type == pygit2.GIT_OBJECT_BLOB:
            yield path, None
