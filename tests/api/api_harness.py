"""What the API tests run: `coop serve` on 127.0.0.1, a node with members, a webhook receiver."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import requests

from api.sdk import Client
from api.wiring import create_node
from coop.keys import KeyPair
from ledger import records

COOP = Path(sys.executable).with_name("coop")
PASSPHRASE = "test passphrase"
ORIGIN = "coop.example/test"
# The test charter lets a vote last a second, so tests of windows need not wait (a real co-op's minimum is 48 hours).
CHARTER_RULES = {"min_window_seconds": {"default": 1}}
MEMBERS = {"bob": ["member", "mentor"], "carol": ["member"], "dan": ["learner"]}
# Quick retries so the webhook tests need not wait long; no rate limits unless a test sets them.
SERVER_ENV = {"COOP_PASSPHRASE": PASSPHRASE, "COOP_KDF_COST": "min", "COOP_WEBHOOK_ALLOW_PRIVATE": "1",
              "COOP_WEBHOOK_BACKOFF": "0.05", "COOP_WEBHOOK_BACKOFF_MAX": "0.3", "COOP_WEBHOOK_POLL": "0.1",
              "COOP_RATE_READS": "0", "COOP_RATE_WRITES": "0", "COOP_THREADS": "8"}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """`coop serve` in a subprocess, on its own port of 127.0.0.1."""

    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Return the file the server's stderr goes to."""
        return self.home.parent / f"server-{self.port}.log"

    def start(self) -> Server:
        """Start the server and wait until it answers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
        env.update({**SERVER_ENV, **self.env})
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(COOP), "--home", str(self.home), "serve", "--listen", f"127.0.0.1:{self.port}"],
                                            env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"coop serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if requests.get(self.url + "/api/v1", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"coop serve did not answer within 20 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop the server as an operator would (SIGTERM) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class Coop:
    """A node on disk, its members' keys and a running server."""

    home: Path
    keys: dict[str, KeyPair]
    vkey: str
    server: Server

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return self.server.url

    def client(self) -> Client:
        """Return an SDK client of the server."""
        return Client(self.url)


def make_node(home: Path, founder: str = "alice", rules: Mapping[str, Any] = CHARTER_RULES) -> tuple[dict[str, KeyPair], str]:
    """Create a node with a founder (alice), the charter's rules, and members; return their keys and the log's verifier key."""
    node = create_node({"home": str(home), "kdf_cost": "min"}, "Test Co-op", ORIGIN, founder, passphrase=PASSPHRASE, rules=rules)
    for handle, roles in MEMBERS.items():
        node.add_member(handle, roles, ["html"] if roles == ["learner"] else ["python"], author="bob" if roles == ["learner"] else None)
    keys = {handle: node.keys.unlock(handle) for handle in [founder, *MEMBERS]}
    vkey = records.verifier(node.view()).to_vkey()
    node.index.db.close()
    return keys, vkey


def served_node(home: Path) -> Iterator[Coop]:
    """Make the test node at home, serve it with `coop serve` until the generator is closed (a fixture's body)."""
    keys, vkey = make_node(home)
    server = Server(home).start()
    yield Coop(home, keys, vkey, server)
    server.stop()


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each delivery (and can be down)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self._server: HTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Return the URL apps subscribe with."""
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        """Start listening."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.deliveries.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, fmt: str, *args: object) -> None:
                return

        self._server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (deliveries now fail)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[tuple[dict[str, str], bytes]]:
        """Return the deliveries so far."""
        with self._lock:
            return list(self.deliveries)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[dict[str, str], bytes]]:
        """Wait until at least `count` deliveries arrived and return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received())}")
