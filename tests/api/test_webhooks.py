"""Webhooks: signed events delivered once, in the order of the log, through receiver outages and restarts."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest

from api import signing
from api.client import Client, new_key, verify_webhook
from api.node import open_node
from api_harness import PASSPHRASE, Coop, Receiver, Server, make_node
from coop import statements
from coop.apps import EVENTS
from coop.errors import BadSignature
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.statements import KeyRecord
from ledger import entries as E
from projects import clients, work


def log_positions(home: Path) -> dict[str, int]:
    """Return each commit's position along the branch, oldest first."""
    repo = pygit2.Repository(str(home / "repo.git"))
    chain = []
    commit = repo[repo.references["refs/heads/main"].target]
    while True:
        chain.append(str(commit.id))
        if not commit.parents:
            break
        commit = commit.parents[0]
    return {cid: position for position, cid in enumerate(reversed(chain))}


def events(deliveries: list[tuple[dict[str, str], bytes]]) -> list[dict[str, Any]]:
    """Return the events of deliveries, in the order they arrived."""
    return [json.loads(body) for _, body in deliveries]


def revenue(client: Client, pair: KeyPair, entry_id: str) -> None:
    """Record a revenue entry over HTTP."""
    fields = E.with_postings(E.REVENUE, {"id": entry_id, "client": "harbour-cafe", "amount": 5000, "currency": "EUR", "account": "bank"})
    client.submit(pair, E.REVENUE, fields, "/api/v1/ledger/entries")


def wait_until(check: Any, timeout: float = 15.0) -> Any:
    """Poll until check() is truthy and return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_each_event_arrives_once_signed_in_the_order_of_the_log(coop: Coop, client: Client, receiver: Receiver) -> None:
    alice, bob = coop.keys["alice"], coop.keys["bob"]
    client.register_app(alice, "board", "Notice board", new_key("board"), [], receiver.url, EVENTS)
    client.open_proposal(alice, "p-paint", "Paint the office", "Blue.", "majority", closes_in=600)
    client.vote(alice, "p-paint", "yes")
    client.vote(bob, "p-paint", "no")
    client.submit(bob, MEMBER_TYPE, member_fields("erin", ["learner"], ["web"], [KeyRecord(new_key("erin").public)]), "/api/v1/members")
    created = statements.now()
    client.post(client.sign(alice, clients.CLIENT_TYPE, clients.client_fields("harbour-cafe", "Harbour Cafe", "alice", None, created),
                            created=created), "/api/v1/clients")
    client.submit(alice, work.PROJECT_TYPE, {"id": "cafe-menu", "client": "harbour-cafe", "title": "Menu site", "text": "A menu.",
                                             "skills": ["web"], "budget": {"amount": 90000, "currency": "EUR"}, "deadline": "2027-01-31"},
                  "/api/v1/requests")
    revenue(client, alice, "rev-cafe-1")
    revenue(client, alice, "rev-cafe-2")

    got = events(receiver.wait_for(7))
    time.sleep(0.3)  # anything delivered twice would have arrived by now

    assert [e["type"] for e in receiver_events(receiver)] == ["proposal.opened", "vote.cast", "vote.cast", "learner.joined",
                                                              "request.posted", "ledger.entry_appended", "ledger.entry_appended"]
    assert len({e["id"] for e in got}) == len(got)
    positions = log_positions(coop.home)
    assert [positions[e["commit"]] for e in got] == sorted(positions[e["commit"]] for e in got)
    assert [e["data"]["id"] for e in got if e["type"] == "ledger.entry_appended"] == ["rev-cafe-1", "rev-cafe-2"]
    for headers, body in receiver.received():
        assert client.verify_webhook(headers, body)["id"] == headers["Coop-Event-Id"]
    log = list(client.items("/api/v1/apps/board/deliveries"))
    assert [d["event"]["id"] for d in log] == [e["id"] for e in got]
    assert {d["status"] for d in log} == {"delivered"} and {d["attempts"] for d in log} == {1}


def receiver_events(receiver: Receiver) -> list[dict[str, Any]]:
    """Return every event the receiver got."""
    return events(receiver.received())


@pytest.mark.parametrize("change", ["body", "time", "key"])
def test_a_tampered_stale_or_foreign_delivery_does_not_verify(change: str) -> None:
    node_key, other = KeyPair("node", bytes(32)), KeyPair("node", bytes([1]) * 32)
    body = b'{"id":"evt_1"}'
    header = signing.sign(other if change == "key" else node_key, body, int(time.time()) - (600 if change == "time" else 0))
    sent = body.replace(b"1", b"2") if change == "body" else body

    with pytest.raises(BadSignature):
        verify_webhook({"Coop-Signature": header}, sent, [node_key.public])


def test_a_receiver_that_was_down_gets_its_deliveries_in_order_when_back(coop: Coop, client: Client) -> None:
    down = Receiver()
    client.register_app(coop.keys["carol"], "ledger-mirror", "Ledger mirror", new_key("ledger-mirror"), [], down.url,
                        ["ledger.entry_appended"])
    for n in range(3):
        revenue(client, coop.keys["carol"], f"rev-mirror-{n}")
    failing = wait_until(lambda: [d for d in client.items("/api/v1/apps/ledger-mirror/deliveries") if d["attempts"] >= 2])
    assert failing[0]["status"] == "pending" and "ConnectionError" in failing[0]["last_error"]

    down.start()
    try:
        got = events(down.wait_for(3))
    finally:
        down.stop()

    assert [e["data"]["id"] for e in got] == ["rev-mirror-0", "rev-mirror-1", "rev-mirror-2"]


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
    down = Receiver()
    client = Client(server.start().url)
    client.register_app(keys["alice"], "mirror", "Mirror", new_key("mirror"), [], down.url, ["ledger.entry_appended"])
    revenue(client, keys["alice"], "rev-before-restart")
    wait_until(lambda: [d for d in client.items("/api/v1/apps/mirror/deliveries") if d["attempts"] >= 1])
    server.stop()
    node = open_node({"home": str(server.home)}, PASSPHRASE)  # written while no server runs, as the CLI would
    node.write(E.REVENUE, E.with_postings(E.REVENUE, {"id": "rev-while-down", "client": "harbour-cafe", "amount": 700,
                                                      "currency": "EUR", "account": "bank"}), "alice")
    node.index.db.close()

    server.start()
    down.start()
    try:
        down.wait_for(2)
        revenue(client, keys["alice"], "rev-after-restart")
        got = events(down.wait_for(3))
    finally:
        down.stop()

    assert [e["data"]["id"] for e in got] == ["rev-before-restart", "rev-while-down", "rev-after-restart"]
