"""The bridge's commands without a homeserver: parsing, refusals that change nothing, answers, rate limits."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from api.chat import bridge as chat
from api.chat.commands import Command, parse
from api.chat.matrix import Matrix
from api.webhooks.events import event
from coop import statements
from coop.apps import APP_TYPE, app_fields
from coop.errors import BadInput, Conflict, Forbidden, MatrixError
from coop.keys import KeyPair, b64
from coop.node import Node
from coop.statements import KeyRecord
from governance import proposals as P
from projects import clients, work

ASKER = "@ana:example.org"
WHEN = "2026-11-23T20:00:00Z"


class Unreachable(Matrix):
    """A Matrix client that reaches no homeserver: it keeps what the bridge would send (only !claim sends directly)."""

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


@pytest.mark.parametrize(("text", "command"), [
    ("!join ana web html", Command("join", handle="ana", track="web", skills=("html", "web"))),
    ("  !join Ana DESIGN  ", Command("join", handle="ana", track="design", skills=("design",))),
    ("!HELP", Command("help")),
    ("!claim AAAA", Command("claim", argument="AAAA")),
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
    ("!claim", "usage: !claim PUBLIC_KEY"),
    ("!claim not-a-key", "only a learner who joined here"),
    ("!projects", "join first"),
    ("!mentor", "join first"),
    ("!join " + "x" * 64 + " web", "use 1-63 characters"),
], ids=["join-bare", "bad-handle", "no-track", "skill-not-track", "bad-skill", "taken", "taken-case", "look-alike",
        "invisible", "unknown", "extra-args", "claim-bare", "claim-stranger", "projects-stranger", "mentor-stranger", "long"])
def test_a_malformed_command_gets_a_helpful_reply_and_changes_nothing(node: Node, bridge: chat.Bridge, text: str, hint: str) -> None:
    head = node.store.head_id()
    assert hint in (bridge.reply(ASKER, text, WHEN) or "")
    assert node.store.head_id() == head


def test_ordinary_chat_gets_no_reply(bridge: chat.Bridge) -> None:
    assert bridge.reply(ASKER, "good morning", WHEN) is None


def test_joining_twice_from_one_matrix_id_is_refused(node: Node, bridge: chat.Bridge) -> None:
    bridge.reply(ASKER, "!join ana web", WHEN)
    head = node.store.head_id()
    assert "already joined as 'ana'" in (bridge.reply(ASKER, "!join ana2 web", WHEN) or "")
    assert node.store.head_id() == head


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


def test_an_app_cannot_add_a_member_other_than_a_learner(node: Node, bridge: chat.Bridge) -> None:
    with pytest.raises(Forbidden, match="may not add a member with roles"):
        node.add_member("gus", ["member"], [], author="chat-bridge")


def test_projects_lists_open_requests_that_fit_the_learners_skills(node: Node, bridge: chat.Bridge) -> None:
    bridge.reply(ASKER, "!join ana web html", WHEN)
    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", None, now), "carol", created=now)
    for project_id, skills in (("shop", ["html", "python"]), ("books", ["sql"])):
        node.write(work.PROJECT_TYPE, {"id": project_id, "client": "acme", "title": f"Work on {project_id}", "text": "",
                                       "skills": skills, "budget": {"amount": 100000, "currency": "EUR"},
                                       "deadline": "2027-03-31"}, "carol")
    answer = bridge.reply(ASKER, "!projects", WHEN) or ""
    assert "shop: Work on shop (matches html; missing python)" in answer and "books" not in answer


def test_mentor_tells_the_mentors(bridge: chat.Bridge) -> None:
    bridge.reply(ASKER, "!join ana web", WHEN)
    assert (bridge.reply(ASKER, "!mentor", WHEN) or "").startswith("mentors bob: learner ana asks for a mentor")


def test_proposals_lists_open_proposals_with_links(node: Node, bridge: chat.Bridge) -> None:
    fields = P.proposal_fields("p-1", "Buy a kettle", "# Kettle\n", "majority", {"kind": "general"}, node.view(), 3600)
    node.write(P.PROPOSAL_TYPE, fields, "alice")
    assert "p-1: Buy a kettle" in (bridge.reply(ASKER, "!proposals", WHEN) or "")
    assert "http://coop.example/api/v1/proposals/p-1" in (bridge.reply(ASKER, "!proposals", WHEN) or "")


def test_claim_binds_the_learners_own_key_and_revokes_the_held_one(node: Node, bridge: chat.Bridge) -> None:
    bridge.reply(ASKER, "!join ana web", WHEN)
    own = KeyPair.generate("ana")
    assert "challenge" in (bridge.reply(ASKER, f"!claim {own.public.to_b64()}", WHEN) or "")
    assert isinstance(bridge.matrix, Unreachable)
    [(room_id, text)] = bridge.matrix.sent
    assert room_id == f"!dm-{ASKER}"
    challenge = text.splitlines()[-1]
    assert "does not match" in (bridge.reply(ASKER, f"!claim {b64(own.sign(b'something else'))}", WHEN) or "")

    assert "now lists your own key" in (bridge.reply(ASKER, f"!claim {b64(own.sign(challenge.encode()))}", WHEN) or "")
    keys = node.view().require_member("ana")["keys"]
    assert [k["public"] for k in keys if "revoked_after" not in k] == [own.public.to_b64()]


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
    bridge.reply(ASKER, "!join ana web", WHEN)
    current = {k: v for k, v in (node.view().body("learners/ana.json") or {}).items() if k not in statements.COMMON_FIELDS}
    with pytest.raises(Conflict, match="how a learner joined"):
        node.write("coop.learner/v1", {**current, "matrix_id": "@mallory:example.org"}, "bob")
    node.write("coop.learner/v1", {**current, "mentor": "bob"}, "bob")
    assert bridge.handle_of(node.view(), ASKER) == "ana"
