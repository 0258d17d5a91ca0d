"""Invitations over HTTP: list and read them (never a code), post one, claim one through the members route, and every
bad claim a clear 4xx that writes nothing.

The node fixture is founded by alice, with members bob and carol and learner dan, whose keys the node holds.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.usecases import governance as G
from api.usecases import members
from coop import invitations, statements
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, claim_fields, record_sha, rekeyed_fields
from coop.node import Node
from coop.statements import KeyRecord
from governance import proposals as P

URL = "http://127.0.0.1:8000"
JSON = "application/json"


@dataclass(frozen=True)
class Device:
    """The keys a new member's device makes: one to sign with, one for the recovery sheet."""

    key: KeyPair
    recovery: KeyPair

    @classmethod
    def new(cls, handle: str = "hana") -> Device:
        """Make both keys, as a member's own machine does."""
        return cls(KeyPair.generate(handle), KeyPair.generate(handle))


def post(client: FlaskClient, path: str, raw: bytes) -> TestResponse:
    """POST a statement's bytes."""
    return client.post(path, data=raw, content_type=JSON)


def signed(node: Node, pair: KeyPair, kind: str, fields: Mapping[str, Any], seq: int | None = None) -> bytes:
    """Sign a statement with any key, by default at its author's next sequence number."""
    view = node.view()
    number = view.last_seq(pair.handle) + 1 if seq is None else seq
    return statements.sign(statements.make_body(kind, view.origin, pair.handle, number, fields, node.clock()), [pair])


def claim(node: Node, device: Device, code: str, handle: str = "hana", seq: int | None = None) -> bytes:
    """Return a claim of the handle's invitation signed by the device key (for a move, of the member's current record)."""
    view = node.view()
    invited = invitations.invitation(view, handle) or {}
    current = view.member(handle)
    fields = claim_fields(invited, code, KeyRecord(device.key.public, label="phone"),
                          KeyRecord(device.recovery.public, label="paper", recovery=True),
                          current, record_sha(view, handle), view.last_seq(handle))
    return signed(node, device.key, MEMBER_TYPE, fields, seq)


def invite(node: Node, handle: str = "hana", roles: list[str] | None = None) -> str:
    """Have alice invite a member-to-be (a learner unless roles say otherwise); return the code."""
    return members.invite(node, "alice", handle, roles or ["learner"], ["html"], 7 * 86400, URL).code


def head(node: Node) -> str:
    """Return the head commit."""
    found = node.store.head()
    return str(found.id) if found is not None else ""


def refused(response: TestResponse, status: int, code: str, says: str) -> bool:
    """Tell whether a response is the JSON error with this status, code and words in its message."""
    error = (response.get_json(silent=True) or {}).get("error", {})
    return response.status_code == status and error.get("code") == code and says in error.get("message", "")


# -- reading and posting invitations ------------------------------------------------------------------

def test_the_pending_invitations_show_whom_they_invite_and_never_the_code(node: Node, client: FlaskClient) -> None:
    code = invite(node)

    response = client.get("/api/v1/invitations")

    invitation = response.get_json()["items"][0]
    assert invitation == {"handle": "hana", "roles": ["learner"], "skills": ["html"], "expires": invitation["expires"],
                          "inviter": "alice", "move": False}
    assert code not in response.get_data(as_text=True) and invitations.secret_sha256(code) not in response.get_data(as_text=True)


def test_an_invitation_says_where_it_stands(node: Node, client: FlaskClient) -> None:
    invite(node)
    members.cancel(node, "alice", "hana")

    assert client.get("/api/v1/invitations/hana").get_json()["state"] == "cancelled"
    assert client.get("/api/v1/invitations").get_json()["items"] == []


def test_a_handle_without_an_invitation_is_not_found(client: FlaskClient) -> None:
    assert refused(client.get("/api/v1/invitations/zed"), 404, "not_found", "no invitation for 'zed'")


def test_a_move_invitation_names_no_roles(node: Node, client: FlaskClient) -> None:
    members.invite(node, "alice", "bob", None, [], 3600, URL)

    assert client.get("/api/v1/invitations/bob").get_json() | {"expires": None} == {
        "handle": "bob", "roles": None, "skills": None, "expires": None, "inviter": "alice", "move": True, "state": "pending"}


def test_a_signed_invitation_posted_is_pending(node: Node, client: FlaskClient) -> None:
    expires = statements.format_time(statements.parse_time(node.clock()) + timedelta(days=1))
    fields = invitations.invitation_fields("hana", ["learner"], [], invitations.new_secret(), expires, None)

    response = post(client, "/api/v1/invitations", signed(node, node.keys.unlock("bob"), invitations.INVITATION_TYPE, fields))

    assert response.status_code == 201
    assert client.get("/api/v1/invitations/hana").get_json()["inviter"] == "bob"


def test_the_invitations_route_takes_invitations_only(node: Node, client: FlaskClient) -> None:
    raw = signed(node, node.keys.unlock("bob"), P.VOTE_TYPE, {"proposal": "p-1"})

    assert refused(post(client, "/api/v1/invitations", raw), 400, "bad_input", "takes coop.invitation/v1")


# -- claiming --------------------------------------------------------------------------------------

def test_a_claim_posted_to_the_members_route_makes_the_member_with_the_devices_keys(node: Node, client: FlaskClient) -> None:
    device = Device.new()

    response = post(client, "/api/v1/members", claim(node, device, invite(node)))

    assert response.status_code == 201
    keys = client.get("/api/v1/members/hana").get_json()["keys"]
    assert [(k["kid"], k.get("label"), k.get("recovery", False)) for k in keys] == [
        (device.key.kid, "phone", False), (device.recovery.kid, "paper", True)]
    assert client.get("/api/v1/invitations/hana").get_json()["state"] == "claimed" and not node.keys.has("hana")


def test_after_a_move_the_node_deletes_the_key_it_held(node: Node, client: FlaskClient) -> None:
    old = node.keys.public("bob").kid
    code = members.invite(node, "alice", "bob", None, [], 3600, URL).code

    response = post(client, "/api/v1/members", claim(node, Device.new("bob"), code, "bob"))

    assert response.status_code == 201
    assert not node.keys.has("bob")
    assert [k.revoked_after is not None for k in node.view().keys("bob") if k.kid == old] == [True]


def test_the_same_claim_posted_again_is_answered_with_where_it_lives(node: Node, client: FlaskClient) -> None:
    raw = claim(node, Device.new(), invite(node))
    post(client, "/api/v1/members", raw)
    before = head(node)

    again = post(client, "/api/v1/members", raw)

    assert again.status_code == 200 and again.get_json()["created"] is False and head(node) == before


# -- bad claims: a clear 4xx, nothing written -----------------------------------------------------------

def test_a_claim_with_a_wrong_code_is_refused(node: Node, client: FlaskClient) -> None:
    invite(node)
    before = head(node)

    response = post(client, "/api/v1/members", claim(node, Device.new(), "7K2M-QX9P-4RTD-8HWB"))

    assert refused(response, 403, "forbidden", "the invitation code does not match") and head(node) == before


def test_a_replayed_claim_signed_again_by_someone_else_is_refused(node: Node, client: FlaskClient) -> None:
    """The code is public once claimed: an eavesdropper signing the same claim with a key of their own takes nothing."""
    code = invite(node)
    post(client, "/api/v1/members", claim(node, Device.new(), code))
    before = head(node)

    response = post(client, "/api/v1/members", claim(node, Device.new(), code, seq=1))

    assert refused(response, 409, "sequence_used", "already used sequence number 1") and head(node) == before


def test_a_second_claim_of_one_invitation_is_refused(node: Node, client: FlaskClient) -> None:
    code = invite(node)
    post(client, "/api/v1/members", claim(node, Device.new(), code))
    before = head(node)

    response = post(client, "/api/v1/members", claim(node, Device.new(), code))

    assert refused(response, 403, "forbidden", "used already: each link works once") and head(node) == before


def test_a_claim_of_an_expired_invitation_is_refused(node: Node, client: FlaskClient) -> None:
    code = invite(node)
    later = statements.format_time(statements.parse_time(node.clock()) + timedelta(days=8))
    raw = claim(node, Device.new(), code)
    node.clock = lambda: later
    before = head(node)

    response = post(client, "/api/v1/members", raw)

    assert refused(response, 403, "forbidden", "this invitation expired") and head(node) == before


def test_a_claim_of_a_cancelled_invitation_is_refused(node: Node, client: FlaskClient) -> None:
    code = invite(node)
    members.cancel(node, "alice", "hana")
    before = head(node)

    response = post(client, "/api/v1/members", claim(node, Device.new(), code))

    assert refused(response, 403, "forbidden", "this invitation was cancelled") and head(node) == before


def rekeyed(node: Node, handle: str, add: list[KeyRecord], revoke: set[str]) -> dict[str, Any]:
    """Return a member's current record with keys added and revoked from their next statement on."""
    view = node.view()
    return rekeyed_fields(view.require_member(handle), record_sha(view, handle), add, revoke, view.last_seq(handle))


def test_a_key_addition_signed_by_a_revoked_key_is_refused(node: Node, client: FlaskClient) -> None:
    device = Device.new()
    post(client, "/api/v1/members", claim(node, device, invite(node)))
    laptop = KeyRecord(KeyPair.generate("hana").public, label="laptop")  # the phone is lost: the sheet brings a laptop, revokes it
    post(client, "/api/v1/members", signed(node, device.recovery, MEMBER_TYPE, rekeyed(node, "hana", [laptop], {device.key.kid})))
    before = head(node)
    thief = KeyRecord(KeyPair.generate("hana").public, label="mine now")

    response = post(client, "/api/v1/members", signed(node, device.key, MEMBER_TYPE, rekeyed(node, "hana", [thief], set())))

    assert refused(response, 403, "forbidden", f"key {device.key.kid} of 'hana' was revoked after statement 1") and head(node) == before


def test_a_recovery_key_used_to_vote_is_refused(node: Node, client: FlaskClient) -> None:
    device = Device.new()
    post(client, "/api/v1/members", claim(node, device, invite(node, roles=["member"])))
    G.open_proposal(node, "alice", "p-week", "Four days", "# Four days\n", "majority", {"kind": "general"}, 3600)
    before = head(node)

    response = post(client, "/api/v1/proposals/p-week/votes", signed(node, device.recovery, P.VOTE_TYPE,
                                                                    P.vote_fields(node.view(), "p-week", "yes", "", None)))

    assert refused(response, 403, "forbidden", "a recovery key only adds and revokes keys") and head(node) == before
