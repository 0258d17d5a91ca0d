"""Kernel fixtures: the git command line as a user has it, and statements signed by hand."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from coop import statements
from coop.keys import KeyPair
from coop.node import Node

GitRun = Callable[..., subprocess.CompletedProcess]


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
def sign_as(node: Node) -> Callable[..., bytes]:
    """Return a function that signs a statement with any key, by default at the author's next sequence number."""

    def sign(pair: KeyPair, kind: str, fields: Mapping[str, Any], seq: int | None = None) -> bytes:
        view = node.view()
        number = seq if seq is not None else view.last_seq(pair.handle) + 1
        return statements.sign(statements.make_body(kind, view.origin, pair.handle, number, fields), [pair])

    return sign
