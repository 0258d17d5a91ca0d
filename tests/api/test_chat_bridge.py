"""The bridge against a real Synapse: joining by a link sent directly, moving off a held key, answering, restarting, outages."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import COOP, Server
from matrix_harness import BRIDGE_APP, Homeserver, Room, claim, joined_before_invitations, link_in

from api.chat.bridge import Bridge
from api.sdk import Client
from api.usecases import members
from coop import canonical, invitations, statements
from coop.node import Node
from governance import proposals as P
from projects import clients, work
from projects.learners import profile


def test_join_sends_a_link_by_direct_message_and_its_claim_makes_an_attested_learner(node: Node, room: Room) -> None:
    bridge = room.bridge(node)
    bridge.step()
    room.say("!join Ana web html css")
    bridge.step()
    [message] = room.direct_messages()
    link = link_in(message)
    device = claim(node, link)  # on the learner's own device, with a key made there
    bridge.step()
    room.say("!join ana web")
    bridge.step()

    view = node.view()
    assert view.require_member("ana")["roles"] == ["learner"] and view.require_member("ana")["author"] == "ana"
    assert (invitations.invitation(view, "ana") or {})["author"] == BRIDGE_APP
    learner = profile(view, "ana") or {}
    assert learner["matrix_id"] == room.learner_id and learner["joined_via"] == "chat" and learner["track"] == "web"
    assert learner["author"] == BRIDGE_APP
    server = Server(Path(node.home)).start()
    try:
        api = Client(server.url)
        assert api.get("/api/v1/learners/ana")["joined_via"] == "chat"
        assert api.get("/api/v1/members/ana")["roles"] == ["learner"]
        assert room.learner_id.encode() in api.get_bytes("/api/v1/statements/learners/ana.json")
        api.session.close()
    finally:
        server.stop()
    sent, welcome, again = room.notices()
    assert sent == f"{room.learner_id}: I sent you a direct message with your link. Open it on your own phone or computer to finish joining."
    assert welcome.startswith(f"{room.learner_id}: welcome to Test Co-op, ana!") and "!projects" in welcome
    assert again == f"{room.learner_id}: you already joined as 'ana'. Try !projects, !mentor or !help."
    _, _, code = members.parse_join_link(link)
    assert not any(link in notice or code in notice for notice in room.notices())
    assert not any(held["handle"] == "ana" or held["public"] == device.public.to_b64() for held in _key_store(node))


def test_claim_sends_a_move_link_by_direct_message_to_a_learner_whose_key_the_node_holds(node: Node, room: Room) -> None:
    joined_before_invitations(node, room.learner_id)
    held = node.identity("ana").kid
    bridge = room.bridge(node)
    bridge.step()
    room.say("!claim")
    bridge.step()
    [message] = room.direct_messages()
    link = link_in(message)
    device = claim(node, link)
    room.say("!claim")
    bridge.step()

    keys = {k.kid: k for k in node.view().keys("ana")}
    assert keys[held].revoked_after is not None and keys[device.kid].revoked_after is None
    sent, moved = room.notices()
    assert sent.startswith(f"{room.learner_id}: I sent you a direct message with your link.") and link not in sent
    assert moved == f"{room.learner_id}: your record 'ana' already uses a key of your own, so there is nothing to move."
    assert len(room.direct_messages()) == 1


def _key_store(node: Node) -> list[dict[str, Any]]:
    """Return the public side of every key file under the node's home."""
    return [canonical.decode(path.read_bytes()) for path in Path(node.home).rglob("*.key")]


def test_a_restart_mid_batch_loses_and_repeats_nothing(node: Node, room: Room) -> None:
    first = room.bridge(node)
    first.step()
    for text in ("!join bea web", "!help", "!proposals"):
        room.say(text)
    sent = first.matrix.send

    def crash_after_one(room_id: str, text: str) -> str:
        if room_id == first.room_id:  # the first command is answered (its link went directly before)
            first.matrix.send = crash  # type: ignore[method-assign]
        return sent(room_id, text)

    def crash(room_id: str, text: str) -> str:
        raise KeyboardInterrupt  # the process dies between two commands of one batch

    first.matrix.send = crash_after_one  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        first.step()
    second = room.bridge(node)
    second.step()
    second.step()

    notices = room.notices()
    assert len(notices) == 3
    assert "direct message" in notices[0] and "Commands:" in notices[1] and "no proposal is open" in notices[2]
    assert _invited(node, "bea") and len(room.direct_messages()) == 1


def test_a_gap_in_sync_is_paged_back(node: Node, room: Room) -> None:
    bridge = room.bridge(node)
    bridge.step()
    room.say("!join cleo design")
    for n in range(14):  # more than /sync's default timeline: the batch comes back `limited`
        room.say(f"chatter {n}")
    restarted = room.bridge(node)
    pages = []
    page_back = restarted.matrix.messages_before

    def paged(room_id: str, token: str, limit: int = 100) -> Iterator[dict[str, Any]]:
        pages.append((room_id, token, limit))
        return page_back(room_id, token, limit)

    restarted.matrix.messages_before = paged  # type: ignore[method-assign]
    restarted.step()
    assert pages, "the batch was not limited: the test did not make a gap"
    assert _invited(node, "cleo")
    assert len(room.notices()) == 1


def test_the_bridge_waits_out_an_outage_and_catches_up(node: Node, room: Room, homeserver: Homeserver) -> None:
    lines: list[str] = []
    bridge = room.bridge(node, backoff_max=0.5, log=lines.append)
    bridge.step()
    stop = threading.Event()
    worker = threading.Thread(target=lambda: _loop(bridge, stop))
    room.say("!join dara qa")  # said just before the outage, not yet read by the bridge
    homeserver.stop()
    worker.start()
    try:
        _wait(lambda: len(lines) >= 2, "the bridge to notice the outage")
        homeserver.start()
        room.say("!help")
        _wait(lambda: len(room.notices()) >= 2, "the bridge to catch up")
    finally:
        stop.set()
        worker.join(timeout=30)
        if homeserver.process is None:
            homeserver.start()  # the later tests need it
    assert any("unreachable" in line for line in lines)
    notices = room.notices()
    assert len(notices) == 2 and "direct message" in notices[0] and "Commands:" in notices[1]
    assert _invited(node, "dara")


def _invited(node: Node, handle: str) -> bool:
    return invitations.state(node.view(), handle, node.clock()) == "pending"


def _loop(bridge: Bridge, stop: threading.Event) -> None:
    while not stop.is_set():
        bridge.step(timeout_ms=500)


def _wait(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_malformed_commands_in_the_room_get_help_and_change_nothing(node: Node, room: Room) -> None:
    bridge = room.bridge(node)
    bridge.step()
    head = node.store.head_id()
    for text in ("!join", "!join alice web", "!join a1ice web", "!join bo/b web", "!join ana python", "!dance"):
        room.say(text)
    bridge.step()
    notices = room.notices()
    assert len(notices) == 6 and all(n.startswith(f"{room.learner_id}: ") for n in notices)
    assert "usage: !join HANDLE TRACK" in notices[0] and "'alice' is taken" in notices[1]
    assert "looks like the existing handle 'alice'" in notices[2] and "is not allowed" in notices[3]
    assert "name your track" in notices[4] and "Commands:" in notices[5]
    assert node.store.head_id() == head


def test_the_room_hears_of_new_requests_and_proposals(node: Node, room: Room) -> None:
    bridge = room.bridge(node)
    bridge.step()
    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", None, now), "carol", created=now)
    node.write(work.PROJECT_TYPE, {"id": "shop", "client": "acme", "title": "A web shop", "text": "", "skills": ["web"],
                                   "budget": {"amount": 100000, "currency": "EUR"}, "deadline": "2027-03-31"}, "carol")
    fields = P.proposal_fields("p-1", "Buy a kettle", "# Kettle\n", "majority", {"kind": "general"}, node.view(), 3600)
    node.write(P.PROPOSAL_TYPE, fields, "alice")
    bridge.step()
    bridge.step()
    assert room.notices() == [
        "New client request shop: A web shop (skills: web, deadline 2027-03-31) http://coop.example/api/v1/projects/shop",
        f"Proposal opened: Buy a kettle (closes {fields['closes']}) http://coop.example/api/v1/proposals/p-1",
    ]


def test_coop_chat_bridge_restarted_between_commands_loses_and_repeats_nothing(node: Node, room: Room) -> None:
    def start() -> subprocess.Popen[bytes]:
        env = {**os.environ, "COOP_MATRIX_TOKEN": room.bot_token}
        command = [str(COOP), "--home", str(node.home), "chat-bridge", "--homeserver", room.homeserver.url, "--room", room.alias]
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    process = start()
    try:
        state = Path(node.home) / "chat-bridge-chat-bridge.json"
        _wait(lambda: state.exists() and json.loads(state.read_text())["since"], "the bridge to start")
        room.say("!join ines web")
        _wait(lambda: len(room.notices()) == 1, "the answer to !join")
        stop(process)
        room.say("!help")
        room.say("!join ines2 web")
        process = start()
        _wait(lambda: len(room.notices()) == 3, "the answers to what was said while the bridge was down")
        time.sleep(0.5)  # a repeat would come now
    finally:
        stop(process)
    notices = room.notices()
    assert len(notices) == 3 and "direct message" in notices[0] and "Commands:" in notices[1]
    assert "already asked to join as 'ines'" in notices[2]
