"""Webhooks: signed events delivered in the order of the log, to a URL only the node knows, whatever receivers do.

Delivery is at least once (an attempt whose answer is lost is made again), so
order is checked on first receipts, de-duplicated by event id as a receiver would.
"""
from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pygit2
import pytest
import requests
from api_harness import PASSPHRASE, Coop, Receiver, Server, make_node
from hypothesis import assume, given
from hypothesis import strategies as st

from api import settings as api_settings
from api.sdk import Client, new_key, verify_webhook
from api.webhooks import signature
from api.webhooks.delivery import DELIVERED, PENDING, Dispatcher, Outbox, open_outbox
from api.webhooks.send import system_resolver
from api.webhooks.urls import WebhookUrls
from api.wiring import open_node
from coop import audit, canonical, replay, statements
from coop.accept import accept
from coop.apps import APP_TYPE, EVENTS, app_fields
from coop.authors import app_path
from coop.errors import ApiError, BadInput, BadSignature
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord
from coop.store import commit_at
from coop.view import View
from ledger import entries as E
from projects import clients, work


def log_positions(home: Path) -> dict[str, int]:
    """Return each commit's position along the branch, oldest first."""
    repo = pygit2.Repository(str(home / "repo.git"))
    chain = []
    commit = commit_at(repo, repo.references["refs/heads/main"].target)
    while True:
        chain.append(str(commit.id))
        if not commit.parents:
            break
        commit = commit.parents[0]
    return {cid: position for position, cid in enumerate(reversed(chain))}


def events(deliveries: list[tuple[dict[str, str], bytes]]) -> list[dict[str, Any]]:
    """Return the events of deliveries, in the order they arrived."""
    return [json.loads(body) for _, body in deliveries]


def first_receipts(deliveries: list[tuple[dict[str, str], bytes]]) -> list[dict[str, Any]]:
    """Return each event once, in the order of its first arrival (as a receiver de-duplicating by event id sees them)."""
    seen: dict[str, dict[str, Any]] = {}
    for event in events(deliveries):
        seen.setdefault(event["id"], event)
    return list(seen.values())


def revenue_fields(entry_id: str) -> dict[str, Any]:
    """Return the fields of a revenue entry."""
    return E.with_postings(E.REVENUE, {"id": entry_id, "client": "harbour-cafe", "amount": 5000, "currency": "EUR", "account": "bank"})


def revenue(sdk: Client, pair: KeyPair, entry_id: str) -> None:
    """Record a revenue entry over HTTP."""
    sdk.submit(pair, E.REVENUE, revenue_fields(entry_id), "/api/v1/ledger/entries")


def wait_until(check: Any, timeout: float = 15.0) -> Any:
    """Poll until check() is truthy and return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def wait_for_log(sdk: Client, app: KeyPair, done: Any) -> list[dict[str, Any]]:
    """Poll the app's delivery log (signed by the app) until done(log) holds, and return the log."""
    return wait_until(lambda: (lambda log: log if done(log) else None)(list(sdk.deliveries(app))))


def test_each_event_arrives_once_signed_in_the_order_of_the_log(coop: Coop, sdk: Client, receiver: Receiver) -> None:
    alice, bob, board = coop.keys["alice"], coop.keys["bob"], new_key("board")
    sdk.register_app(alice, "board", "Notice board", board, [], receiver.url, EVENTS)
    sdk.open_proposal(alice, "p-paint", "Paint the office", "Blue.", "majority", closes_in=600)
    sdk.vote(alice, "p-paint", "yes")
    sdk.vote(bob, "p-paint", "no")
    sdk.submit(bob, MEMBER_TYPE, member_fields("erin", ["learner"], ["web"], [KeyRecord(new_key("erin").public)]), "/api/v1/members")
    created = statements.now()
    sdk.post(sdk.sign(alice, clients.CLIENT_TYPE, clients.client_fields("harbour-cafe", "Harbour Cafe", "alice", None, created),
                            created=created), "/api/v1/clients")
    sdk.submit(alice, work.PROJECT_TYPE, {"id": "cafe-menu", "client": "harbour-cafe", "title": "Menu site", "text": "A menu.",
                                             "skills": ["web"], "budget": {"amount": 90000, "currency": "EUR"}, "deadline": "2027-01-31"},
                  "/api/v1/requests")
    revenue(sdk, alice, "rev-cafe-1")
    revenue(sdk, alice, "rev-cafe-2")

    # Each delivery is recorded after its receiver answered: once all are, every attempt made has arrived.
    log = wait_for_log(sdk, board, lambda log: len(log) == 7 and {d["status"] for d in log} == {"delivered"})
    got = receiver_events(receiver)

    assert [e["type"] for e in got] == ["proposal.opened", "vote.cast", "vote.cast", "learner.joined",
                                        "request.posted", "ledger.entry_appended", "ledger.entry_appended"]
    assert len({e["id"] for e in got}) == len(got)
    positions = log_positions(coop.home)
    assert [positions[e["commit"]] for e in got] == sorted(positions[e["commit"]] for e in got)
    assert [e["data"]["id"] for e in got if e["type"] == "ledger.entry_appended"] == ["rev-cafe-1", "rev-cafe-2"]
    for headers, body in receiver.received():
        assert sdk.verify_webhook(headers, body)["id"] == headers["Coop-Event-Id"]
    assert [d["event"]["id"] for d in log] == [e["id"] for e in got]
    assert {d["attempts"] for d in log} == {1}


def receiver_events(receiver: Receiver) -> list[dict[str, Any]]:
    """Return every event the receiver got."""
    return events(receiver.received())


@pytest.mark.parametrize("change", ["body", "time", "key"])
def test_a_tampered_stale_or_foreign_delivery_does_not_verify(change: str) -> None:
    node_key, other = KeyPair("node", bytes(32)), KeyPair("node", bytes([1]) * 32)
    body = b'{"id":"evt_1"}'
    header = signature.sign(other if change == "key" else node_key, body, int(time.time()) - (600 if change == "time" else 0))
    sent = body.replace(b"1", b"2") if change == "body" else body

    with pytest.raises(BadSignature):
        verify_webhook({"Coop-Signature": header}, sent, [node_key.public])


def test_a_receiver_that_was_down_gets_its_deliveries_in_order_when_back(coop: Coop, sdk: Client) -> None:
    down, mirror = Receiver(), new_key("ledger-mirror")
    sdk.register_app(coop.keys["carol"], "ledger-mirror", "Ledger mirror", mirror, [], down.url, ["ledger.entry_appended"])
    for n in range(3):
        revenue(sdk, coop.keys["carol"], f"rev-mirror-{n}")
    failing = wait_for_log(sdk, mirror, lambda log: any(d["attempts"] >= 2 for d in log))
    assert failing[0]["status"] == "pending" and "Connection" in failing[0]["last_error"]

    down.start()
    try:
        wait_for_log(sdk, mirror, lambda log: len(log) == 3 and {d["status"] for d in log} == {"delivered"})
    finally:
        down.stop()

    assert [e["data"]["id"] for e in first_receipts(down.received())] == ["rev-mirror-0", "rev-mirror-1", "rev-mirror-2"]


@pytest.fixture
def lone(tmp_path: Path) -> Iterator[tuple[Server, dict[str, KeyPair]]]:
    """Return a server of its own node, not started (the test starts and stops it), and the members' keys."""
    home = tmp_path / "node"
    keys, _ = make_node(home)
    server = Server(home)
    yield server, keys
    server.stop()


def test_a_restart_of_the_server_loses_no_delivery(lone: tuple[Server, dict[str, KeyPair]]) -> None:
    server, keys = lone
    down, mirror = Receiver(), new_key("mirror")
    sdk = Client(server.start().url)
    sdk.register_app(keys["alice"], "mirror", "Mirror", mirror, [], down.url, ["ledger.entry_appended"])
    revenue(sdk, keys["alice"], "rev-before-restart")
    wait_for_log(sdk, mirror, lambda log: any(d["attempts"] >= 1 for d in log))
    server.stop()
    node = open_node({"home": str(server.home)}, PASSPHRASE)  # written while no server runs, as the CLI would
    node.write(E.REVENUE, revenue_fields("rev-while-down"), "alice")
    node.index.db.close()

    server.start()
    down.start()
    try:
        wait_for_log(sdk, mirror, lambda log: len(log) == 2 and {d["status"] for d in log} == {"delivered"})
        revenue(sdk, keys["alice"], "rev-after-restart")
        wait_for_log(sdk, mirror, lambda log: len(log) == 3 and {d["status"] for d in log} == {"delivered"})
    finally:
        down.stop()

    assert [e["data"]["id"] for e in first_receipts(down.received())] == ["rev-before-restart", "rev-while-down", "rev-after-restart"]


# -- the webhook URL is the node's secret ------------------------------------------------------

SECRET = "tok-5d1e0c2a9b"


def every_blob_and_message(repo: pygit2.Repository) -> Iterator[bytes]:
    """Yield every commit message and every blob of every commit reachable from any reference."""
    seen: set[str] = set()
    for ref in repo.references:
        target = repo.references[ref].peel(pygit2.Commit)
        for commit in repo.walk(target.id):
            yield commit.raw_message
            pending = [commit.tree]
            while pending:
                tree = pending.pop()
                for entry in tree:
                    if str(entry.id) in seen:
                        continue
                    seen.add(str(entry.id))
                    obj = repo[entry.id]
                    if isinstance(obj, pygit2.Tree):
                        pending.append(obj)
                    elif isinstance(obj, pygit2.Blob):
                        yield obj.data


def test_a_webhook_url_is_in_no_file_of_a_clone_and_in_no_api_answer(coop: Coop, sdk: Client, receiver: Receiver,
                                                                       tmp_path: Path) -> None:
    hook, url = new_key("secret-hook"), f"{receiver.url}?token={SECRET}"
    sdk.register_app(coop.keys["bob"], "secret-hook", "Secret hook", hook, [], url, ["ledger.entry_appended"])
    revenue(sdk, coop.keys["bob"], "rev-secret-1")
    log = wait_for_log(sdk, hook, lambda log: [d["status"] for d in log] == ["delivered"])
    clone = tmp_path / "clone.git"
    subprocess.run(["git", "clone", "-q", "--mirror", f"{coop.url}/git/", str(clone)], check=True, capture_output=True)

    answers = [requests.get(coop.url + path, timeout=10).content for path in (
        "/api/v1", "/api/v1/apps", "/api/v1/apps/secret-hook", f"/api/v1/statements/{app_path('secret-hook')}")]
    answers.append(json.dumps(log).encode())
    answers.append(json.dumps(sdk.set_webhook(hook, url)).encode())

    assert [blob for blob in every_blob_and_message(pygit2.Repository(str(clone))) if SECRET.encode() in blob] == []
    assert [answer for answer in answers if SECRET.encode() in answer] == []
    assert [h.get("Host") for h, _ in receiver.received()] == [f"127.0.0.1:{receiver.port}"]


def test_an_app_record_that_names_a_webhook_url_is_refused(coop: Coop, sdk: Client) -> None:
    key = new_key("loud-hook")
    fields = {**app_fields("loud-hook", "Loud hook", "bob", [KeyRecord(key.public)], [], ["vote.cast"]),
              "webhook": f"https://hooks.example/in?token={SECRET}"}
    head = sdk.get("/api/v1")["head"]

    with pytest.raises(ApiError) as refused:
        sdk.submit(coop.keys["bob"], APP_TYPE, fields, "/api/v1/apps")

    assert refused.value.status == 400 and "PUT /api/v1/apps/loud-hook/webhook" in refused.value.reason
    assert sdk.get("/api/v1")["head"] == head


REQUEST = {"origin": "coop.example/test", "node": "node", "method": "GET", "target": "/api/v1/apps/a/deliveries", "body": b""}


@given(part=st.sampled_from(sorted(REQUEST)), other=st.text(min_size=1, max_size=12))
def test_a_signed_request_verifies_only_as_it_was_signed(part: str, other: str) -> None:
    app = KeyPair("a", bytes(32))
    header = signature.sign_request(app, **REQUEST)  # type: ignore[arg-type]
    changed = {**REQUEST, part: other.encode() if part == "body" else other}
    assume(changed[part] != REQUEST[part] and (part != "method" or other.upper() != REQUEST["method"]))

    with pytest.raises(BadSignature):
        signature.verify_request(header, keys=[app.public], whose="app 'a'", nonces=signature.Nonces(), **changed)  # type: ignore[arg-type]


@pytest.mark.parametrize(("workers", "per_owner"), [(4, 4), (4, 0), (1, 1)], ids=["all-workers", "none", "one-worker"])
def test_a_share_per_owner_that_could_hold_every_worker_or_none_is_refused(tmp_path: Path, workers: int, per_owner: int) -> None:
    with pytest.raises(BadInput, match="webhook_per_owner"):
        api_settings.load(tmp_path, {"webhook_workers": workers, "webhook_per_owner": per_owner}, environ={})


@pytest.fixture(scope="module")
def private_app(coop: Coop) -> KeyPair:
    """Register an app owned by carol (no webhook yet) and return its key."""
    key = new_key("private-log")
    coop.client().register_app(coop.keys["carol"], "private-log", "Private log", key, [])
    return key


@pytest.mark.parametrize("signer", ["nobody", "its owner", "stale", "replayed", "for another query", "for another node"])
def test_the_delivery_log_and_the_webhook_url_are_the_apps_alone(coop: Coop, sdk: Client, private_app: KeyPair,
                                                                  signer: str) -> None:
    target, put = "/api/v1/apps/private-log/deliveries", "/api/v1/apps/private-log/webhook"
    origin, node = sdk.origin, sdk.node_name
    header = {
        "nobody": lambda: None,
        "its owner": lambda: signature.sign_request(coop.keys["carol"], origin, node, "GET", target),
        "stale": lambda: signature.sign_request(private_app, origin, node, "GET", target, timestamp=int(time.time()) - 600),
        "replayed": lambda: signature.sign_request(private_app, origin, node, "GET", target),
        "for another query": lambda: signature.sign_request(private_app, origin, node, "GET", target + "?limit=1"),
        "for another node": lambda: signature.sign_request(private_app, origin, "elsewhere", "GET", target),
    }[signer]()
    headers = {signature.REQUEST_HEADER: header} if header else {}
    if signer == "replayed":
        assert requests.get(coop.url + target, headers=headers, timeout=10).status_code == 200

    answers = [requests.get(coop.url + target, headers=headers, timeout=10),
               requests.put(coop.url + put, data=canonical.encode({"url": "https://hooks.example/stolen"}), headers=headers, timeout=10)]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(401, "bad_signature")] * 2
    assert WebhookUrls(coop.home).url("private-log", None) is None


def test_a_webhook_url_set_by_an_older_request_does_not_undo_a_newer_one(coop: Coop, sdk: Client, private_app: KeyPair) -> None:
    sdk.set_webhook(private_app, "https://hooks.example/new")
    put = "/api/v1/apps/private-log/webhook"
    body = canonical.encode({"url": "https://hooks.example/old"})
    older = signature.sign_request(private_app, sdk.origin, sdk.node_name, "PUT", put, body, timestamp=int(time.time()) - 60)

    answer = requests.put(coop.url + put, data=body, headers={signature.REQUEST_HEADER: older}, timeout=10)

    assert answer.status_code == 409
    assert WebhookUrls(coop.home).url("private-log", None) == "https://hooks.example/new"
    sdk.set_webhook(private_app, None)


def commit_as_an_older_node(node: Node, author: str, fields: dict[str, Any]) -> None:
    """Commit an app record as a node from before webhook URLs left the record would have: checked as history is."""
    view = node.view()
    body = statements.make_body(APP_TYPE, view.origin, author, view.last_seq(author) + 1, fields)
    raw = statements.sign(body, [node.identity(author)])
    path = app_path(fields["id"])

    def prepare(snapshot: Any) -> dict[str, bytes | None]:
        staged = View(snapshot)
        accept(node.registry, staged, raw, stored_at=path)
        return staged.pending

    node.store.commit(prepare, f"{APP_TYPE} by {author}\n\n{replay.trailer([path])}\n", node.commit_signer())


def test_an_older_record_that_names_a_url_still_verifies_and_is_delivered_to_but_never_shown(
        lone: tuple[Server, dict[str, KeyPair]], receiver: Receiver) -> None:
    server, keys = lone
    node = open_node({"home": str(server.home)}, PASSPHRASE)
    url = f"{receiver.url}?token={SECRET}"
    commit_as_an_older_node(node, "alice", {**app_fields("old-hook", "Old hook", "alice", [KeyRecord(new_key("old-hook").public)], [],
                                                         ["ledger.entry_appended"]), "webhook": url})
    assert audit.verify_repository(node.store, node.registry)
    node.index.db.close()
    sdk = Client(server.start().url)

    revenue(sdk, keys["alice"], "rev-old-hook")
    receiver.wait_for(1)

    assert [e["data"]["id"] for e in first_receipts(receiver.received())] == ["rev-old-hook"]
    assert SECRET not in requests.get(server.url + "/api/v1/apps/old-hook", timeout=10).text
    assert SECRET not in requests.get(server.url + "/api/v1/apps", timeout=10).text


# -- delivering: deadlines, shares of the workers, the checked address, one attempt at a time -----

class Clock:
    """The outbox's clock, moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


class Trickler:
    """A receiver on raw sockets that reads a request, then answers one header line at a time until released."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.release = threading.Event()
        self.requests = 0
        self.cut = 0  # answers the node hung up on
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """Return the URL apps subscribe with."""
        return f"http://127.0.0.1:{self.port}/hook"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            with self._lock:
                self.requests += 1
            try:
                conn.sendall(b"HTTP/1.1 204 No Content\r\n")
                while not self.release.wait(0.02):
                    conn.sendall(b"X-Still-Thinking: yes\r\n")
                conn.sendall(b"Content-Length: 0\r\n\r\n")
            except OSError:
                with self._lock:
                    self.cut += 1

    def close(self) -> None:
        """Let every answer finish and stop listening."""
        self.release.set()
        self.listener.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Node]:
    """Return an opened node of its own, with its node key, for dispatchers run in the test's process."""
    home = tmp_path / "node"
    make_node(home)
    node = open_node({"home": str(home)}, PASSPHRASE)
    yield node
    node.index.db.close()


def dispatcher(node: Node, outbox: Outbox | None = None, resolver: Any = None, **settings: Any) -> Dispatcher:
    """Return a dispatcher of the node with the given server settings (private addresses allowed)."""
    chosen = api_settings.load(node.home, {"webhook_allow_private": True, "webhook_backoff": 1.0, **settings}, environ={})
    made = outbox or open_outbox(node.home)
    return Dispatcher(node, made, chosen, resolver or system_resolver)


def add_app(node: Node, app_id: str, owner: str, url: str, outbox: Outbox) -> None:
    """Register an app subscribed to ledger entries, with its webhook URL set on the node."""
    node.write(APP_TYPE, app_fields(app_id, app_id, owner, [KeyRecord(new_key(app_id).public)], [], ["ledger.entry_appended"]), owner)
    outbox.urls.set(app_id, url, int(time.time()))


def write_revenue(node: Node, entry_id: str) -> None:
    """Append a revenue entry to the log, as the CLI would."""
    node.write(E.REVENUE, revenue_fields(entry_id), "alice")


def pending(node: Node, app_id: str, url: str, entries: int = 1, outbox: Outbox | None = None) -> Outbox:
    """Return an outbox holding deliveries of revenue entries to a new app of bob's whose webhook is `url`."""
    chosen = outbox or open_outbox(node.home)
    chosen.scan(node.store)
    add_app(node, app_id, "bob", url, chosen)
    for n in range(entries):
        write_revenue(node, f"rev-{app_id}-{n}")
    chosen.scan(node.store)
    return chosen


def test_a_fast_receiver_gets_its_deliveries_while_one_owners_slow_receivers_trickle(local: Node, receiver: Receiver) -> None:
    outbox = open_outbox(local.home)
    outbox.scan(local.store)
    slow = [Trickler() for _ in range(4)]
    for n, trickler in enumerate(slow):
        add_app(local, f"slow-{n}", "bob", trickler.url, outbox)
    add_app(local, "fast", "alice", receiver.url, outbox)
    for n in range(3):
        write_revenue(local, f"rev-fast-{n}")
    worker = dispatcher(local, outbox, webhook_workers=4, webhook_per_owner=2, webhook_timeout=120)
    worker.start()
    try:
        got = receiver.wait_for(3)
        in_flight = wait_until(lambda: (count := sum(t.requests for t in slow)) >= 2 and count)
        delivered_slow = [d for n in range(4) for d in outbox.deliveries(f"slow-{n}", DELIVERED)]
    finally:
        for trickler in slow:
            trickler.close()
        worker.stop()

    assert [e["data"]["id"] for e in first_receipts(got)] == ["rev-fast-0", "rev-fast-1", "rev-fast-2"]
    assert in_flight == 2 and delivered_slow == []


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(local: Node) -> None:
    slow = Trickler()
    outbox = pending(local, "slow", slow.url)
    try:
        dispatcher(local, outbox, webhook_timeout=0.3).deliver_next("slow")
        wait_until(lambda: slow.cut)
    finally:
        slow.close()

    [attempt] = outbox.deliveries("slow")
    assert attempt.status == PENDING and attempt.attempts == 1
    assert attempt.last_error is not None and "did not answer within 0.3 s" in attempt.last_error


def test_each_attempt_resolves_the_host_once_and_connects_to_the_address_it_checked(local: Node) -> None:
    checked = Receiver().start()  # nothing listens on 127.0.0.2, where a second lookup would lead
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["127.0.0.2"]

    outbox = pending(local, "pinned", f"http://hooks.example:{checked.port}/hook")
    try:
        dispatcher(local, outbox, resolver=rebinding).deliver_next("pinned")
    finally:
        checked.stop()

    assert lookups == ["hooks.example"]
    assert [h["Host"] for h, _ in checked.received()] == [f"hooks.example:{checked.port}"]
    assert [d.status for d in outbox.deliveries("pinned")] == [DELIVERED]


def test_an_https_receiver_is_reached_at_the_checked_address_under_its_name(local: Node, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=hooks.example", "-addext", "subjectAltName=DNS:hooks.example",
                    "-addext", "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the node trusts this receiver's certificate, as it would a public CA's
    seen: list[tuple[str | None, str | None]] = []
    names: list[str | None] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((names[-1] if names else None, self.headers.get("Host")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, fmt: str, *args: object) -> None:
            return

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    def remember(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name)

    tls.sni_callback = remember
    server = HTTPServer(("127.0.0.1", 0), Hook)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    outbox = pending(local, "tls-hook", f"https://hooks.example:{port}/hook")
    try:
        dispatcher(local, outbox, resolver=lambda host, port: ["127.0.0.1"]).deliver_next("tls-hook")
    finally:
        server.shutdown()
        server.server_close()

    assert seen == [("hooks.example", f"hooks.example:{port}")]
    assert [d.status for d in outbox.deliveries("tls-hook")] == [DELIVERED]


def test_a_host_that_resolves_to_a_private_address_is_not_connected_to(local: Node) -> None:
    lookups: list[str] = []

    def private(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["10.1.2.3"]

    outbox = pending(local, "inward", "https://hooks.example/hook")

    dispatcher(local, outbox, resolver=private, webhook_allow_private=False).deliver_next("inward")

    [attempt] = outbox.deliveries("inward")
    assert lookups == ["hooks.example"] and attempt.attempts == 1 and attempt.last_code is None
    assert attempt.last_error is not None and "10.1.2.3, which is not a public address" in attempt.last_error


def test_a_delivery_is_sent_only_while_it_is_the_apps_pending_head(local: Node, receiver: Receiver) -> None:
    outbox = pending(local, "once", receiver.url, entries=2)
    [looked] = outbox.heads()  # what the dispatcher saw before the worker in flight finished
    outbox.delivered(looked, 204)

    dispatcher(local, outbox).deliver_next("once")

    assert [e["data"]["id"] for e in events(receiver.received())] == ["rev-once-1"]


def test_a_failed_delivery_is_retried_only_once_its_backoff_has_passed_on_the_nodes_clock(local: Node) -> None:
    clock, down = Clock(), Receiver()
    outbox = pending(local, "later", down.url, outbox=Outbox(local.home / "outbox.sqlite", WebhookUrls(local.home), clock))
    worker = dispatcher(local, outbox, webhook_backoff=30.0)

    worker.deliver_next("later")
    worker.deliver_next("later")
    first = outbox.deliveries("later")[0].attempts
    clock.advance(40)
    worker.deliver_next("later")

    assert (first, outbox.deliveries("later")[0].attempts) == (1, 2)
