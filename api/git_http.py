"""The repository over git's smart HTTP, read-only: `git clone http://HOST:PORT/git/`.

A small WSGI layer in front of the Flask app runs `git http-backend` as a CGI
for paths under `/git/`, with the node's bare repository as GIT_PROJECT_ROOT.
Only fetching is served (`git-upload-pack`); a push (`git-receive-pack`) is
refused with 403 before git sees it: every change reaches the repository as a
signed statement through the API, never as a pushed commit.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

PREFIX = "/git"
MAX_REQUEST = 16 * 1024 * 1024  # a fetch negotiation is a few kilobytes; refuse absurd bodies
CHUNK = 64 * 1024
RECEIVE = "git-receive-pack"

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
        if rest.endswith("/" + RECEIVE) or f"service={RECEIVE}" in environ.get("QUERY_STRING", ""):
            return plain(start_response, "403 Forbidden", "this repository is read-only: changes arrive as signed statements through the API\n")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "POST"):
            return plain(start_response, "405 Method Not Allowed", "git over HTTP takes GET and POST\n")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST:
            return plain(start_response, "413 Request Entity Too Large", "request too large\n")
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
                return plain(start_response, "413 Request Entity Too Large", "request too large\n")
            body.write(chunk)
        body.seek(0)
        env = {name: value for name, value in environ.items() if name.startswith("HTTP_") and isinstance(value, str)}
        env.update({
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


def plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    """Answer with a short plain-text message."""
    data = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]
