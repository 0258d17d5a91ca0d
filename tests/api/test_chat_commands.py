"""The bridge's commands without a homeserver: parsing, refusals that change nothing, answers, rate limits."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from matrix_harness import claim, joined_before_invitations, link_in

from api.chat import bridge as chat
from api.chat.commands import CLAIM_CHANGED, Command, parse
from api.chat.matrix import Matrix
from api.usecases import members
from api.webhooks.events import event
from coop import invitations, statements
from coop.apps import APP_TYPE, app_fields
from coop.authors import app
from coop.errors import BadInput, Conflict, Forbidden, MatrixError
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE
from coop.node import Node
from coop.statements import KeyRecord
from governance import proposals as P
from projects import clients, work
from projects.learners import LEARNER_TYPE, profile

ASKER = "@ana:example.org"
OTHER = "@mallory:example.org"
WHEN = "2026-11-23T20:00:00Z"


class Unreachable(Matrix):
    """A Matrix client that reaches no homeserver: it keeps what the bridge would send (the links, the welcomes)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")
        self.sent: list[tuple[str, str]] = []

    def direct_room(self, user_id: str) -> str:
        """Pretend to open a direct room."""
        return f"!dm-{user_id}"

    def send(self, room_id: str, text: str) -> str:
        """Keep what would be sent."""
        self.sent.append((room_id, text))
        return f"$event{len(self.sent)}"


@pytest.fixture
def bridge(node: Node) -> Iterator[chat.Bridge]:
    """Return a bridge on the node that is never started (no homeserver)."""
    chat.register(node, "chat-bridge", "bob")
    made = chat.Bridge(node, "chat-bridge", Unreachable(), "#lobby:localhost", "http://coop.example")
    yield made
    made.matrix.http.close()


def sent(bridge: chat.Bridge) -> list[tuple[str, str]]:
    """Return what the bridge sent, oldest first."""
    assert isinstance(bridge.matrix, Unreachable)
    return bridge.matrix.sent


def join(bridge: chat.Bridge, text: str = "!join ana web", sender: str = ASKER) -> str:
    """Ask to join and return the link the bridge sent the asker directly."""
    bridge.reply(sender, text, WHEN)
    room_id, message = sent(bridge)[-1]
    assert room_id == f"!dm-{sender}"
    return link_in(message)


def joined(node: Node, bridge: chat.Bridge, text: str = "!join ana web", sender: str = ASKER) -> KeyPair:
    """Join, open the link on the learner's own device, and let the bridge see it; return the device key."""
    device = claim(node, join(bridge, text, sender))
    bridge.settle()
    return device


@pytest.mark.parametrize(("text", "command"), [
    ("!join ana web html", Command("join", handle="ana", track="web", skills=("html", "web"))),
    ("  !join Ana DESIGN  ", Command("join", handle="ana", track="design", skills=("design",))),
    ("!HELP", Command("help")),
    ("!claim", Command("claim")),
    ("hello there", None),
    ("!", None),
], ids=["join", "case-and-space", "upper-case", "claim", "chat", "bang-only"])
def test_commands_parse(text: str, command: Command | None) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(("text", "hint"), [
    ("!join", "usage: !join HANDLE TRACK"),
    ("!join a/b web", "is not allowed"),
    ("!join ana", "name your track"),
    ("!join ana python", "name your track"),
    ("!join ana web c++", "skills are short tags"),
    ("!join alice web", "'alice' is taken"),
    ("!join ALICE web", "'alice' is taken"),
    ("!join a1ice web", "looks like the existing handle 'alice'"),
    ("!join dan\u200b web", "invisible"),
    ("!frobnicate", "I don't know '!frobnicate'"),
    ("!help me", "takes no arguments"),
    ("!claim", "only a learner who joined here"),
    ("!claim bm90LWEta2V5", CLAIM_CHANGED),
    ("!projects", "join first"),
    ("!mentor", "join first"),
    ("!join " + "x" * 64 + " web", "use 1-63 characters"),
], ids=["join-bare", "bad-handle", "no-track", "skill-not-track", "bad-skill", "taken", "taken-case", "look-alike",
        "invisible", "unknown", "extra-args", "claim-stranger", "claim-old-form", "projects-stranger", "mentor-stranger", "long"])
def test_a_malformed_command_gets_a_helpful_reply_and_changes_nothing(node: Node, bridge: chat.Bridge, text: str, hint: str) -> None:
    head = node.store.head_id()
    assert hint in (bridge.reply(ASKER, text, WHEN) or "")
    assert node.store.head_id() == head


def test_ordinary_chat_gets_no_reply(bridge: chat.Bridge) -> None:
    assert bridge.reply(ASKER, "good morning", WHEN) is None


def test_join_sends_an_invitation_link_directly_and_the_node_makes_no_key(node: Node, bridge: chat.Bridge) -> None:
    answer = bridge.reply(ASKER, "!join ana web html", WHEN) or ""

    [(room_id, message)] = sent(bridge)
    link = link_in(message)
    _, handle, code = members.parse_join_link(link)
    assert room_id == f"!dm-{ASKER}" and handle == "ana"
    assert "direct message" in answer and link not in answer and code not in answer
    view = node.view()
    assert invitations.state(view, "ana", node.clock()) == "pending" and (invitations.invitation(view, "ana") or {})["author"] == "chat-bridge"
    assert view.member("ana") is None and profile(view, "ana") is None and not node.keys.has("ana")


def test_the_learner_profile_is_written_once_the_invitation_is_claimed(node: Node, bridge: chat.Bridge) -> None:
    link = join(bridge, "!join ana web html")
    assert bridge.settle() == 0  # not claimed yet: nothing to write
    device = claim(node, link)

    assert bridge.settle() == 1
    view = node.view()
    learner = profile(view, "ana") or {}
    assert {k: learner[k] for k in ("track", "joined_via", "matrix_id", "asked_at", "author")} == {
        "track": "web", "joined_via": "chat", "matrix_id": ASKER, "asked_at": WHEN, "author": "chat-bridge"}
    assert view.require_member("ana")["skills"] == ["html", "web"] and device.kid in {k.kid for k in view.keys("ana")}
    assert not node.keys.has("ana")
    assert sent(bridge)[-1][1].startswith(f"{ASKER}: welcome to Test Co-op, ana!")
    assert bridge.settle() == 0 and bridge.cursor.joins == {}


def test_joining_twice_from_one_matrix_id_is_refused(node: Node, bridge: chat.Bridge) -> None:
    join(bridge)
    head = node.store.head_id()
    assert "already asked to join as 'ana'" in (bridge.reply(ASKER, "!join ana2 web", WHEN) or "")
    assert node.store.head_id() == head

    claim(node, link_in(sent(bridge)[-1][1]))
    bridge.settle()
    head = node.store.head_id()
    assert "already joined as 'ana'" in (bridge.reply(ASKER, "!join ana2 web", WHEN) or "")
    assert node.store.head_id() == head


def test_a_handle_someone_else_was_invited_as_is_refused(node: Node, bridge: chat.Bridge) -> None:
    join(bridge)
    head = node.store.head_id()

    answer = bridge.reply(OTHER, "!join ana web", WHEN) or ""
    assert "someone is already invited as 'ana'" in answer and "choose another handle" in answer
    assert node.store.head_id() == head and len(sent(bridge)) == 1


def test_asking_again_for_the_same_handle_sends_a_new_link_and_the_old_one_stops_working(node: Node, bridge: chat.Bridge) -> None:
    old = join(bridge)
    assert "new link" in (bridge.reply(ASKER, "!join ana web", WHEN) or "")
    new = link_in(sent(bridge)[-1][1])

    with pytest.raises(Forbidden, match="code does not match"):
        claim(node, old)
    claim(node, new)
    assert bridge.settle() == 1 and profile(node.view(), "ana") is not None


def test_an_invitation_that_lapses_leaves_no_profile(node: Node, bridge: chat.Bridge) -> None:
    join(bridge)
    members.cancel(node, "chat-bridge", "ana")

    assert bridge.settle() == 0 and bridge.cursor.joins == {}
    assert profile(node.view(), "ana") is None and node.view().member("ana") is None
    join(bridge)  # the handle is free again
    assert invitations.state(node.view(), "ana", node.clock()) == "pending"


def test_a_join_the_homeserver_cannot_deliver_writes_nothing(node: Node, bridge: chat.Bridge, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(user_id: str) -> str:
        raise MatrixError(403, "M_FORBIDDEN", "no direct rooms here")

    monkeypatch.setattr(bridge.matrix, "direct_room", refused)
    head = node.store.head_id()
    assert "that did not work" in (bridge.reply(ASKER, "!join ana web", WHEN) or "")
    assert node.store.head_id() == head and bridge.cursor.joins == {}


def test_a_malformed_attestation_is_refused_by_the_learner_kind(node: Node) -> None:
    node.add_member("eve", ["learner"], [], author="bob")
    with pytest.raises(BadInput, match="matrix_id is a Matrix user ID"):
        node.write("coop.learner/v1", {"handle": "eve", "track": "web", "mentor": None, "joined_via": "chat",
                                       "matrix_id": "eve at example", "asked_at": WHEN}, "bob")


def test_an_app_without_the_member_scope_cannot_add_learners(node: Node) -> None:
    pair = KeyPair.generate("other-app")
    node.write(APP_TYPE, app_fields("other-app", "Other", "bob", [KeyRecord(pair.public)], ["coop.learner/v1"]), "bob")
    node.keys.save(pair)
    with pytest.raises(Forbidden, match="may not post coop.member/v1"):
        node.add_member("fay", ["learner"], [], author="other-app")


def test_a_bridge_registered_before_invitations_gets_the_scope_to_invite_when_registered_again(node: Node) -> None:
    pair = KeyPair.generate("old-bridge")
    node.write(APP_TYPE, app_fields("old-bridge", "Chat bridge", "bob", [KeyRecord(pair.public)], [LEARNER_TYPE, MEMBER_TYPE]), "bob")
    node.keys.save(pair)
    old = chat.Bridge(node, "old-bridge", Unreachable(), "#lobby:localhost", "http://coop.example")
    with pytest.raises(Forbidden, match="registered with the scope coop.invitation/v1"):
        old.start()
    old.matrix.http.close()

    chat.register(node, "old-bridge", "bob")
    assert (app(node.view(), "old-bridge") or {})["scopes"] == chat.SCOPES


def test_an_app_cannot_add_a_member_other_than_a_learner(node: Node, bridge: chat.Bridge) -> None:
    with pytest.raises(Forbidden, match="may not add a member with roles"):
        node.add_member("gus", ["member"], [], author="chat-bridge")


def test_projects_lists_open_requests_that_fit_the_learners_skills(node: Node, bridge: chat.Bridge) -> None:
    joined(node, bridge, "!join ana web html")
    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", None, now), "carol", created=now)
    for project_id, skills in (("shop", ["html", "python"]), ("books", ["sql"])):
        node.write(work.PROJECT_TYPE, {"id": project_id, "client": "acme", "title": f"Work on {project_id}", "text": "",
                                       "skills": skills, "budget": {"amount": 100000, "currency": "EUR"},
                                       "deadline": "2027-03-31"}, "carol")
    answer = bridge.reply(ASKER, "!projects", WHEN) or ""
    assert "shop: Work on shop (matches html; missing python)" in answer and "books" not in answer


def test_mentor_tells_the_mentors(node: Node, bridge: chat.Bridge) -> None:
    joined(node, bridge)
    assert (bridge.reply(ASKER, "!mentor", WHEN) or "").startswith("mentors bob: learner ana asks for a mentor")


def test_proposals_lists_open_proposals_with_links(node: Node, bridge: chat.Bridge) -> None:
    fields = P.proposal_fields("p-1", "Buy a kettle", "# Kettle\n", "majority", {"kind": "general"}, node.view(), 3600)
    node.write(P.PROPOSAL_TYPE, fields, "alice")
    assert "p-1: Buy a kettle" in (bridge.reply(ASKER, "!proposals", WHEN) or "")
    assert "http://coop.example/api/v1/proposals/p-1" in (bridge.reply(ASKER, "!proposals", WHEN) or "")


def test_claim_sends_a_learner_whose_key_the_node_holds_a_move_link(node: Node, bridge: chat.Bridge) -> None:
    joined_before_invitations(node, ASKER)
    held = node.identity("ana").kid

    answer = bridge.reply(ASKER, "!claim", WHEN) or ""
    [(room_id, message)] = sent(bridge)
    link = link_in(message)
    assert room_id == f"!dm-{ASKER}" and "direct message" in answer and link not in answer
    assert (invitations.invitation(node.view(), "ana") or {})["move"] is True
    device = claim(node, link)

    keys = {k.kid: k for k in node.view().keys("ana")}
    assert keys[held].revoked_after is not None and keys[device.kid].revoked_after is None
    assert "nothing to move" in (bridge.reply(ASKER, "!claim", WHEN) or "")


def test_claim_gives_no_link_to_a_learner_whose_key_is_their_own(node: Node, bridge: chat.Bridge) -> None:
    joined(node, bridge)
    head, before = node.store.head_id(), len(sent(bridge))

    assert "nothing to move" in (bridge.reply(ASKER, "!claim", WHEN) or "")
    assert node.store.head_id() == head and len(sent(bridge)) == before


class Answers(requests.Session):
    """A fake transport that answers with a script of (status, JSON) pairs, or raises for None."""

    def __init__(self, script: list[tuple[int, dict] | None]) -> None:
        super().__init__()
        self.script = script

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:  # type: ignore[override]
        """Answer from the script."""
        step = self.script.pop(0)
        if step is None:
            raise requests.ConnectionError("refused")
        response = requests.Response()
        response.status_code, response._content = step[0], json.dumps(step[1]).encode()
        return response


def test_the_client_backs_off_on_rate_limits_and_outages_then_answers() -> None:
    waits: list[float] = []
    script = [None, (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}), (502, {}), (200, {"user_id": "@b:x"})]
    matrix = Matrix("http://hs", "token", session=Answers(script), sleep=waits.append)
    assert matrix.whoami() == "@b:x"
    assert waits == [0.5, 2.5, 5.0]


def test_the_client_raises_other_refusals() -> None:
    matrix = Matrix("http://hs", "token", session=Answers([(403, {"errcode": "M_FORBIDDEN", "error": "no"})]), sleep=print)
    with pytest.raises(MatrixError, match="403 M_FORBIDDEN: no"):
        matrix.join("#lobby:hs")


@pytest.mark.parametrize(("kind", "data", "text"), [
    ("proposal.closed", {"proposal": "p-1", "outcome": "passed", "applied": True},
     "Proposal p-1 closed: passed http://coop.example/api/v1/proposals/p-1"),
    ("member.admitted", {"handle": "esra", "roles": ["member"], "proposal": "p-admit-esra"},
     "Welcome esra, now a member of the co-op!"),
    ("vote.cast", {"proposal": "p-1", "voter": "bob", "choice": "yes"}, None),
    ("learner.joined", {"handle": "ana", "roles": ["learner"], "added_by": "chat-bridge"}, None),
], ids=["closed", "admitted", "vote-not-announced", "join-answered-not-announced"])
def test_announcements_say_what_the_room_needs(kind: str, data: dict, text: str | None) -> None:
    assert chat.announcement(event(kind, "c0ffee", "subject", data), "http://coop.example") == text


def test_the_attestation_of_a_chat_join_does_not_change(node: Node, bridge: chat.Bridge) -> None:
    joined(node, bridge)
    current = {k: v for k, v in (node.view().body("learners/ana.json") or {}).items() if k not in statements.COMMON_FIELDS}
    with pytest.raises(Conflict, match="how a learner joined"):
        node.write("coop.learner/v1", {**current, "matrix_id": "@mallory:example.org"}, "bob")
    node.write("coop.learner/v1", {**current, "mentor": "bob"}, "bob")
    assert bridge.handle_of(node.view(), ASKER) == "ana"
