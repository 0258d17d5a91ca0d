"""The `coop` command: every command with working --help, none with a traceback, and messages that say what is wrong."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from cli_harness import CoopRunner
from click.shell_completion import ShellComplete
from click.testing import CliRunner, Result

from api.cli.areas import MOVED, SECTIONS
from api.cli.main import EXIT_ENVIRONMENT, cli, run
from coop.keys import KeyPair
from coop.node import Node
from governance import proposals as P

COOP = Path(sys.executable).with_name("coop")


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the path of every command and subcommand below a group, the group itself first."""
    yield prefix
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


def invoke(*args: str) -> Result:
    """Run the command line in-process and return its result."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def a_public_key() -> str:
    """Return the public half of a key a new member made on their own machine."""
    return KeyPair.generate("someone").public.to_b64()


@pytest.fixture
def coop_home(home: Path) -> Path:
    """Return the data directory of a co-op made with `coop init`, founder alice."""
    result = invoke("--home", str(home), "init", "--name", "Test Co-op", "--origin", "coop.example/test", "--founder", "alice")
    assert result.exit_code == 0, result.output
    return home


@pytest.mark.parametrize("path", list(command_paths(cli)), ids=lambda path: " ".join(path) or "coop")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]

    result = invoke(*path, "--help")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert command.help, "every command says what it does"
    assert " ".join(command.help.split("\n\n")[0].split()) in " ".join(result.output.split())


def help_sections(output: str) -> dict[str, list[str]]:
    """Return the command names under each heading of a help page, in order."""
    sections: dict[str, list[str]] = {}
    heading = None
    for line in output.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            heading = line[:-1]
            sections[heading] = []
        elif line.startswith("  ") and heading:
            sections[heading].append(line.split()[0])
    return sections


def test_help_lists_every_command_once_in_its_areas_section() -> None:
    result = invoke("--help")

    sections = help_sections(result.output)
    del sections["Options"]
    assert sections == {title: list(names) for title, names in SECTIONS}
    assert sorted(name for names in sections.values() for name in names) == sorted(cli.commands)


def command_at(path: str) -> click.Command | None:
    """Return the command `coop PATH` names (an ID in the path stands for an argument), or None."""
    command: click.Command | None = cli
    for name in path.split():
        if name != "ID":
            command = command.commands.get(name) if isinstance(command, click.Group) else None
    return command


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()), ids=sorted(MOVED))
def test_a_command_that_moved_answers_with_its_new_name(old: str, new: str) -> None:
    result = invoke(*old.replace("ID", "shop").split())

    assert result.exit_code == 2
    assert f"No such command {old.split()[-1].replace('ID', 'shop')!r}: `coop {old}` is now `coop {new}`." in result.output
    assert command_at(new) is not None


def test_completing_after_an_old_name_is_as_after_any_unknown_word() -> None:
    completing = ShellComplete(cli, {}, "coop", "_COOP_COMPLETE")

    def offered(words: list[str]) -> list[str]:
        return [item.value for item in completing.get_completions(words, "")]

    assert offered(["propose"]) == offered(["no-such-command"])


def test_init_creates_a_node(home: Path) -> None:
    result = invoke("--home", str(home), "init", "--name", "Test Co-op", "--origin", "coop.example/test", "--founder", "alice")

    assert result.exit_code == 0, result.output
    assert "Created co-op 'Test Co-op'" in result.output
    assert (home / "repo.git").is_dir() and (home / "keys" / "alice.key").is_file()


def test_member_add_registers_a_member(coop_home: Path) -> None:
    result = invoke("--home", str(coop_home), "member", "add", "bob", "--role", "member", "--skills", "python,web", "--public-key", a_public_key())

    assert result.exit_code == 0, result.output
    assert "added members/bob.json in commit" in result.output


def test_member_list_shows_members_with_roles_and_skills(coop_home: Path) -> None:
    invoke("--home", str(coop_home), "member", "add", "bob", "--role", "mentor", "--skills", "web,python", "--public-key", a_public_key())

    result = invoke("--home", str(coop_home), "member", "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"handle": "alice", "roles": ["founder", "member"], "skills": [], "key_held_by_node": True},
        {"handle": "bob", "roles": ["member", "mentor"], "skills": ["python", "web"], "key_held_by_node": False},
    ]


def test_member_list_prints_a_table(coop_home: Path) -> None:
    result = invoke("--home", str(coop_home), "member", "list")

    assert result.output.splitlines()[0].split() == ["HANDLE", "ROLES", "KEY", "SKILLS"]
    assert result.output.splitlines()[1].split() == ["alice", "founder,member", "this", "node"]


def test_member_show_prints_the_stored_record(coop_home: Path) -> None:
    invoke("--home", str(coop_home), "member", "add", "bob", "--skills", "python", "--public-key", a_public_key())

    result = invoke("--home", str(coop_home), "member", "show", "Bob")

    record = json.loads(result.output)
    assert (record["handle"], record["roles"], record["skills"], record["author"]) == ("bob", ["learner"], ["python"], "alice")


def test_verify_passes_on_a_good_repository(runner: CoopRunner) -> None:
    result = runner.invoke("verify", catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_verify_fails_naming_each_bad_commit(node: Node, runner: CoopRunner, commit_outside_platform: Callable[[Path], str]) -> None:
    bad = commit_outside_platform(node.store.path)

    result = runner.invoke("verify", catch_exceptions=False)

    assert result.exit_code != 0
    assert f"BAD commit {bad[:12]}: " in result.output
    assert "verification failed: " in result.output


def test_index_rebuild_rebuilds_from_every_commit(coop_home: Path) -> None:
    invoke("--home", str(coop_home), "member", "add", "bob", "--public-key", a_public_key())
    (coop_home / "index.sqlite").unlink()

    result = invoke("--home", str(coop_home), "index", "rebuild")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("index rebuilt from ")
    listed = json.loads(invoke("--home", str(coop_home), "member", "list", "--json").output)
    assert [m["handle"] for m in listed] == ["alice", "bob"]


def run_coop(*args: str) -> subprocess.CompletedProcess:
    """Run the installed `coop` console script."""
    return subprocess.run([str(COOP), *args], capture_output=True, text=True, env=os.environ.copy(), timeout=60)


def test_console_script_creates_and_verifies_a_node(home: Path) -> None:
    created = run_coop("--home", str(home), "init", "--name", "Test Co-op", "--origin", "coop.example/test", "--founder", "alice")
    added = run_coop("--home", str(home), "member", "add", "bob", "--role", "member", "--public-key", a_public_key())
    verified = run_coop("--home", str(home), "verify")

    assert [created.returncode, added.returncode, verified.returncode] == [0, 0, 0], created.stderr + added.stderr + verified.stderr
    assert verified.stdout.startswith("ok: ")


def test_console_script_prints_a_refusal_as_one_line(coop_home: Path) -> None:
    result = run_coop("--home", str(coop_home), "member", "show", "nobody")

    assert result.returncode == 2
    assert result.stderr == "error: no such member 'nobody'\n"


# -- no traceback for a user's mistake or the environment -------------------------------------

JUNK = "../zz z"  # a value no id, handle, amount or URL accepts
UNKNOWN = "zed"  # a well-formed id or handle that names nothing
JUNK_INTEGER = "9" * 30  # beyond any database's integer range
JUNK_FILE = "missing-folder/zz.md"


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Yield every command that does something (not a group), with its path."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def junk_value(param: click.Parameter, junk: str) -> str:
    """Return what a careless user might type for a parameter: junk, or the first choice where choices are fixed."""
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, click.types.IntParamType):
        return JUNK_INTEGER
    if isinstance(param.type, click.Path):
        return JUNK_FILE
    return junk


def junk_arguments(command: click.Command, junk: str) -> list[str]:
    """Return a command line giving junk to every argument and every option that takes a value."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and param.name != "help":
            args += [param.opts[0], junk_value(param, junk)]
        elif isinstance(param, click.Argument):
            args.append(junk_value(param, junk))
    return args


def half_made_node(home: Path) -> Path:
    """Return a data directory left by an init that stopped after making the repository."""
    subprocess.run(["git", "init", "-q", "--bare", str(home / "repo.git")], check=True)
    (home / "keys").mkdir()
    return home


def real_node(home: Path) -> Path:
    """Return the data directory of a node made by `coop init`, founder alice."""
    result = invoke("--home", str(home), "init", "--name", "Test Co-op", "--origin", "coop.example/test", "--founder", "alice")
    assert result.exit_code == 0, result.output
    return home


def damaged(home: Path, path: str, data: bytes) -> Path:
    """Return a real node with one of its files overwritten by junk."""
    (real_node(home) / path).write_bytes(data)
    return home


HOMES: dict[str, Callable[[Path], Path]] = {
    "missing home": lambda tmp: tmp / "nowhere",
    "half-made node": lambda tmp: half_made_node(tmp / "half"),
    "real node": lambda tmp: real_node(tmp / "real"),
    "damaged index": lambda tmp: damaged(tmp / "real", "index.sqlite", b"not a database"),
    "damaged branch": lambda tmp: damaged(tmp / "real", "repo.git/refs/heads/main", b"zzzz\n"),
}


@pytest.mark.parametrize("junk", [JUNK, UNKNOWN], ids=["malformed", "unknown"])
@pytest.mark.parametrize("home_kind", list(HOMES))
@pytest.mark.parametrize("path, command", list(leaf_commands(cli)), ids=[" ".join(p) for p, _ in leaf_commands(cli)])
def test_no_command_shows_a_traceback_for_junk_input(path: tuple[str, ...], command: click.Command, home_kind: str, junk: str,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    home = HOMES[home_kind](tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()

    try:
        status: int | str | None = run(["--home", str(home), "--as", "alice", *path, *junk_arguments(command, junk)])
    except SystemExit as e:  # a command that ends with its own message (verify) exits like this
        status = e.code

    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert status == 0 or err.strip(), "a refusal says why"


# -- messages that say what is wrong ----------------------------------------------------------

def refusal(home: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command as alice that must be refused; return its one-line error."""
    capsys.readouterr()
    status = run(["--home", str(home), "--as", "alice", *args])
    err = capsys.readouterr().err
    assert status == 2, err
    return err


@pytest.mark.parametrize("args", [
    ("member", "show", "zed"),
    ("earnings", "--member", "zed"),
    ("request", "match", "--member", "zed"),
    ("learner", "mentor", "zed", "alice"),
    ("learner", "note", "zed", "well done"),
    ("client", "add", "acme", "--name", "Acme", "--liaison", "zed"),
    ("project", "team", "shop", "--shares", "zed:10000"),
    ("proposal", "open", "PROPOSAL", "--kind", "admit", "--handle", "zed"),
], ids=lambda args: " ".join(args[:2]))
def test_an_unknown_handle_is_no_such_member_in_every_command(args: tuple[str, ...], coop_home: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    proposal = tmp_path / "admit.md"
    proposal.write_text("# Admit zed\n")

    err = refusal(coop_home, *(str(proposal) if a == "PROPOSAL" else a for a in args), capsys=capsys)

    assert err == "error: no such member 'zed'\n"


def test_earnings_of_a_member_who_earned_nothing_says_so(coop_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--home", str(coop_home), "earnings", "--member", "alice"]) == 0

    assert capsys.readouterr().out == "alice has earned nothing from a project yet\n"


@pytest.mark.parametrize("args, what", [
    (("request", "post", "shop", "--client", "acme", "--title", "Shop", "--skills", "web", "--budget", "300", "--deadline", "2027-01-01"), "a budget"),
    (("proposal", "open", "PROPOSAL", "--kind", "spend", "--amount", "300", "--purpose", "hosting"), "--amount"),
    (("milestone", "add", "shop", "design", "--title", "Design", "--amount", "300"), "--amount"),
    (("ledger", "payout", "alice", "300", "EUR", "--account", "bank", "--method", "bank", "--arrived", "300"), "--arrived"),
], ids=["budget", "spend", "milestone", "arrived"])
def test_money_without_a_currency_says_a_currency_is_needed(args: tuple[str, ...], what: str, coop_home: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    proposal = tmp_path / "spend.md"
    proposal.write_text("# Hosting\n")

    err = refusal(coop_home, *(str(proposal) if a == "PROPOSAL" else a for a in args), capsys=capsys)

    assert err == f"error: {what} needs a currency: 300 EUR, for example\n"


ARABIC = "# مرحبا\n\nنص المقترح.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_a_proposal_file_is_read_in_utf8_or_utf16_with_a_bom(encoding: str, coop_home: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    proposal = tmp_path / "arabic.md"
    if encoding.endswith("-bom"):
        codec = encoding[:-4]
        proposal.write_bytes(("\ufeff" + ARABIC).encode(codec))
    else:
        proposal.write_bytes(ARABIC.encode(encoding))

    assert run(["--home", str(coop_home), "--as", "alice", "proposal", "open", str(proposal), "--id", "p-arabic"]) == 0

    shown = json.loads(invoke("--home", str(coop_home), "show", P.proposal_path("p-arabic")).output)
    assert (shown["body"]["title"], shown["body"]["text"]) == ("مرحبا", ARABIC)


def test_a_proposal_file_in_another_encoding_is_refused_naming_the_one_needed(coop_home: Path, tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    proposal = tmp_path / "arabic.md"
    proposal.write_bytes(ARABIC.encode("cp1256"))

    err = refusal(coop_home, "proposal", "open", str(proposal), capsys=capsys)

    assert "is not UTF-8 text" in err and "save it as UTF-8" in err
    assert invoke("--home", str(coop_home), "proposal", "list", "--state", "all").output.count("\n") == 1  # the header alone


def test_an_environment_error_is_one_line_with_its_own_exit_status(coop_home: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status = run(["--home", str(coop_home), "report", "outcomes", "--png", str(tmp_path / "no-such-folder" / "chart.png")])

    assert status == EXIT_ENVIRONMENT
    assert capsys.readouterr().err == f"error: No such file or directory: {tmp_path / 'no-such-folder' / 'chart.png'}\n"


# -- coop serve ---------------------------------------------------------------------------------

def test_serve_on_a_busy_port_says_so_in_one_line_and_never_that_it_serves(coop_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"

        result = run_coop("--home", str(coop_home), "serve", "--listen", address)

    assert result.returncode == EXIT_ENVIRONMENT
    assert result.stderr.startswith(f"error: cannot listen on {address}: ")
    assert result.stderr.count("\n") == 1 and "serving" not in result.stderr


def serve_and_read(coop_home: Path, lines: int, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Start `coop serve` on a free port, read what it says first, connect once, stop it; return the address and lines."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    server = subprocess.Popen([str(COOP), "--home", str(coop_home), "serve", "--listen", address], stderr=subprocess.PIPE, text=True,
                              env=env)
    assert server.stderr is not None
    try:
        said = [server.stderr.readline() for _ in range(lines)]
        host, port = address.split(":")
        with socket.create_connection((host, int(port))):  # it said so only once the socket was bound
            pass
    finally:
        server.terminate()
        server.wait(timeout=60)
        server.stderr.close()
    return address, said


def test_serve_says_what_to_do_next_once_it_listens(coop_home: Path) -> None:
    address, said = serve_and_read(coop_home, 3)

    assert said[0] == f"Coop is serving 'Test Co-op' at http://{address}/\n"
    assert f"http://{address}/" in said[1] and "/proposals" in said[1]
    assert f"coop --home {coop_home} member list" in said[2]


@pytest.mark.parametrize("on_path", [True, False], ids=["coop-on-path", "coop-by-its-path"])
def test_serve_names_coop_the_way_the_person_runs_it(coop_home: Path, on_path: bool) -> None:
    path = os.pathsep.join([str(COOP.parent)] * on_path + ["/usr/bin", "/bin"])

    said = serve_and_read(coop_home, 3, {**os.environ, "PATH": path})[1]

    assert said[2].split(": ", 1)[1].startswith(f"{'coop' if on_path else COOP} --home ")

def lost_commits(home: Path) -> Path:
    """Return a real node whose repository lost every object (the branch names a commit that is gone)."""
    real_node(home)
    shutil.rmtree(home / "repo.git" / "objects")
    (home / "repo.git" / "objects").mkdir()
    return home


@pytest.mark.parametrize("make, says", [
    (half_made_node, "was never finished (its repository has no commits): remove it and run `coop init` again"),
    (lost_commits, "names a commit the repository does not hold"),
], ids=["no commits", "lost commits"])
def test_a_node_that_cannot_be_opened_says_why_in_one_line(make: Callable[[Path], Path], says: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    home = make(tmp_path / "node")

    assert run(["--home", str(home), "member", "list"]) == 2

    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
