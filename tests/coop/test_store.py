"""The git store: atomic signed commits, reads at any revision, concurrent and crashing writers."""
from __future__ import annotations

import multiprocessing
import multiprocessing.process
import multiprocessing.synchronize
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pygit2
import pytest

from coop import sshsig, store
from coop.errors import BadInput, NotFound
from coop.keys import KeyPair
from coop.node import Node
from coop.store import CommitSigner, GitStore, Snapshot, commit_at

SEED = bytes(range(32))
WRITERS = 4
COMMITS_PER_WRITER = 100
KILL_AFTER_COMMITS = 30

GitRun = Callable[..., subprocess.CompletedProcess]


def node_signer() -> CommitSigner:
    """Return the commit signer every process in these tests uses."""
    return CommitSigner(KeyPair("node", SEED), "node", "node@coop")


def write_files(path: str, prefix: str, count: int | None) -> None:
    """Commit `prefix/<n>.txt` files one per commit, forever when count is None (run in a child process)."""
    repository = GitStore(Path(path))
    signer = node_signer()
    number = 0
    while count is None or number < count:
        name = f"{prefix}/{number:04d}.txt"
        repository.commit(put({name: name.encode()}), f"Write {name}", signer)
        number += 1


def move_the_branch_when_told(path: str, ready: multiprocessing.synchronize.Event, go: multiprocessing.synchronize.Event) -> None:
    """Write a commit and move the branch to it as git does, pausing between taking the branch lock and renaming it."""
    repository = GitStore(Path(path))
    head = repository.head()
    assert head is not None
    tree = repository.build_tree(head.tree, {"slow.txt": b"moved by a slow writer"})
    oid = repository._write_commit(tree, head, "Slow", node_signer())
    lock = repository.path / (store.BRANCH + ".lock")
    with repository.writer_lock():
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, f"{oid}\n".encode())
        os.close(fd)
        ready.set()
        go.wait()
        os.rename(lock, repository.path / store.BRANCH)


def waiting_for(lock_file: Path) -> bool:
    """Tell whether some process waits to flock the file (the kernel lists waiters with `->` in /proc/locks)."""
    inode = f":{lock_file.stat().st_ino} "
    return any("->" in line and "FLOCK" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def put(files: dict[str, bytes | None]) -> Callable[[Snapshot], dict[str, bytes | None]]:
    """Return a prepare function that always makes the same changes."""
    return lambda snapshot: files


@pytest.fixture
def repo(tmp_path: Path) -> GitStore:
    """Return a new store holding one initial commit."""
    created = GitStore.create(tmp_path / "repo.git")
    created.commit(put({"README.md": b"hello\n"}), "Initial commit", node_signer())
    return created


def commit_count(repository: GitStore) -> int:
    """Return how many commits are reachable from the branch."""
    return sum(1 for _ in repository.repo.walk(repository.head_id()))


# -- atomic commits and reads ------------------------------------------------------------------


def test_several_files_land_in_one_commit(repo: GitStore) -> None:
    before = repo.head()

    commit = repo.commit(put({"a.json": b"1", "b/c.json": b"2", "b/d/e.json": b"3"}), "Three files", node_signer())

    after = commit_at(repo.repo, commit)
    assert before is not None and after.parents == [before]
    changed = {d.new_file.path for d in after.tree.diff_to_tree(before.tree, swap=True).deltas}
    assert changed == {"a.json", "b/c.json", "b/d/e.json"}


def test_a_failing_prepare_leaves_the_branch_where_it_was(repo: GitStore) -> None:
    before = repo.head_id()

    def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
        raise BadInput("refused by a check")

    with pytest.raises(BadInput):
        repo.commit(prepare, "Never lands", node_signer())

    assert repo.head_id() == before


def test_one_unsafe_path_refuses_the_whole_commit(repo: GitStore) -> None:
    before = repo.head_id()

    with pytest.raises(BadInput, match="not a safe repository path"):
        repo.commit(put({"good.json": b"1", "../evil.json": b"2"}), "Half good", node_signer())

    assert repo.head_id() == before
    assert repo.snapshot().read("good.json") is None


def test_deleting_a_file_removes_its_empty_directory(repo: GitStore) -> None:
    repo.commit(put({"dir/only.json": b"1"}), "Add", node_signer())

    repo.commit(put({"dir/only.json": None}), "Remove", node_signer())

    assert repo.snapshot().list("dir") == []
    head = repo.head()
    assert head is not None and "dir" not in [entry.name for entry in head.tree]


def test_nothing_to_change_makes_no_commit(repo: GitStore) -> None:
    before = str(repo.head_id())

    assert repo.commit(put({}), "Nothing", node_signer()) == before
    assert str(repo.head_id()) == before


def test_file_reads_back_as_it_was_at_every_revision(repo: GitStore) -> None:
    commits = [repo.commit(put({"doc.txt": f"version {n}".encode()}), f"Version {n}", node_signer()) for n in range(3)]

    assert [repo.read("doc.txt", rev) for rev in commits] == [b"version 0", b"version 1", b"version 2"]
    assert repo.read("doc.txt", "HEAD~1") == b"version 1"
    assert repo.read("doc.txt") == b"version 2"


def test_file_missing_at_a_revision_is_not_found(repo: GitStore) -> None:
    first = str(repo.head_id())
    repo.commit(put({"later.txt": b"x"}), "Later", node_signer())

    with pytest.raises(NotFound):
        repo.read("later.txt", first)


def test_unknown_revision_is_not_found(repo: GitStore) -> None:
    with pytest.raises(NotFound, match="no revision"):
        repo.snapshot("0123456789abcdef0123456789abcdef01234567")


def test_history_lists_only_the_commits_that_changed_a_path_newest_first(repo: GitStore) -> None:
    first = repo.commit(put({"doc.txt": b"1"}), "Write doc", node_signer())
    repo.commit(put({"other.txt": b"x"}), "Unrelated", node_signer())
    second = repo.commit(put({"doc.txt": b"2"}), "Rewrite doc", node_signer())
    removed = repo.commit(put({"doc.txt": None}), "Remove doc", node_signer())

    history = repo.history("doc.txt")

    assert [(r.commit, r.message) for r in history] == [(removed, "Remove doc"), (second, "Rewrite doc"), (first, "Write doc")]
    assert history[0].blob is None
    assert history[2].blob == str(repo.repo.create_blob(b"1"))


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a//b", ".git/config", "a/.GIT/b", "GIT~1/x", "a\\b", "a\x00b", "a/./b", ""],
                         ids=["dotdot", "absolute", "empty-part", "dot-git", "dot-git-upper", "git-8.3", "backslash", "nul",
                              "dot", "empty"])
def test_unsafe_repository_paths_are_refused(repo: GitStore, path: str) -> None:
    with pytest.raises(BadInput, match="not a safe repository path"):
        repo.commit(put({path: b"x"}), "Escape", node_signer())


# -- signatures git itself checks ---------------------------------------------------------------


def test_commits_are_signed_by_the_node_key(repo: GitStore) -> None:
    head = repo.head()
    assert head is not None
    armored, payload = head.gpg_signature

    assert sshsig.verify(armored, payload).raw == node_signer().pair.public.raw


def test_git_verify_commit_accepts_a_store_commit_in_a_plain_clone(node: Node, git: GitRun, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", str(node.store.path), str(clone))

    result = git("-c", "gpg.ssh.allowedSignersFile=keys/allowed_signers", "verify-commit", "HEAD", cwd=clone, check=False)

    assert result.returncode == 0, result.stderr
    assert 'Good "git" signature for node' in result.stderr


def test_git_verify_commit_refuses_an_altered_commit(node: Node, git: GitRun, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", str(node.store.path), str(clone))
    text = git("cat-file", "commit", "HEAD", cwd=clone).stdout
    assert "gpgsig -----BEGIN SSH SIGNATURE-----" in text
    altered = text.replace("coop.member/v1 by bob", "coop.member/v1 by mallory")
    assert altered != text
    forged = git("hash-object", "-t", "commit", "-w", "--stdin", cwd=clone, stdin=altered).stdout.strip()
    git("update-ref", "refs/heads/altered", forged, cwd=clone)

    result = git("-c", "gpg.ssh.allowedSignersFile=keys/allowed_signers", "verify-commit", "altered", cwd=clone, check=False)

    assert result.returncode != 0
    assert "Good" not in result.stderr


# -- concurrent and crashing writers ---------------------------------------------------------------


def test_concurrent_writers_lose_no_commit(repo: GitStore, git: GitRun) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=write_files, args=(str(repo.path), f"w{n}", COMMITS_PER_WRITER)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)

    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    assert commit_count(repo) == WRITERS * COMMITS_PER_WRITER + 1
    written = {f"w{n}/{number:04d}.txt" for n in range(WRITERS) for number in range(COMMITS_PER_WRITER)}
    assert set(repo.snapshot().walk()) == written | {"README.md"}
    git("--git-dir", str(repo.path), "fsck", "--strict")


@pytest.fixture
def crashed(repo: GitStore) -> GitStore:
    """Return the store after a writer in a commit loop was killed with SIGKILL."""
    writer = multiprocessing.get_context("spawn").Process(target=write_files, args=(str(repo.path), "killed", None))
    writer.start()
    deadline = time.monotonic() + 60
    while commit_count(repo) < KILL_AFTER_COMMITS and time.monotonic() < deadline:
        time.sleep(0.005)
    writer.kill()  # SIGKILL
    writer.join()
    return GitStore(repo.path)


def test_writer_killed_mid_commit_loop_leaves_a_valid_repository(crashed: GitStore, git: GitRun) -> None:
    git("--git-dir", str(crashed.path), "fsck", "--strict")


def test_writer_killed_mid_commit_loop_leaves_the_branch_at_a_signed_commit(crashed: GitStore) -> None:
    head = crashed.head()
    assert head is not None
    armored, payload = head.gpg_signature

    assert sshsig.verify(armored, payload).raw == node_signer().pair.public.raw
    assert commit_count(crashed) >= KILL_AFTER_COMMITS


def impatient(repository: GitStore) -> GitStore:
    """Return the store with a single attempt per commit, so a lock wrongly kept fails the commit at once."""
    return GitStore(repository.path, retry_seconds=0)


def test_commit_after_a_killed_writer_succeeds_at_once(crashed: GitStore) -> None:
    before = crashed.head_id()

    commit = impatient(crashed).commit(put({"after.txt": b"still works"}), "After the crash", node_signer())

    assert commit_at(crashed.repo, commit).parents[0].id == before
    assert crashed.read("after.txt") == b"still works"


@dataclass
class SlowWriter:
    """A writer in another process that holds the branch lock until told to finish its move."""

    process: multiprocessing.process.BaseProcess
    go: multiprocessing.synchronize.Event


@pytest.fixture
def slow_writer(repo: GitStore) -> Iterator[SlowWriter]:
    """Start a writer that stops while holding the branch lock (and its lock file), until told to go on."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Event(), context.Event()
    writer = context.Process(target=move_the_branch_when_told, args=(str(repo.path), ready, go))
    writer.start()
    assert ready.wait(60), "the writer never took the branch lock"
    yield SlowWriter(writer, go)
    writer.kill()
    writer.join()


@pytest.fixture
def killed_while_moving(repo: GitStore, slow_writer: SlowWriter) -> GitStore:
    """Return the store after a writer was killed with SIGKILL while it held the branch lock."""
    slow_writer.process.kill()  # SIGKILL
    slow_writer.process.join()
    return GitStore(repo.path)


def test_a_live_writers_branch_lock_is_respected(repo: GitStore, slow_writer: SlowWriter) -> None:
    lock = repo.path / (store.BRANCH + ".lock")
    landed: list[str] = []
    mine = threading.Thread(target=lambda: landed.append(GitStore(repo.path).commit(put({"mine.txt": b"mine"}), "Mine", node_signer())))
    mine.start()
    deadline = time.monotonic() + 20
    while not waiting_for(repo.path / store.WRITER_LOCK) and time.monotonic() < deadline:
        time.sleep(0.01)

    assert waiting_for(repo.path / store.WRITER_LOCK), "the second writer never queued behind the first"
    assert lock.exists()  # kept while its owner lives
    slow_writer.go.set()
    slow_writer.process.join(60)
    mine.join(60)

    assert slow_writer.process.exitcode == 0
    assert landed == [str(repo.head_id())]
    assert set(repo.snapshot().walk()) == {"README.md", "slow.txt", "mine.txt"}


def test_a_writer_killed_while_moving_the_branch_leaves_its_lock(killed_while_moving: GitStore) -> None:
    assert (killed_while_moving.path / (store.BRANCH + ".lock")).exists()
    assert killed_while_moving.read("README.md") == b"hello\n"


def test_the_lock_of_a_writer_killed_while_moving_the_branch_is_cleared_at_once(killed_while_moving: GitStore, git: GitRun) -> None:
    before = killed_while_moving.head_id()

    commit = impatient(killed_while_moving).commit(put({"after.txt": b"x"}), "After the crash", node_signer())

    assert commit_at(killed_while_moving.repo, commit).parents[0].id == before
    assert set(killed_while_moving.snapshot().walk()) == {"README.md", "after.txt"}  # the killed move was never acknowledged
    assert not (killed_while_moving.path / (store.BRANCH + ".lock")).exists()
    git("--git-dir", str(killed_while_moving.path), "fsck", "--strict")


@pytest.mark.parametrize("content", [b"", b"0123", b"0" * 40 + b"\n"], ids=["empty", "half-written", "complete"])
def test_a_leftover_branch_lock_is_cleared_at_once(repo: GitStore, content: bytes) -> None:
    before = repo.head_id()
    lock = repo.path / "refs" / "heads" / "main.lock"
    lock.write_bytes(content)

    commit = impatient(repo).commit(put({"after.txt": b"x"}), "After a leftover lock", node_signer())

    assert str(repo.head_id()) == commit
    assert commit_at(repo.repo, commit).parents[0].id == before
    assert not lock.exists()


def test_branch_moves_only_from_the_parent_it_was_built_on(repo: GitStore) -> None:
    """A writer whose parent went stale retries on the new head and so keeps the other commit."""
    other = GitStore(repo.path)
    calls = []

    def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
        calls.append(snapshot.id)
        if len(calls) == 1:  # another writer lands between this prepare and the branch move
            other.commit(put({"theirs.txt": b"theirs"}), "Theirs", node_signer())
        return {"mine.txt": b"mine"}

    repo.commit(prepare, "Mine", node_signer())

    assert len(calls) == 2 and calls[0] != calls[1]
    assert repo.read("theirs.txt") == b"theirs"
    assert repo.read("mine.txt") == b"mine"


def test_new_store_points_head_at_main(tmp_path: Path) -> None:
    created = GitStore.create(tmp_path / "repo.git")

    assert pygit2.Repository(str(created.path)).references["HEAD"].target == store.BRANCH
