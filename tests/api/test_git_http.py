"""`coop serve` serves the repository read-only over git's smart HTTP: plain git clones and verifies it, cannot push,
and gets nothing the published branch does not reach."""
from __future__ import annotations

import gzip
import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pygit2
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
    assert is_json_error(requests.get(f"{served.url}/git/info/refs?service=git-receive-pack", timeout=5), 403, "forbidden")


def unreachable(served: Server, what: str) -> str:
    """Write an object into the served repository that the published branch does not reach; return its id."""
    repo = pygit2.Repository(str(served.home / "repo.git"))
    if what == "blob":
        return str(repo.create_blob(b"a draft nobody published\n"))
    head = repo.revparse_single("refs/heads/main")
    who = pygit2.Signature("eve", "eve@example")
    return str(repo.create_commit(None, who, who, "dropped from the branch", head.tree.id, [head.id]))


def raw_get(server: Server, path: str) -> requests.Response:
    """GET a path exactly as written (requests would resolve `..` before sending it)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        response = requests.Response()
        response.status_code, response._content = answer.status, answer.read()
        response.headers.update(answer.getheaders())
        return response
    finally:
        connection.close()


def is_json_error(response: requests.Response, status: int, code: str) -> bool:
    """Tell whether a response is the API's JSON error with this status and code."""
    return (response.status_code == status and response.headers["Content-Type"] == "application/json"
            and response.json()["error"]["code"] == code and bool(response.json()["error"]["message"]))


@pytest.mark.parametrize("what", ["blob", "dropped-commit"])
@pytest.mark.parametrize("version", ["2", "0"])
def test_an_object_the_branch_does_not_reach_cannot_be_fetched_by_id_over_smart_http(served: Server, tmp_path: Path, what: str,
                                                                                     version: str) -> None:
    object_id = unreachable(served, what)
    assert git("clone", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path).returncode == 0

    fetched = git("-c", f"protocol.version={version}", "fetch", "origin", object_id, cwd=tmp_path / "clone", home=tmp_path)

    assert fetched.returncode != 0 and "404" in fetched.stderr
    assert git("cat-file", "-e", object_id, cwd=tmp_path / "clone", home=tmp_path).returncode != 0


def test_a_commit_the_branch_reaches_can_still_be_fetched_by_id(served: Server, tmp_path: Path) -> None:
    assert git("clone", "--depth", "1", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path).returncode == 0
    first = subprocess.run(["git", "-C", str(served.home / "repo.git"), "rev-list", "--max-parents=0", "main"],
                           capture_output=True, text=True, check=True).stdout.strip()

    fetched = git("fetch", "origin", first, cwd=tmp_path / "clone", home=tmp_path)

    assert fetched.returncode == 0, fetched.stderr


@pytest.mark.parametrize("what", ["blob", "dropped-commit"])
def test_dumb_http_does_not_hand_out_an_object_by_id(served: Server, what: str) -> None:
    object_id = unreachable(served, what)

    assert is_json_error(raw_get(served, f"/git/objects/{object_id[:2]}/{object_id[2:]}"), 404, "not_found")


@pytest.mark.parametrize("path", ["/git/HEAD", "/git/info/refs", "/git/objects/info/packs", "/git/objects/info/alternates",
                                  "/git/objects/pack/pack-" + "0" * 40 + ".pack"])
def test_every_dumb_http_path_is_refused(served: Server, path: str) -> None:
    assert is_json_error(raw_get(served, path), 404, "not_found")


def test_a_plain_git_clone_never_falls_back_to_dumb_http(served: Server, tmp_path: Path) -> None:
    cloned = git("-c", "protocol.version=0", "clone", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path)

    assert cloned.returncode == 0, cloned.stderr
    assert git("rev-parse", "HEAD", cwd=tmp_path / "clone", home=tmp_path).stdout.strip()


def test_only_the_published_branch_is_advertised(served: Server, tmp_path: Path) -> None:
    repo = pygit2.Repository(str(served.home / "repo.git"))
    repo.references.create("refs/heads/drafts", unreachable(served, "dropped-commit"))
    try:
        listed = git("ls-remote", f"{served.url}/git/", home=tmp_path)
    finally:
        repo.references.delete("refs/heads/drafts")

    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split("\t")[1] for line in listed.stdout.splitlines()) == ["HEAD", "refs/heads/main"]


def test_the_repositorys_own_config_cannot_open_fetches_by_id(served: Server, tmp_path: Path) -> None:
    object_id = unreachable(served, "blob")
    assert git("clone", f"{served.url}/git/", str(tmp_path / "clone"), home=tmp_path).returncode == 0
    config = pygit2.Repository(str(served.home / "repo.git")).config
    config["uploadpack.allowAnySHA1InWant"] = True
    try:
        fetched = git("fetch", "origin", object_id, cwd=tmp_path / "clone", home=tmp_path)
    finally:
        del config["uploadpack.allowAnySHA1InWant"]

    assert fetched.returncode != 0


@pytest.mark.parametrize("path", [
    "/git/../../etc/passwd",
    "/git/%2e%2e/%2e%2e/etc/passwd",
    "/git/%2E%2E%2F%2E%2E%2Fconfig",
    "/git/objects/../config",
    "/git/info/%2e%2e/config",
    "/git/./info/refs?service=git-upload-pack",
    "/git//info/refs?service=git-upload-pack",
    "/git/info/refs?service=git-upload-archive",
    "/git/config",
    "/git/",
])
def test_a_path_git_does_not_ask_for_is_refused_as_json_before_git_runs(served: Server, path: str) -> None:
    assert is_json_error(raw_get(served, path), 400, "bad_input")


def test_a_fetch_request_with_the_wrong_method_is_a_json_405(served: Server) -> None:
    response = requests.get(f"{served.url}/git/git-upload-pack", timeout=5)

    assert is_json_error(response, 405, "method_not_allowed") and response.headers["Allow"] == "POST"


def negotiation(*wanted: str) -> bytes:
    """Return a protocol-v0 fetch request as pkt-lines: the wants, a flush, then done."""
    def pkt(text: str) -> bytes:
        return b"%04x" % (len(text) + 4) + text.encode("ascii")
    return b"".join(pkt(f"want {oid}\n") for oid in wanted) + b"0000" + pkt("done\n")


def post_negotiation(served: Server, body: bytes, encoding: str) -> requests.Response:
    """Send a fetch request to upload-pack by hand, gzipped if asked, as git does with long ones."""
    headers = {"Content-Type": "application/x-git-upload-pack-request"}
    if encoding == "gzip":
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return requests.post(f"{served.url}/git/git-upload-pack", data=body, headers=headers, timeout=10)


@pytest.mark.parametrize("encoding", ["plain", "gzip"])
@pytest.mark.parametrize("what", ["blob", "dropped-commit"])
def test_a_hand_made_fetch_that_wants_an_unreachable_object_is_refused_before_git_runs(served: Server, what: str, encoding: str) -> None:
    head = pygit2.Repository(str(served.home / "repo.git")).references["refs/heads/main"].target

    response = post_negotiation(served, negotiation(str(head), unreachable(served, what)), encoding)

    assert is_json_error(response, 404, "not_found") and b"PACK" not in response.content


def test_a_hand_made_fetch_of_the_branch_head_gets_its_pack(served: Server) -> None:
    head = pygit2.Repository(str(served.home / "repo.git")).references["refs/heads/main"].target

    response = post_negotiation(served, negotiation(str(head)), "gzip")

    assert response.status_code == 200 and b"PACK" in response.content


@pytest.mark.parametrize("body", [b"zzzz", b"0032want 1234", b"0009want x\n"], ids=["bad-length", "cut-short", "bad-id"])
def test_a_fetch_request_that_is_not_pkt_lines_is_refused_as_json(served: Server, body: bytes) -> None:
    assert is_json_error(post_negotiation(served, body, "plain"), 400, "bad_input")
