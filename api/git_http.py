"""The repository over git's smart HTTP, read-only: `git clone http://HOST:PORT/git/`.

A small WSGI layer in front of the Flask app runs `git http-backend` as a CGI
for paths under `/git/`, with the node's bare repository as GIT_PROJECT_ROOT.
Only what is reachable from the published branch is served, and only by fetching:

- the two requests of a smart-HTTP fetch (`GET /info/refs?service=git-upload-pack`
  and `POST /git-upload-pack`) reach git; any other path is refused with a JSON
  error before git sees it: a push (`git-receive-pack`, 403; every change arrives
  as a signed statement through the API), the dumb-HTTP paths (`/HEAD`,
  `/objects/...`, 404; they would hand out any object by its id), and anything
  else (`..`, raw or percent-encoded, 400);
- every `want` of a negotiation must be a commit the published branch reaches,
  checked here before git runs: git's own check lets a hand-made request want
  an unreachable blob by its id over HTTP, and protocol v2 takes any object id;
- upload-pack speaks protocol v0 (the Git-Protocol header is not passed on) and
  advertises `refs/heads/main` only; whatever the repository's own config says,
  it takes no want of any object (`allowAnySHA1InWant` off) and a want by id only
  of what the branch reaches (`allowReachableSHA1InWant` on, so `git fetch origin
  <commit of main>` works and a want of anything else gets the 404 above).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

import pygit2

from api.http.errors import HTTP_CODES, error_document
from coop.digits import parse_whole
from coop.errors import BadInput, CoopError, Forbidden, NotFound, TooLarge
from coop.store import BRANCH

PREFIX = "/git"
MAX_REQUEST = 16 * 1024 * 1024  # a fetch negotiation is a few kilobytes; refuse absurd bodies
CHUNK = 64 * 1024
UPLOAD = "git-upload-pack"
RECEIVE = "git-receive-pack"
ADVERTISE = "/info/refs"
# What a smart-HTTP fetch asks for: the ref advertisement, then the negotiation.
FETCH = {ADVERTISE: ("GET", "HEAD"), f"/{UPLOAD}": ("POST",)}
# The paths of the dumb protocol (and the alternates files), which hand out objects by id.
DUMB = re.compile(r"/HEAD|/info/refs|/objects/info/(?:alternates|http-alternates|packs)"
                  r"|/objects/[0-9a-f]{2}/[0-9a-f]{38}(?:[0-9a-f]{24})?|/objects/pack/pack-[0-9a-f]{40}(?:[0-9a-f]{24})?\.(?:pack|idx)")
# Settings of the command scope, above the repository's config: advertise the published branch only,
# and take a `want` by id only if it is reachable from it (check_wants has made sure before git runs).
UPLOAD_CONFIG = (("uploadpack.allowAnySHA1InWant", "false"), ("uploadpack.allowTipSHA1InWant", "false"),
                 ("uploadpack.allowReachableSHA1InWant", "true"), ("uploadpack.hideRefs", "refs/"),
                 ("uploadpack.hideRefs", f"!{BRANCH}"))

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def git_backend() -> str:
    """Return the path of git's http-backend program."""
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


class GitHTTP:
    """WSGI middleware: serve `/git/...` with `git http-backend` (fetch only), pass everything else on."""

    def __init__(self, app: WSGIApp, repository: Path, prefix: str = PREFIX) -> None:
        self.app = app
        self.repository = repository
        self.prefix = prefix
        self.backend = git_backend()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return self.app(environ, start_response)
        rest = path[len(self.prefix):] or "/"
        services = parse_qs(environ.get("QUERY_STRING", "")).get("service", [])
        if rest == f"/{RECEIVE}" or (rest == ADVERTISE and RECEIVE in services):
            return refuse(start_response, Forbidden.status, Forbidden.code,
                          "this repository is read-only: changes arrive as signed statements through the API")
        if rest in FETCH and (rest != ADVERTISE or services == [UPLOAD]):
            return self.fetch(environ, rest, start_response)
        if DUMB.fullmatch(rest) and not services:
            return refuse(start_response, NotFound.status, NotFound.code,
                          f"only git's smart HTTP is served (git clone {self.prefix}/ with git 1.6.6 or later); "
                          "dumb-HTTP paths are not")
        return refuse(start_response, BadInput.status, BadInput.code,
                      f"{path[:200]!r} is not a path git asks for: a fetch uses {self.prefix}{ADVERTISE}?service={UPLOAD} "
                      f"and {self.prefix}/{UPLOAD}")

    def fetch(self, environ: dict[str, Any], rest: str, start_response: StartResponse) -> Iterable[bytes]:
        """Run one request of a smart-HTTP fetch, if its method and size are right."""
        methods = FETCH[rest]
        if environ.get("REQUEST_METHOD") not in methods:
            return refuse(start_response, 405, HTTP_CODES[405], f"{self.prefix}{rest} takes {', '.join(methods)}",
                          [("Allow", ", ".join(methods))])
        try:
            length = parse_whole(environ.get("CONTENT_LENGTH") or "0", "Content-Length")
        except BadInput as e:
            return refuse(start_response, e.status, e.code, e.message)
        if length > MAX_REQUEST:
            return refuse(start_response, TooLarge.status, TooLarge.code, f"a fetch request is at most {MAX_REQUEST} bytes")
        return self.run(environ, rest, start_response)

    def run(self, environ: dict[str, Any], rest: str, start_response: StartResponse) -> Iterable[bytes]:
        """Run http-backend for one request and stream its answer."""
        body = tempfile.TemporaryFile()
        stream = environ["wsgi.input"]
        copied = 0
        while chunk := stream.read(CHUNK):
            copied += len(chunk)
            if copied > MAX_REQUEST:
                body.close()
                return refuse(start_response, TooLarge.status, TooLarge.code, f"a fetch request is at most {MAX_REQUEST} bytes")
            body.write(chunk)
        if rest == f"/{UPLOAD}":
            body.seek(0)
            try:
                check_wants(self.repository, wants(inflate(body.read(), environ.get("HTTP_CONTENT_ENCODING", ""))))
            except CoopError as e:
                body.close()
                return refuse(start_response, e.status, e.code, e.message)
        body.seek(0)
        # Without the Git-Protocol header upload-pack speaks v0, which checks every `want`.
        env = {name: value for name, value in environ.items()
               if name.startswith("HTTP_") and name != "HTTP_GIT_PROTOCOL" and isinstance(value, str)}
        env.update({f"GIT_CONFIG_{kind}_{i}": text for i, pair in enumerate(UPLOAD_CONFIG) for kind, text in zip(("KEY", "VALUE"), pair, strict=False)})
        env.update({
            "GIT_CONFIG_COUNT": str(len(UPLOAD_CONFIG)),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.repository),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.repository),  # no user git config applies to what is served
            "REQUEST_METHOD": environ.get("REQUEST_METHOD", "GET"),
            "PATH_INFO": rest,
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(copied),
            "REMOTE_ADDR": environ.get("REMOTE_ADDR", ""),
            "SERVER_PROTOCOL": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "GATEWAY_INTERFACE": "CGI/1.1",
        })
        process = subprocess.Popen([self.backend], stdin=body, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        body.close()
        status, headers = "200 OK", []
        while (line := output(process).readline().rstrip(b"\r\n")):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = value.strip()
            else:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return stream_out(process)


def inflate(data: bytes, encoding: str) -> bytes:
    """Return a request body as git wrote it: git gzips a long negotiation (many `have` lines)."""
    if encoding.strip().lower() not in ("gzip", "x-gzip"):
        return data
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(data, MAX_REQUEST)
    except zlib.error as e:
        raise BadInput(f"the fetch request is not valid gzip: {e}") from e
    if inflater.unconsumed_tail:
        raise TooLarge(f"a fetch request is at most {MAX_REQUEST} bytes, also once inflated")
    return plain


def wants(data: bytes) -> list[str]:
    """Return the object ids a protocol-v0 negotiation asks for, reading it as pkt-lines."""
    found, at = [], 0
    while at < len(data):
        size = int(data[at:at + 4], 16) if re.fullmatch(rb"[0-9a-f]{4}", data[at:at + 4]) else -1
        if size == 0:  # a flush packet
            at += 4
            continue
        if size < 4 or at + size > len(data):
            raise BadInput("the fetch request is not a sequence of pkt-lines")
        line = data[at + 4:at + size]
        at += size
        if line.startswith(b"want "):
            if not re.fullmatch(rb"[0-9a-f]{40}", line[5:45]):
                raise BadInput("a want line names a 40-digit hexadecimal object id")
            found.append(line[5:45].decode("ascii"))
    return found


def check_wants(repository: Path, wanted: list[str]) -> None:
    """Refuse a fetch that wants anything but commits the published branch reaches (the same answer whether or not it exists)."""
    repo = pygit2.Repository(str(repository))
    branch = repo.references.get(BRANCH)
    head = branch.target if branch is not None else None
    for oid in wanted:
        found = repo.get(oid)
        if (head is None or not isinstance(found, pygit2.Commit)
                or (found.id != head and not repo.descendant_of(head, found.id))):
            raise NotFound(f"object {oid} is not a commit of {BRANCH}: a fetch gets only what the published branch reaches")


def stream_out(process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    """Yield a CGI's body as it comes, then reap the process."""
    try:
        while chunk := output(process).read(CHUNK):
            yield chunk
    finally:
        output(process).close()
        process.wait()


def output(process: subprocess.Popen[bytes]) -> IO[bytes]:
    """Return the pipe a process writes to (started with stdout=PIPE)."""
    if process.stdout is None:
        raise RuntimeError("the process was started without a pipe for its output")
    return process.stdout


def refuse(start_response: StartResponse, status: int, code: str, message: str,
           headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Answer with the API's JSON error shape, before git is run."""
    data = json.dumps(error_document(code, message)).encode("utf-8")
    start_response(f"{status} {HTTPStatus(status).phrase}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
    return [data]
