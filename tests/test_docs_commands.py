"""Every shell block in docs/ and the README runs as pasted, in order, against a fresh demo node.

Each page runs in one bash shell, in a scratch directory that stands for the checkout (its `.venv`
is the virtualenv running this test), with a scratch `$HOME` and `$TMPDIR`, no `COOP_*` variable
but the free addresses `COOP_LISTEN` and `ATTIC_LISTEN`, and the venv's `bin/` off `PATH`: a page
must make its own node and put `coop` on `PATH` the way it tells its reader to.

- A ```sh or ```bash block runs as it stands: every command must succeed.
- A ```console block is a transcript: each `$ ` line is a command, the lines after it are its
  output. A command shown answering `error: ...` (or `verification failed: ...`) must fail with a
  message of that kind; every other command must succeed. Output is not compared: ids and times
  differ from run to run.
- `<!-- not run: REASON -->` right before a block leaves it out (it needs another machine or a
  service this test cannot start); each such block is reported as a skipped test with its reason.
- `<!-- save as: FILE -->` right before any other block (the page's text says to save it) writes
  the block to FILE in the shell's current directory, at that point of the page.

Of the README, only the section "Using the `coop` command" is a page to paste (the rest is `make`
targets); it comes after `make run`, so its run starts with the node `make run` makes.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
SHELLS = ("sh", "bash", "console")
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[\w-]*)[^\n]*$")
MARK = re.compile(r"^\s*<!-- (?P<kind>not run|save as): (?P<value>.+?) -->\s*$")
FAILURE = re.compile(r"^(error|verification failed|ledger verification failed):")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
MAKE_RUN = re.compile(r"\$\(VENV\)/bin/coop --home \$\(HOME_DIR\) init (?P<args>.+?); \\$", re.M)
COMMAND = re.compile(r"^(\$ |(coop|git|cd|export|python|curl) )")
PAGE_TIMEOUT = 900
SECTIONS = {"README.md": "## Using the `coop` command"}  # the part of a page that is meant to be pasted


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: where it starts, its info string, its text and its mark."""

    page: str
    line: int
    info: str
    text: str
    mark: tuple[str, str] | None

    @property
    def where(self) -> str:
        """Return `page:line`, the block's id in test names and messages."""
        return f"{self.page}:{self.line}"

    @property
    def marked(self) -> str:
        """Return what the block's mark says: the reason it is not run, or the file to save it as."""
        if self.mark is None:
            raise ValueError(f"{self.where} has no mark")
        return self.mark[1]


@dataclass(frozen=True)
class Command:
    """One command of a console block, the line it starts on, and whether it is shown failing."""

    line: int
    text: str
    fails: bool


def blocks(page: Path) -> list[Block]:
    """Return the fenced blocks of a page in order, each with the mark on the line before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index, stop = 0, len(lines)
    if page.name in SECTIONS:
        index = lines.index(SECTIONS[page.name])
        stop = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while index < stop:
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent = len(opening["indent"])
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        mark = MARK.match(previous)
        text = "\n".join(line[indent:] for line in lines[index + 1:end])
        found.append(Block(page.name, index + 1, opening["info"], text, (mark["kind"], mark["value"]) if mark else None))
        index = end + 1
    return found


def commands(block: Block) -> list[Command]:
    """Split a console transcript into its commands: `$ ` lines, their continuations and here-documents."""
    lines = block.text.split("\n")
    found: list[Command] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            index += 1
            continue
        start = index
        text = [lines[index][2:]]
        while text[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            text.append(lines[index].removeprefix("> "))
        for _, word in HEREDOC.findall(" ".join(text)):
            while index + 1 < len(lines) and lines[index].strip() != word:
                index += 1
                text.append(lines[index])
        index += 1
        output = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        found.append(Command(block.line + 1 + start, "\n".join(text), any(FAILURE.match(line) for line in output)))
    return found


class Script:
    """A bash script made of a page's blocks, which knows the page line of each of its lines."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.lines = ["set -Eeuo pipefail", "trap 'echo \"docs-run: exit $? at script line $LINENO\" >&2' ERR"]
        self.origin: list[int | None] = [None, None]

    def add(self, text: str, line: int | None, step: int = 1) -> None:
        """Append text whose first line is the page's `line` (later lines follow it, or all map to it)."""
        for offset, row in enumerate(text.split("\n")):
            self.lines.append(row)
            self.origin.append(None if line is None else line + offset * step)

    def add_block(self, block: Block) -> None:
        """Append a block the way the reader would paste it."""
        if block.info == "console":
            for command in commands(block):
                self.add_command(command)
        elif block.info in SHELLS:
            self.add(block.text, block.line + 1)
        else:  # a marked file to save
            word = "DOCS_RUN_END_OF_FILE"
            self.add(f"cat > {shlex.quote(block.marked)} <<'{word}'\n{block.text}\n{word}", block.line, step=0)

    def add_command(self, command: Command) -> None:
        """Append a console command: as it is, or, when it is shown failing, checked to fail with an error."""
        if not command.fails:
            self.add(command.text, command.line)
            return
        where = f"{self.page}:{command.line}"
        self.add("if {", None)
        self.add(command.text, command.line)
        self.add('} > "$DOCS_RUN_OUTPUT" 2>&1; then cat "$DOCS_RUN_OUTPUT"; '
                 f'echo "docs-run: {where}: the page shows this command failing, but it succeeded" >&2; exit 1; fi\n'
                 'cat "$DOCS_RUN_OUTPUT"\n'
                 f"grep -Eq '{FAILURE.pattern}' \"$DOCS_RUN_OUTPUT\" || "
                 f'{{ echo "docs-run: {where}: the command failed without saying why (no error: line)" >&2; exit 1; }}', None)

    def page_line(self, script_line: int) -> int | None:
        """Return the page line a script line came from."""
        return self.origin[script_line - 1] if 0 < script_line <= len(self.origin) else None


def free_addresses(count: int) -> list[str]:
    """Return count different 127.0.0.1:PORT addresses nothing listens on now."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [f"127.0.0.1:{probe.getsockname()[1]}" for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def make_run_init(checkout: Path, env: dict[str, str]) -> None:
    """Make ./coop-data the way `make run` does on its first run."""
    found = MAKE_RUN.search((ROOT / "Makefile").read_text(encoding="utf-8"))
    if found is None:
        pytest.fail("the Makefile's run target no longer runs `coop init` as this test expects")
    args = shlex.split(found["args"])
    subprocess.run([str(checkout / ".venv" / "bin" / "coop"), "--home", "coop-data", "init", *args], cwd=checkout,
                   env={**env, "COOP_PASSPHRASE": "demo"}, check=True, capture_output=True, timeout=120)


def reader_environment(scratch: Path, listen: str, attic_listen: str) -> dict[str, str]:
    """Return a new reader's environment: no COOP_ settings, the venv off PATH, scratch HOME and TMPDIR."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {name: value for name, value in os.environ.items() if not name.startswith("COOP_") and name != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin)
    for name in ("home", "tmp"):
        (scratch / name).mkdir()
    env.update(HOME=str(scratch / "home"), TMPDIR=str(scratch / "tmp"), DOCS_RUN_OUTPUT=str(scratch / "last-output"),
               COOP_LISTEN=listen, ATTIC_LISTEN=attic_listen)
    return env


class PageRun:
    """A page's blocks running in one bash shell, in a scratch checkout of their own."""

    def __init__(self, page: Path, scratch: Path, addresses: list[str]) -> None:
        checkout = scratch / "checkout"
        checkout.mkdir()
        (checkout / ".venv").symlink_to(sys.prefix, target_is_directory=True)
        env = reader_environment(scratch, *addresses)
        if page.name == "README.md":
            make_run_init(checkout, env)
        self.script = Script(page.name)
        for block in filter(runnable, blocks(page)):
            self.script.add_block(block)
        self.log = scratch / "output"
        with self.log.open("w", encoding="utf-8") as log:
            self.shell = subprocess.Popen(["bash", "-c", "\n".join(self.script.lines)], cwd=checkout, env=env,
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def result(self) -> subprocess.CompletedProcess[str]:
        """Wait for the shell to end, then end whatever it left running in the background."""
        try:
            self.shell.wait(timeout=PAGE_TIMEOUT)
        finally:
            self.stop()
        return subprocess.CompletedProcess(self.shell.args, self.shell.returncode, self.log.read_text(encoding="utf-8"))

    def stop(self) -> None:
        """End the shell and every process it started (servers it left in the background)."""
        try:
            os.killpg(self.shell.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.shell.wait()


def failure_report(script: Script, result: subprocess.CompletedProcess[str]) -> str:
    """Say which page line failed, the command there, and the output before it."""
    output = result.stdout
    found = re.findall(r"docs-run: exit \d+ at script line (\d+)", output)
    where = ""
    if found:
        line = script.page_line(int(found[-1]))
        command = script.lines[int(found[-1]) - 1]
        where = f"{script.page}:{line}: `{command}` failed\n" if line else f"`{command}` failed\n"
    tail = "\n".join(output.splitlines()[-60:])
    return f"{where}{script.page} stopped with status {result.returncode}; the end of its output:\n{tail}"


def runnable(block: Block) -> bool:
    """Say whether the page's run includes this block."""
    if block.mark and block.mark[0] == "not run":
        return False
    return block.info in SHELLS or bool(block.mark and block.mark[0] == "save as")


NOT_RUN = [block for page in PAGES for block in blocks(page) if block.mark and block.mark[0] == "not run"]
PAGE_TEST = "test_every_shell_block_of_the_page_runs_as_pasted"


@pytest.fixture(scope="module")
def page_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageRun]]:
    """Start every selected page at once: they spend most of their time waiting for voting windows to close."""
    if not (Path(sys.prefix) / "bin" / "coop").exists():
        pytest.fail(f"no coop command in {sys.prefix}/bin: run this test with the virtualenv's pytest (make test)")
    selected = [Path(str(item.callspec.params["page"])) for item in request.session.items
                if isinstance(item, pytest.Function) and item.originalname == PAGE_TEST]
    addresses = free_addresses(2 * len(selected))
    runs = {page.name: PageRun(page, tmp_path_factory.mktemp(page.stem), addresses[2 * i:2 * i + 2])
            for i, page in enumerate(selected)}
    yield runs
    for run in runs.values():
        run.stop()


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_shell_block_of_the_page_runs_as_pasted(page: Path, page_runs: dict[str, PageRun]) -> None:
    run = page_runs[page.name]

    result = run.result()

    assert result.returncode == 0, failure_report(run.script, result)


@pytest.mark.parametrize("block", NOT_RUN, ids=[block.where for block in NOT_RUN])
def test_a_block_marked_not_run_is_reported_skipped(block: Block) -> None:
    pytest.skip(f"{block.where} not run: {block.marked}")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_block_of_commands_is_marked_as_shell(page: Path) -> None:
    untagged = [block.where for block in blocks(page) if not block.info and COMMAND.match(block.text)]
    assert not untagged, f"blocks of commands with no info string sh or console (so never run): {untagged}"


def run_page(tmp_path: Path, text: str) -> tuple[PageRun, subprocess.CompletedProcess[str]]:
    """Run a page made of text the way the docs' pages run, and return the run and its result."""
    page = tmp_path / "example.md"
    page.write_text(text, encoding="utf-8")
    run = PageRun(page, tmp_path, free_addresses(2))
    return run, run.result()


def test_a_failing_command_is_reported_with_its_page_line(tmp_path: Path) -> None:
    run, result = run_page(tmp_path, "Text.\n\n```sh\necho one\nls does-not-exist\necho two\n```\n")

    assert result.returncode != 0
    assert "example.md:5: `ls does-not-exist` failed" in failure_report(run.script, result)
    assert "two" not in result.stdout


def test_a_command_shown_answering_an_error_must_fail(tmp_path: Path) -> None:
    _, result = run_page(tmp_path, "```console\n$ true\nerror: this should have been refused\n```\n")

    assert result.returncode != 0
    assert "example.md:2: the page shows this command failing, but it succeeded" in result.stdout


def test_a_command_shown_answering_an_error_passes_when_it_fails_saying_so(tmp_path: Path) -> None:
    _, result = run_page(tmp_path, "```console\n$ echo 'error: no such member' && false\nerror: no such member\n$ echo next\nnext\n```\n")

    assert result.returncode == 0, result.stdout


def test_a_here_document_in_a_transcript_belongs_to_its_command(tmp_path: Path) -> None:
    _, result = run_page(tmp_path, "```console\n$ cat > note.md <<'EOF'\n$ not a command\nEOF\n$ cat note.md\n```\n")

    assert result.returncode == 0, result.stdout
    assert "$ not a command" in result.stdout


def test_a_page_finds_no_coop_until_it_puts_the_venv_on_path(tmp_path: Path) -> None:
    _, result = run_page(tmp_path, "```sh\n! command -v coop\nexport PATH=$PWD/.venv/bin:$PATH\ncoop --help > /dev/null\n```\n")

    assert result.returncode == 0, result.stdout


def test_a_block_saved_as_a_file_is_written_where_the_shell_is(tmp_path: Path) -> None:
    _, result = run_page(tmp_path, "```sh\nmkdir work && cd work\n```\n\n<!-- save as: hello.py -->\n```python\nprint('hello')\n```\n\n"
                                   "```sh\npython3 hello.py\n```\n")

    assert result.returncode == 0, result.stdout
    assert "hello" in result.stdout
