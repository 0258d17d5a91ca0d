"""`coop serve` serves the repository read-only over git's smart HTTP: plain git clones and verifies it, and cannot push."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from api_harness import Server, make_node


def git(*args: str, cwd: Path | None = None, home: Path) -> subprocess.CompletedProcess[str]:
    """Run plain git with no user or system configuration."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def refs(server: Server) -> str:
    """Return every ref of the served repository with its target."""
    return subprocess.run(["git", "-C", str(server.home / "repo.git"), "for-each-ref"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Return a node served by `coop serve`."""
    home = tmp_path_factory.mktemp("git-http") / "node"
    make_node(home)
    server = Server(home).start()
    yield server
    server.stop()


def test_plain_git_clones_over_http_and_verifies_the_head_commit(served: Server, tmp_path: Path) -> None:
    cloned = git("clone", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path)
    assert cloned.returncode == 0, cloned.stderr

    verified = git("-c", "gpg.ssh.allowedSignersFile=keys/allowed_signers", "verify-commit", "HEAD", cwd=tmp_path / "clone", home=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert 'Good "git" signature for node' in verified.stderr
    served_head = subprocess.run(["git", "-C", str(served.home / "repo.git"), "rev-parse", "main"], capture_output=True, text=True).stdout
    assert git("rev-parse", "HEAD", cwd=tmp_path / "clone", home=tmp_path).stdout == served_head


def test_push_over_http_is_refused_with_403(served: Server, tmp_path: Path) -> None:
    assert git("clone", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path).returncode == 0
    before = refs(served)
    git("-c", "user.name=eve", "-c", "user.email=eve@example", "commit", "--allow-empty", "-m", "forged", cwd=tmp_path / "clone", home=tmp_path)

    pushed = git("push", "origin", "HEAD:refs/heads/forged", cwd=tmp_path / "clone", home=tmp_path)

    assert pushed.returncode != 0
    assert "403" in pushed.stderr
    assert refs(served) == before


def test_the_api_is_still_served_next_to_git(served: Server) -> None:
    assert requests.get(f"{served.url}/api/v1", timeout=5).status_code == 200
    assert requests.get(f"{served.url}/git/info/refs?service=git-receive-pack", timeout=5).status_code == 403
