"""The members' verbs: invite, cancel, list, and the join link that carries an invitation."""
from __future__ import annotations

import pytest

from api.usecases import members
from coop import invitations
from coop.errors import BadInput, NotFound
from coop.node import Node

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
    assert [i["handle"] for i in members.pending(node.view(), node.clock())] == ["hana"]

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
