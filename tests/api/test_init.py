"""`coop init` makes a whole node or nothing, with any founder, and asks a person at a terminal for a passphrase twice."""
from __future__ import annotations

import os
import pty
import select
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api import demo
from api.cli.main import cli
from api.wiring import create_node, open_node
from coop import audit
from coop.errors import CoopError
from coop.node import Node

COOP = Path(sys.executable).with_name("coop")
INIT = ("init", "--name", "Test Co-op", "--origin", "coop.example/test", "--kdf-cost", "min")
PROMPT = b"Passphrase for this node's keys: "
AGAIN = b"The same passphrase again: "
TERMINAL_TIMEOUT = 60


def init(home: Path, *args: str) -> Result:
    """Run `coop init` in-process."""
    return CliRunner().invoke(cli, ["--home", str(home), *INIT, *args])


def members(home: Path) -> list[str]:
    """Return the handles of a node's members, from its index."""
    node = open_node({"home": str(home)})
    try:
        return sorted(node.view().handles())
    finally:
        node.index.db.close()


@pytest.mark.parametrize("founder", ["zoe", "bilal"], ids=["a handle outside the story", "a handle the story uses"])
def test_init_with_demo_data_works_for_any_founder(founder: str, home: Path) -> None:
    result = init(home, "--founder", founder, "--demo")

    assert result.exit_code == 0, result.output
    assert members(home) == sorted({founder, *demo.cast(founder).values()})
    node = open_node({"home": str(home)})
    assert audit.verify_repository(node.store, node.registry)
    node.index.db.close()


def test_the_stand_in_plays_the_part_whose_handle_the_founder_took() -> None:
    assert demo.cast("chen")["chen"] == demo.STAND_IN
    assert demo.cast("zoe") == {part: part for part, *_ in demo.DEMO_MEMBERS}


@pytest.mark.parametrize("args", [
    ("--founder", "Not A Handle!"),
    ("--founder", "alice", "--node-name", "alice"),
    ("--founder", "alice", "--origin", "not an origin"),  # refused after the repository and keys were made
], ids=["an invalid founder handle", "a node named like the founder", "an invalid origin"])
def test_a_refused_init_leaves_nothing_behind(args: tuple[str, ...], home: Path) -> None:
    result = init(home, *args)

    assert result.exit_code != 0
    assert list(home.parent.iterdir()) == []


def test_an_init_that_fails_while_filling_leaves_nothing_behind(home: Path) -> None:
    def fill_then_fail(node: Node) -> None:
        node.add_member("bob", ["member"], [])  # a commit landed before the failure
        raise CoopError("the disk filled up")

    with pytest.raises(CoopError, match="the disk filled up"):
        create_node({"home": str(home)}, "Test Co-op", "coop.example/test", "alice", fill=fill_then_fail)

    assert list(home.parent.iterdir()) == []


def test_init_after_a_failed_init_succeeds(home: Path) -> None:
    init(home, "--founder", "Not A Handle!")

    result = init(home, "--founder", "alice")

    assert result.exit_code == 0, result.output
    assert members(home) == ["alice"]


def test_init_refuses_a_directory_that_holds_a_node(home: Path) -> None:
    init(home, "--founder", "alice")

    result = init(home, "--founder", "bob")

    assert result.exit_code != 0
    assert "a node already exists" in str(result.exception)
    assert members(home) == ["alice"]


def test_init_warns_when_the_passphrase_is_the_demos(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_PASSPHRASE", demo.PASSPHRASE)

    result = init(home, "--founder", "alice")

    assert result.exit_code == 0, result.output
    assert "warning: the passphrase is the demo's" in result.output


# -- at a terminal ----------------------------------------------------------------------------

def read_until(fd: int, wanted: bytes) -> bytes:
    """Read the terminal until `wanted` appears (or the program ends)."""
    seen = b""
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], TERMINAL_TIMEOUT)
        if not ready:
            raise TimeoutError(f"waited for {wanted!r}, saw {seen!r}")
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def init_at_terminal(home: Path, answers: list[str]) -> tuple[int, str]:
    """Run `coop init` on a real pseudo-terminal, answering each prompt; return its status and what it showed."""
    env = {k: v for k, v in os.environ.items() if k != "COOP_PASSPHRASE"}
    args = [str(COOP), "--home", str(home), *INIT, "--founder", "alice"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(args[0], args, env)
    shown = b""
    try:
        for prompt, answer in zip((PROMPT, AGAIN), answers, strict=False):
            shown += read_until(fd, prompt)
            os.write(fd, answer.encode() + b"\n")
        shown += read_until(fd, b"\0")  # everything up to the end
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_init_at_a_terminal_asks_for_the_passphrase_twice(home: Path) -> None:
    status, shown = init_at_terminal(home, ["harbour lights", "harbour lights"])

    assert status == 0, shown
    assert "Created co-op" in shown and "harbour lights" not in shown
    node = open_node({"home": str(home)}, "harbour lights")
    assert node.identity("alice").handle == "alice"
    node.index.db.close()


@pytest.mark.parametrize("answers, refusal", [
    ([""], "an empty passphrase is not allowed"),
    (["harbour lights", "harbour light"], "the two passphrases differ"),
], ids=["empty", "mismatch"])
def test_init_at_a_terminal_refuses_a_bad_passphrase_and_makes_nothing(answers: list[str], refusal: str, home: Path) -> None:
    status, shown = init_at_terminal(home, answers)

    assert status == 2, shown
    assert refusal in shown and "Traceback" not in shown
    assert list(home.parent.iterdir()) == []


def test_init_at_a_terminal_warns_about_the_demo_passphrase(home: Path) -> None:
    status, shown = init_at_terminal(home, [demo.PASSPHRASE, demo.PASSPHRASE])

    assert status == 0, shown
    assert "warning: the passphrase is the demo's" in shown


def test_init_refuses_a_directory_that_holds_other_files_and_leaves_them(home: Path) -> None:
    home.mkdir()
    (home / "notes.txt").write_text("mine")

    result = init(home, "--founder", "alice")

    assert result.exit_code != 0
    assert "not empty" in str(result.exception)
    assert [p.name for p in home.parent.iterdir()] == ["node"] and [p.name for p in home.iterdir()] == ["notes.txt"]
