"""The members' verbs: invite, cancel, list, and the join link that carries an invitation."""
from __future__ import annotations

import pygit2
import pytest

from api.usecases import members
from coop import config, invitations, statements
from coop.errors import BadInput, NotFound
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, claim_fields, record_sha
from coop.node import Node
from coop.statements import KeyRecord
from projects import learners

URL = "http://127.0.0.1:8000"


def test_an_invitation_gives_a_link_and_a_code_and_the_node_keeps_only_the_hash(node: Node) -> None:
    sent = members.invite(node, "alice", "hana", ["learner"], ["html"], 7 * 86400, URL)

    assert sent.link == f"{URL}/join/hana~{sent.code}"
    stored = node.view().read(invitations.invitation_path("hana")) or b""
    assert sent.code.encode() not in stored and not node.keys.has("hana")


def test_a_join_link_reads_back_as_its_node_handle_and_code(node: Node) -> None:
    sent = members.invite(node, "alice", "hana", ["learner"], [], 3600, URL + "/coop/")

    assert members.parse_join_link(sent.link) == (URL + "/coop", "hana", sent.code)


@pytest.mark.parametrize("link", ["hana~7K2M", "ftp://x/join/hana~7K2M-QX9P-4RTD-8HWA", f"{URL}/join/hana", f"{URL}/join/hana~7K2M-QX9P"])
def test_a_broken_join_link_says_what_is_wrong(link: str) -> None:
    with pytest.raises(BadInput):
        members.parse_join_link(link)


def test_pending_lists_an_invitation_until_it_is_cancelled(node: Node) -> None:
    members.invite(node, "alice", "hana", ["learner"], [], 3600, URL)
    assert [i.handle for i in members.pending(node.view(), node.clock())] == ["hana"]

    members.cancel(node, "alice", "hana")
    assert members.pending(node.view(), node.clock()) == []


def test_cancelling_twice_says_there_is_nothing_to_cancel(node: Node) -> None:
    members.invite(node, "alice", "hana", ["learner"], [], 3600, URL)
    members.cancel(node, "alice", "hana")

    with pytest.raises(NotFound, match="no pending invitation"):
        members.cancel(node, "alice", "hana")


def test_a_new_invitation_replaces_a_cancelled_one(node: Node) -> None:
    members.invite(node, "alice", "hana", ["learner"], [], 3600, URL)
    members.cancel(node, "alice", "hana")
    again = members.invite(node, "alice", "hana", ["learner"], [], 3600, URL)

    assert invitations.state(node.view(), "hana", node.clock()) == "pending"
    assert invitations.secret_sha256(again.code) == (invitations.invitation(node.view(), "hana") or {})["secret_sha256"]


def move(node: Node, handle: str) -> bytes:
    """Invite a member to move and claim it from a new device; return the claim as committed."""
    code = members.invite(node, "alice", handle, None, [], 3600, URL).code
    view = node.view()
    device, spare = KeyPair.generate(handle), KeyPair.generate(handle)
    fields = claim_fields({}, code, KeyRecord(device.public, label="phone"), KeyRecord(spare.public, label="paper", recovery=True),
                          view.member(handle), record_sha(view, handle), view.last_seq(handle))
    raw = statements.sign(statements.make_body(MEMBER_TYPE, view.origin, handle, view.last_seq(handle) + 1, fields, node.clock()), [device])
    node.submit_one(raw)
    return raw


def test_after_a_move_the_node_forgets_the_key_it_held(node: Node) -> None:
    raw = move(node, "bob")

    assert members.forget_revoked_keys(node, [raw]) == ["bob"]
    assert not node.keys.has("bob") and "bob" not in members.held_by_node(node, node.view(), ["alice", "bob"])


def test_a_record_that_revokes_nothing_the_node_holds_leaves_its_keys(node: Node) -> None:
    receipt = node.update_member("bob", skills=["go"])
    raw = node.view().read(receipt.path) or b""

    assert members.forget_revoked_keys(node, [raw]) == []
    assert node.keys.has("bob")


def test_the_node_says_whose_keys_it_holds(node: Node) -> None:
    assert members.held_by_node(node, node.view(), ["alice", "bob", "zed"]) == {"alice", "bob"}


def test_an_invitation_is_read_with_where_it_stands(node: Node) -> None:
    members.invite(node, "alice", "hana", ["learner"], ["html"], 3600, URL)

    found = members.invitation(node.view(), "hana", node.clock())

    assert (found.handle, found.roles, found.skills, found.inviter, found.move, found.state) == (
        "hana", ("learner",), ("html",), "alice", False, "pending")


def test_a_learner_is_added_only_with_a_key_they_hold(node: Node) -> None:
    head = node.store.head()

    with pytest.raises(BadInput, match="makes no member's key"):
        members.add_learner(node, "bob", "gita", "web", ["html"], None)
    assert node.store.head() == head and not node.keys.has("gita")


def test_a_new_learner_and_their_track_land_in_one_commit(node: Node) -> None:
    own = KeyPair.generate("gita")
    receipt = members.add_learner(node, "bob", "gita", "web", ["html"], own.public.to_b64())

    view = node.view()
    assert [k.kid for k in view.keys("gita")] == [own.public.kid] and not node.keys.has("gita")
    assert (learners.profile(view, "gita") or {})["track"] == "web"
    assert node.view().read("members/gita.json") is not None and {"members", "learners"} <= commits_touching(node, receipt.commit)


def commits_touching(node: Node, commit: str) -> set[str]:
    """Return the top-level folders one commit changed."""
    repo = node.store.repo
    new = repo.get(commit)
    assert isinstance(new, pygit2.Commit)
    diff = repo.diff(new.parents[0], new)
    return {patch.delta.new_file.path.split("/")[0] for patch in diff}


def test_a_member_who_joined_by_invitation_only_gets_their_track(node: Node) -> None:
    receipt = members.add_learner(node, "bob", "dan", "data", [], None)

    assert receipt.path.startswith("learners/") and (learners.profile(node.view(), "dan") or {})["track"] == "data"


def test_only_a_demo_node_makes_and_holds_a_learners_key(node: Node) -> None:
    node.config = config.load({"home": str(node.home), "demo": True})
    members.add_learner(node, "bob", "gita", "web", [], None)

    assert node.keys.has("gita") and [k.kid for k in node.view().keys("gita")] == [node.keys.unlock("gita").kid]
