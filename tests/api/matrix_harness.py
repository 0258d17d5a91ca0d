"""A real Synapse homeserver for the tests, a room on it, and the learner's own device that opens the links the bridge sends.

Synapse runs in its own virtualenv, loopback only, SQLite, no federation.

Synapse is AGPL and heavy, so it lives in a virtualenv of its own, cached outside
the checkout so a fresh clone (as CI makes) reuses it: `$COOP_SYNAPSE_VENV`, else
`~/.cache/coop/synapse-venv` (made by `make synapse`, or here when missing). It runs
as a separate process that the tests stop with SIGTERM sent to that process itself.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from api.chat.bridge import Bridge
from api.chat.matrix import Matrix
from api.usecases import members
from coop import invitations, statements
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, claim_fields, record_sha
from coop.node import Node
from coop.statements import KeyRecord
from projects.learners import LEARNER_TYPE

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("COOP_SYNAPSE_VENV")
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coop" / "synapse-venv")
SERVER_NAME = "localhost"
READY_TIMEOUT = 60.0
BRIDGE_APP = "chat-bridge"
LINKS = "http://coop.example"
_names = itertools.count()
LOTS = {"per_second": 1000, "burst_count": 1000}
LINK = re.compile(re.escape(LINKS) + r"/join/\S+")


def synapse_python() -> Path:
    """Return the Python of the Synapse virtualenv, creating it if it is missing."""
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", "import synapse.app.homeserver"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "matrix-synapse"], check=True)
    return python


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(directory: Path, port: int, secret: str) -> dict:
    """Return a homeserver config that makes no outside contact and lets tests go fast."""
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "report_stats": False,
        "registration_shared_secret": secret,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "federation_sender_instances": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        "bcrypt_rounds": 4,
        "rc_message": LOTS, "rc_registration": LOTS, "rc_admin_redaction": LOTS, "rc_invites":
            {"per_room": LOTS, "per_user": LOTS, "per_issuer": LOTS},
        "rc_login": {"address": LOTS, "account": LOTS, "failed_attempts": LOTS},
        "rc_joins": {"local": LOTS, "remote": LOTS},
    }


class Homeserver:
    """One Synapse process on 127.0.0.1; `stop` and `start` again keep its data (an outage)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.python = synapse_python()
        self.http = requests.Session()
        directory.mkdir(parents=True, exist_ok=True)
        seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        (directory / "signing.key").write_text(f"ed25519 a_test {seed}\n")
        self.config_path = directory / "homeserver.yaml"
        self.config_path.write_text(json.dumps(config(directory, self.port, self.secret), indent=1))  # JSON is YAML

    def start(self) -> Homeserver:
        """Start Synapse and wait until it answers (and is still the process answering)."""
        log = open(self.directory / "synapse.log", "ab")
        with log:
            self.process = subprocess.Popen([str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                                            cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}: see {self.directory / 'synapse.log'}")
            try:
                if self.http.get(f"{self.url}/_matrix/client/versions", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("Synapse did not become ready")

    def stop(self) -> None:
        """Send SIGTERM to the Synapse process itself and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the server and release the client session."""
        self.stop()
        self.http.close()

    def register(self, user: str, password: str = "pw", admin: bool = False) -> str:
        """Register a user with the shared-secret admin API; return their access token."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = self.http.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"admin" if admin else b"notadmin"]))
        answer = self.http.post(endpoint, json={"nonce": nonce, "username": user, "password": password,
                                                "admin": admin, "mac": mac.hexdigest()}, timeout=10)
        answer.raise_for_status()
        return answer.json()["access_token"]


class Room:
    """A public room on the homeserver, with a learner in it who can talk and read replies."""

    def __init__(self, homeserver: Homeserver) -> None:
        n = next(_names)
        self.homeserver = homeserver
        self.alias = f"#lobby{n}:localhost"
        self.bot_token = homeserver.register(f"bridge{n}")
        self.learner = Matrix(homeserver.url, homeserver.register(f"learner{n}"))
        self.learner_id = f"@learner{n}:localhost"
        self.clients = [self.learner]
        self.direct_rooms: list[str] = []
        self.room_id = self.learner.call("POST", "/_matrix/client/v3/createRoom",
                                         {"room_alias_name": f"lobby{n}", "preset": "public_chat"})["room_id"]

    def say(self, text: str) -> None:
        """Post a message as the learner."""
        self.learner.call("PUT", f"/_matrix/client/v3/rooms/{self.room_id}/send/m.room.message/{next(_names)}",
                          {"msgtype": "m.text", "body": text})

    def notices(self) -> list[str]:
        """Return every notice the bridge posted in the public room, oldest first."""
        return [body for _, body in self._notices(self.room_id)]

    def direct_messages(self) -> list[str]:
        """Accept every direct-message invitation the learner has, and return the notices in those rooms, oldest first."""
        invites = self.learner.call("GET", "/_matrix/client/v3/sync", params={"timeout": 0}).get("rooms", {}).get("invite", {})
        for room_id, room in invites.items():
            member = [e for e in room["invite_state"]["events"] if e["type"] == "m.room.member" and e["state_key"] == self.learner_id]
            if member and member[0]["content"].get("is_direct") and room_id not in self.direct_rooms:
                self.learner.join(room_id)
                self.direct_rooms.append(room_id)
        return [body for _, body in sorted(n for room_id in self.direct_rooms for n in self._notices(room_id))]

    def _notices(self, room_id: str) -> list[tuple[int, str]]:
        page = self.learner.call("GET", f"/_matrix/client/v3/rooms/{room_id}/messages", params={"dir": "b", "limit": 1000})
        return [(e["origin_server_ts"], e["content"]["body"]) for e in reversed(page["chunk"])
                if e["type"] == "m.room.message" and e["content"].get("msgtype") == "m.notice"]

    def bridge(self, node: Node, **options: Any) -> Bridge:
        """Return a started bridge for this room (a new one each call: a restart)."""
        matrix = Matrix(self.homeserver.url, self.bot_token, **options)
        self.clients.append(matrix)
        return Bridge(node, BRIDGE_APP, matrix, self.alias, LINKS).start()

    def close(self) -> None:
        """Release the HTTP sessions of the learner and every bridge."""
        for client in self.clients:
            client.http.close()


def link_in(text: str) -> str:
    """Return the one join link a message holds."""
    [link] = LINK.findall(text)
    return link


def claim(node: Node, link: str) -> KeyPair:
    """Open a link on the learner's own device: make a device key and a recovery key there, sign the claim with the device key.

    The same claim joins (a new member) and moves (a member whose key the node held).
    Returns the device key, which the node never sees.
    """
    _, handle, code = members.parse_join_link(link)
    device, recovery = KeyPair.generate(handle), KeyPair.generate(handle)
    view = node.view()
    fields = claim_fields(invitations.invitation(view, handle) or {}, code, KeyRecord(device.public, label="phone"),
                          KeyRecord(recovery.public, label="paper", recovery=True), view.member(handle),
                          record_sha(view, handle), view.last_seq(handle))
    body = statements.make_body(MEMBER_TYPE, view.origin, handle, view.last_seq(handle) + 1, fields, node.clock())
    node.submit_one(statements.sign(body, [device]))
    return device


def joined_before_invitations(node: Node, matrix_id: str, handle: str = "ana", asked_at: str = "2026-11-23T20:00:00Z") -> None:
    """Add a learner as the bridge did before invitations: a key this node made and keeps, a profile with the attestation."""
    node.add_member(handle, ["learner"], ["web"], author=BRIDGE_APP)
    node.write(LEARNER_TYPE, {"handle": handle, "track": "web", "mentor": None, "joined_via": "chat", "matrix_id": matrix_id,
                              "asked_at": asked_at}, BRIDGE_APP)


if __name__ == "__main__":  # `make synapse`: build the cached virtualenv ahead of the tests
    print(synapse_python(), file=sys.stderr)
