"""`coop sync` takes a peer's new commits only once they verify, and keeps evidence of a peer that rewrote history."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pygit2
import pytest
from api_harness import ORIGIN, PASSPHRASE, SERVER_ENV, Server, make_node

from api.keeper_keys import STATE_FILE
from api.wiring import open_node
from coop import audit, replication
from coop.node import Node
from coop.store import GitStore
from coop.view import View
from ledger import entries as E
from ledger import records
from ledger.fork import check_fork
from ledger.note import verify_checkpoint

COOP = Path(sys.executable).with_name("coop")


def coop(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the coop command as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(SERVER_ENV)
    return subprocess.run([str(COOP), *args], env=env, capture_output=True, text=True, timeout=120)


def git(repository: Path, *args: str) -> str:
    """Run plain git on a bare repository."""
    return subprocess.run(["git", "--git-dir", str(repository), *args], capture_output=True, text=True, check=True).stdout.strip()


def revenue(home: Path, number: int, amount: int) -> None:
    """Record a revenue entry on a node (the ledger's log grows by one)."""
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    fields = {"id": f"rev-{number}", "client": "acme", "project": None, "amount": amount, "currency": "EUR", "account": "wise-eur"}
    node.write(E.REVENUE, E.with_postings(E.REVENUE, fields), "alice")
    node.index.db.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a node whose last commit put the first entry in the log (checkpoint of size 1)."""
    home = tmp_path_factory.mktemp("sync-base") / "node"
    make_node(home)
    revenue(home, 1, 1500)
    return home


class Pair:
    """A served node (the peer) and a clone of it (ours)."""

    def __init__(self, base: Path, tmp_path: Path) -> None:
        self.peer = tmp_path / "peer"
        shutil.copytree(base, self.peer)
        self.server = Server(self.peer).start()
        self.ours = tmp_path / "ours"
        done = coop("clone", self.url, str(self.ours))
        assert done.returncode == 0, done.stderr

    @property
    def url(self) -> str:
        """Return the peer's git URL."""
        return f"{self.server.url}/git/"

    def head(self, home: Path) -> str:
        """Return a node's branch head."""
        return git(home / "repo.git", "rev-parse", "main")

    def evidence(self) -> list[dict[str, str]]:
        """Return what `coop evidence --json` lists for our node."""
        return json.loads(coop("--home", str(self.ours), "evidence", "--json").stdout)


@pytest.fixture
def pair(base: Path, tmp_path: Path) -> Iterator[Pair]:
    """Return a served peer and our clone of it."""
    made = Pair(base, tmp_path)
    yield made
    made.server.stop()


def test_sync_takes_new_verified_commits(pair: Pair) -> None:
    node = open_node({"home": str(pair.peer), "kdf_cost": "min"}, PASSPHRASE)
    node.add_member("erin", ["learner"], ["html"], author="bob")
    node.index.db.close()

    done = coop("--home", str(pair.ours), "sync")

    assert done.returncode == 0, done.stderr
    assert "took 1 new commits" in done.stdout
    assert pair.head(pair.ours) == pair.head(pair.peer)
    assert "erin" in coop("--home", str(pair.ours), "member", "list").stdout
    assert coop("--home", str(pair.ours), "verify").returncode == 0
    assert pair.evidence() == []


def test_sync_with_nothing_new_changes_nothing(pair: Pair) -> None:
    before = pair.head(pair.ours)
    done = coop("--home", str(pair.ours), "sync", pair.url)

    assert done.returncode == 0, done.stderr
    assert "nothing new" in done.stdout
    assert pair.head(pair.ours) == before


def test_unsigned_commit_on_top_is_refused_before_it_touches_the_branch(pair: Pair, tmp_path: Path) -> None:
    before = pair.head(pair.ours)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", str(pair.peer / "repo.git"), str(tmp_path / "wt")], env=env, check=True)
    (tmp_path / "wt" / "notice.txt").write_text("pay eve\n")
    for args in (["add", "notice.txt"], ["-c", "user.name=node", "-c", "user.email=node@coop", "commit", "-qm", "notice"],
                 ["push", "-q", "origin", "HEAD:main"]):
        subprocess.run(["git", "-C", str(tmp_path / "wt"), *args], env=env, check=True)

    done = coop("--home", str(pair.ours), "sync")

    assert done.returncode != 0
    assert "commit has no signature" in done.stderr
    assert pair.head(pair.ours) == before
    assert [e["kind"] for e in pair.evidence()] == ["invalid"]


def test_force_reset_that_shrinks_the_log_is_refused_and_kept_as_evidence(pair: Pair) -> None:
    before = pair.head(pair.ours)
    git(pair.peer / "repo.git", "update-ref", "refs/heads/main", f"{before}~1")

    done = coop("--home", str(pair.ours), "sync")

    assert done.returncode != 0
    assert "no longer descends" in done.stderr and "rolled back" in done.stderr
    assert pair.head(pair.ours) == before
    [kept] = pair.evidence()
    assert (kept["kind"], kept["ours"], kept["theirs"]) == ("force-reset", before, git(pair.peer / "repo.git", "rev-parse", "main"))
    folder = Path(kept["directory"])
    assert (folder / "ours.ledger.checkpoint").exists() and (folder / "theirs.bundle").stat().st_size > 0
    assert "force-reset" in coop("--home", str(pair.ours), "evidence").stdout


def test_forked_checkpoint_is_refused_and_both_checkpoints_are_kept(pair: Pair) -> None:
    before = pair.head(pair.ours)
    # The peer's keeper rewrites history: drops the last entry and signs another one at the same size.
    git(pair.peer / "repo.git", "update-ref", "refs/heads/main", f"{before}~1")
    (pair.peer / STATE_FILE).unlink(missing_ok=True)
    revenue(pair.peer, 2, 999)

    done = coop("--home", str(pair.ours), "sync")

    assert done.returncode != 0
    assert "two roots for the tree of size 1" in done.stderr
    assert pair.head(pair.ours) == before
    [kept] = pair.evidence()
    folder = Path(kept["directory"])
    node = open_node({"home": str(pair.ours)})
    key = records.verifier(node.view())
    node.index.db.close()
    ours, theirs = (verify_checkpoint((folder / f"{side}.ledger.checkpoint").read_bytes(), key, ORIGIN).checkpoint
                    for side in ("ours", "theirs"))
    assert ours.size == theirs.size == 1
    assert ours.root != theirs.root


class LandingFirst(GitStore):
    """Our repository, where local writes land just before sync's branch moves (after it verified and merged), one a move."""

    def __init__(self, path: Path, writes: list[Callable[[], str]]) -> None:
        super().__init__(path)
        self.writes = writes
        self.landed: list[str] = []

    def move_branch(self, expected: pygit2.Oid | None, new: pygit2.Oid, message: str) -> bool:
        """Land the next local write, then move the branch as sync asked (the move must now fail and sync join again)."""
        if self.writes:
            self.landed.append(self.writes.pop(0)())
        return super().move_branch(expected, new, message)


def learner_added(node: Node, handle: str) -> Callable[[], str]:
    """Return a write that adds a learner on a node (as carol) and returns the commit it made."""
    return lambda: node.add_member(handle, ["learner"], [], author="carol").commit


@pytest.fixture
def peer(node: Node, tmp_path: Path) -> Path:
    """Return the repository of a copy of our node that then added erin."""
    shutil.copytree(node.home, tmp_path / "peer")
    copy = open_node({"home": str(tmp_path / "peer")})
    copy.add_member("erin", ["learner"], [], author="bob")
    copy.index.db.close()
    return tmp_path / "peer" / "repo.git"


@pytest.mark.parametrize("we_wrote_first", [False, True], ids=["fast-forward", "merge"])
def test_a_local_commit_landing_while_sync_moves_the_branch_is_kept(node: Node, peer: Path, we_wrote_first: bool) -> None:
    if we_wrote_first:
        node.add_member("gus", ["learner"], [], author="alice")
    racing = LandingFirst(node.store.path, [learner_added(node, "fay")])

    result = replication.sync(racing, node.registry, node.home, str(peer), check_fork)

    assert result and result.merged and result.taken == 1
    head = racing.head()
    assert head is not None and len(racing.landed) == 1 and racing.repo.descendant_of(head.id, racing.landed[0])
    view = View(racing.snapshot())
    assert all(view.member(h) is not None for h in ["erin", "fay"] + (["gus"] if we_wrote_first else []))
    assert audit.verify_repository(node.store, node.registry)


def test_a_sync_outrun_by_local_writes_every_time_gives_up_and_keeps_them_all(node: Node, peer: Path) -> None:
    writes = [learner_added(node, f"learner-{n}") for n in range(replication.MOVE_ATTEMPTS)]
    racing = LandingFirst(node.store.path, writes)

    result = replication.sync(racing, node.registry, node.home, str(peer), check_fork)

    assert not result and "kept moving" in (result.refused or "")
    head = racing.head()
    assert head is not None and str(head.id) == racing.landed[-1]
    assert View(racing.snapshot()).member("erin") is None
