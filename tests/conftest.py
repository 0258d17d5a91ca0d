"""Shared fixtures: a fresh node in a temporary directory, with real git and real keys, and the git command line as a user has it."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.wiring import create_node
from coop import replay, statements
from coop.keys import KeyStore
from coop.node import Node
from coop.store import Snapshot
from coop.view import View

PASSPHRASE = "test passphrase"
ORIGIN = "coop.example/test"
GitRun = Callable[..., subprocess.CompletedProcess]
# The test charter lets a vote last a second, so tests of windows need not wait (a real co-op's minimum is 48 hours).
CHARTER_RULES = {"min_window_seconds": {"default": 1}}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the developer's COOP_* settings; keys use the cheapest KDF."""
    for name in ("COOP_HOME", "COOP_IDENTITY", "COOP_DATABASE_URL", "COOP_NODE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COOP_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("COOP_KDF_COST", "min")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Return a data directory for a node that does not exist yet."""
    return tmp_path / "node"


CreateAt = Callable[..., Node]


@pytest.fixture
def create_at() -> CreateAt:
    """Return how `node` founds a node at a home (the rest as coop.node.create takes it): with every area.

    tests/coop/conftest.py overrides it with the kernel's area alone.
    """
    return lambda home, *founding, **options: create_node({"home": str(home)}, *founding, **options)


@pytest.fixture
def node(home: Path, create_at: CreateAt) -> Iterator[Node]:
    """Return a fresh node: founder alice, members bob (mentor) and carol, learner dan."""
    created = create_at(home, "Test Co-op", ORIGIN, "alice", rules=CHARTER_RULES)
    created.add_member("bob", ["member", "mentor"], ["python", "web"])
    created.add_member("carol", ["member"], ["design"])
    created.add_member("dan", ["learner"], ["html"], author="bob")
    yield created
    created.index.db.close()


@pytest.fixture
def git(tmp_path: Path) -> GitRun:
    """Return a runner for the git CLI with no user or system configuration of its own."""
    empty_config = tmp_path / "empty.gitconfig"
    empty_config.touch()
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(empty_config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Mallory",
        "GIT_AUTHOR_EMAIL": "mallory@example.org",
        "GIT_COMMITTER_NAME": "Mallory",
        "GIT_COMMITTER_EMAIL": "mallory@example.org",
        "GIT_TERMINAL_PROMPT": "0",
    }

    def run(*args: str, cwd: Path | None = None, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run


@pytest.fixture
def commit_outside_platform(git: GitRun, tmp_path: Path) -> Callable[[Path], str]:
    """Return a function that pushes an unsigned commit into a bare repository with plain git."""

    def add(repository: Path) -> str:
        work = tmp_path / "outside-clone"
        git("clone", "-q", str(repository), str(work))
        (work / "notes.txt").write_text("added behind the platform's back\n")
        git("add", "notes.txt", cwd=work)
        git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "Sneak in a file", cwd=work)
        git("push", "-q", "origin", "main", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).stdout.strip()

    return add


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every key derivation (argon2id) from now on, in any key store."""
    made: list[str] = []
    derive = KeyStore._derive

    def counted(self: KeyStore, salt: bytes, opslimit: int, memlimit: int) -> bytes:
        made.append(str(self.directory))
        return derive(self, salt, opslimit, memlimit)

    monkeypatch.setattr(KeyStore, "_derive", counted)
    return made


class Clock:
    """A clock the test moves by hand, so time windows pass without sleeping."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> str:
        return statements.format_time(self.moment)

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(node: Node) -> Clock:
    """Give the node a clock the test controls (it starts at the real time and never runs backwards)."""
    fake = Clock()
    node.clock = fake
    return fake


Effects = Callable[[View], Mapping[str, "bytes | None"]]
CommitUnchecked = Callable[[Node, bytes, Effects], str]


@pytest.fixture
def commit_unchecked() -> CommitUnchecked:
    """Return a function that commits one statement where its kind puts it, with the given effects, skipping its checks.

    This is what a rogue or buggy node could write: `coop verify` must report it.
    """

    def commit(node: Node, raw: bytes, effects: Effects) -> str:
        paths: list[str] = []

        def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
            view = View(snapshot)
            statement = statements.verify(raw, origin=view.origin, keys=view.keys)
            paths[:] = [node.registry.kind(statement.type).path(statement)]
            view.stage({paths[0]: raw, **view.seq_change(statement, paths[0])})
            view.stage(effects(view))
            return view.pending

        return node.store.commit(prepare, lambda: f"Unchecked commit\n\n{replay.trailer(paths)}\n", node.commit_signer())

    return commit
