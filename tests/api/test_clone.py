"""`coop clone URL DIR` verifies a served repository before it makes a node, and leaves nothing when it refuses."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from api_harness import PASSPHRASE, SERVER_ENV, Server, make_node

from api.wiring import open_node
from coop import audit, replay, statements
from coop.keys import KeyPair
from governance import proposals as P

COOP = Path(sys.executable).with_name("coop")


def coop(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the coop command as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(SERVER_ENV)
    return subprocess.run([str(COOP), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a node with members and an open proposal that bob voted on."""
    home = tmp_path_factory.mktemp("clone-base") / "node"
    make_node(home)
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-1", "Buy a kettle", "# Kettle\n", "majority", {"kind": "general"}, node.view(), 3600),
               "alice")
    node.write(P.VOTE_TYPE, P.vote_fields(node.view(), "p-1", "yes"), "bob")
    node.index.db.close()
    return home


def copy_of(base: Path, tmp_path: Path) -> Path:
    """Return a copy of the base node to tamper with."""
    home = tmp_path / "served"
    shutil.copytree(base, home)
    return home


@pytest.fixture
def serve() -> Iterator[Callable[[Path], Server]]:
    """Return a function that serves a node with `coop serve` until the test ends."""
    started: list[Server] = []

    def start(home: Path) -> Server:
        started.append(Server(home).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_clone_of_a_good_node_verifies_and_holds_no_keys(base: Path, tmp_path: Path, serve: Callable[[Path], Server]) -> None:
    server = serve(copy_of(base, tmp_path))
    target = tmp_path / "mine"

    done = coop("clone", f"{server.url}/git/", str(target))

    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout
    assert list((target / "keys").iterdir()) == []
    assert coop("--home", str(target), "verify").returncode == 0
    listed = coop("--home", str(target), "member", "list")
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == ["alice", "bob", "carol", "dan"]
    node = open_node({"home": str(target)})
    assert audit.verify_repository(node.store, node.registry)
    assert str(node.store.head_id()) == subprocess.run(["git", "--git-dir", str(server.home / "repo.git"), "rev-parse", "main"],
                                                       capture_output=True, text=True).stdout.strip()
    node.index.db.close()


@pytest.mark.parametrize("suffix", ["", "/", "/git", "/git/"], ids=["node URL", "node URL with slash", "git URL", "git URL with slash"])
def test_clone_takes_a_nodes_own_url_or_its_git_url(suffix: str, base: Path, tmp_path: Path, serve: Callable[[Path], Server]) -> None:
    server = serve(copy_of(base, tmp_path))
    target = tmp_path / "mine"

    done = coop("clone", f"{server.url}{suffix}", str(target))

    assert done.returncode == 0, done.stderr
    remote = subprocess.run(["git", "--git-dir", str(target / "repo.git"), "remote", "get-url", "origin"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert remote.rstrip("/") == f"{server.url}/git"
    synced = coop("--home", str(target), "sync", "--no-offer")
    assert synced.returncode == 0, synced.stderr
    assert "nothing new" in synced.stdout


def test_sync_takes_a_nodes_own_url(base: Path, tmp_path: Path, serve: Callable[[Path], Server]) -> None:
    server = serve(copy_of(base, tmp_path))
    target = tmp_path / "mine"
    coop("clone", server.url, str(target))

    synced = coop("--home", str(target), "sync", "--no-offer", server.url)

    assert synced.returncode == 0, synced.stderr
    assert "nothing new" in synced.stdout


def test_a_keyless_clone_says_which_coop_it_serves_and_that_it_has_no_node_key(base: Path, tmp_path: Path,
                                                                                serve: Callable[[Path], Server]) -> None:
    server = serve(copy_of(base, tmp_path))
    target = tmp_path / "mine"
    coop("clone", server.url, str(target))
    clone = serve(target)

    answer = requests.get(f"{clone.url}/api/v1", timeout=10)

    assert answer.status_code == 200
    assert (answer.json()["origin"], answer.json()["node"]) == (requests.get(f"{server.url}/api/v1", timeout=10).json()["origin"], None)


def add_unsigned_commit(home: Path, work: Path) -> None:
    """Add a file with plain git (no signature) and push it straight into the node's repository."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", str(home / "repo.git"), str(work / "wt")], env=env, check=True)
    (work / "wt" / "notice.txt").write_text("The treasury moved to eve's account.\n")
    subprocess.run(["git", "-C", str(work / "wt"), "add", "notice.txt"], env=env, check=True)
    subprocess.run(["git", "-C", str(work / "wt"), "-c", "user.name=node", "-c", "user.email=node@coop", "commit", "-qm", "notice"],
                   env=env, check=True)
    subprocess.run(["git", "-C", str(work / "wt"), "push", "-q", "origin", "HEAD:main"], env=env, check=True)


def forge_vote(home: Path, signed_as: str, placed_as: str) -> None:
    """Commit, with the node's own valid commit signature, a vote on p-1 signed by one member and filed as another's."""
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    view = node.view()
    body = statements.make_body(P.VOTE_TYPE, view.origin, placed_as, view.last_seq(placed_as) + 1, P.vote_fields(view, "p-1", "no"))
    signer = node.keys.unlock(signed_as)
    raw = statements.sign(body, [KeyPair(placed_as, signer.seed)])
    path = P.vote_path("p-1", placed_as)
    node.store.commit(lambda snapshot: {path: raw}, f"coop.vote/v1 by {placed_as}\n\n{replay.trailer([path])}\n", node.commit_signer())
    node.index.db.close()


@pytest.mark.parametrize(("tamper", "reason"), [
    (lambda home, work: add_unsigned_commit(home, work), "commit has no signature"),
    (lambda home, work: forge_vote(home, signed_as="carol", placed_as="bob"), "votes/bob.json"),
], ids=["unsigned-commit-made-with-plain-git", "vote-signed-by-someone-other-than-its-voter"])
def test_clone_of_a_tampered_repository_is_refused_and_leaves_no_node(base: Path, tmp_path: Path, serve: Callable[[Path], Server],
                                                                       tamper: Callable[[Path, Path], None], reason: str) -> None:
    home = copy_of(base, tmp_path)
    tamper(home, tmp_path)
    server = serve(home)
    target = tmp_path / "clones" / "mine"

    done = coop("clone", f"{server.url}/git/", str(target))

    assert done.returncode != 0
    assert "does not verify, nothing was kept" in done.stderr
    assert reason in done.stderr, done.stderr
    assert not target.exists()
    assert list((tmp_path / "clones").iterdir()) == []


def test_clone_into_a_directory_that_holds_files_is_refused(base: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    done = coop("clone", str(base / "repo.git"), str(target))

    assert done.returncode != 0
    assert "not empty" in done.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
