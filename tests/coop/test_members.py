"""Member rules: who may add whom, who may change what, and how a key is retired."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from coop import audit
from coop.errors import Conflict, Forbidden, NotFound
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields, record_sha, rekeyed_fields
from coop.node import Node
from coop.statements import KeyRecord


def record_keys(node: Node, handle: str) -> list[KeyRecord]:
    """Return the keys listed in a member's current record."""
    return [KeyRecord.from_dict(k) for k in node.view().require_member(handle)["keys"]]


def learner_fields(handle: str) -> dict:
    """Return the fields of a record that adds a new learner with their own key."""
    return member_fields(handle, ["learner"], [], [KeyRecord(KeyPair.generate(handle).public)])


# -- adding members -----------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [["learner"], ["member"], ["member", "mentor"], ["founder", "member"]],
                         ids=["learner", "member", "mentor", "founder"])
def test_founder_adds_anyone(node: Node, roles: list[str]) -> None:
    node.add_member("erin", roles, ["go"], author="alice")

    assert node.view().require_member("erin")["roles"] == roles


@pytest.mark.parametrize("author", ["bob", "carol"], ids=["mentor", "member"])
def test_member_adds_a_learner(node: Node, author: str) -> None:
    node.add_member("erin", ["learner"], ["go"], author=author)

    assert node.view().require_member("erin")["roles"] == ["learner"]


@pytest.mark.parametrize("roles", [["member"], ["member", "mentor"], ["founder", "member"]], ids=["member", "mentor", "founder"])
def test_member_may_not_add_a_member(node: Node, roles: list[str]) -> None:
    head = node.store.head_id()

    with pytest.raises(Forbidden):
        node.add_member("erin", roles, [], author="carol")

    assert node.store.head_id() == head


@pytest.mark.parametrize("roles", [["learner"], ["member"]], ids=["learner", "member"])
def test_learner_may_not_add_anyone(node: Node, roles: list[str]) -> None:
    head = node.store.head_id()

    with pytest.raises(Forbidden):
        node.add_member("erin", roles, [], author="dan")

    assert node.store.head_id() == head


def test_adding_a_member_whose_handle_is_taken_is_refused(node: Node) -> None:
    record = node.view().member("bob")

    with pytest.raises(Conflict, match="'bob' is taken"):
        node.add_member("bob", ["learner"], [], author="alice")

    assert node.view().member("bob") == record


def test_refused_member_leaves_no_key_behind(node: Node) -> None:
    with pytest.raises(Forbidden):
        node.add_member("erin", ["learner"], [], author="dan")

    assert not node.keys.has("erin")


def test_key_registered_to_another_member_is_refused(node: Node) -> None:
    with pytest.raises(Conflict, match="already registered to 'bob'"):
        node.add_member("erin", ["learner"], [], public=record_keys(node, "bob")[0])


# -- changing a record --------------------------------------------------------------------------


def test_member_may_update_their_own_skills(node: Node) -> None:
    node.write(MEMBER_TYPE, member_fields("bob", ["member", "mentor"], ["python", "rust", "web"], record_keys(node, "bob"), previous=record_sha(node.view(), "bob")), author="bob")

    assert node.view().require_member("bob")["skills"] == ["python", "rust", "web"]


@pytest.mark.parametrize("author, handle, roles", [
    ("carol", "carol", ["member", "mentor"]),
    ("carol", "carol", ["founder", "member"]),
    ("bob", "bob", ["member"]),
    ("dan", "dan", ["member"]),
], ids=["member-makes-self-mentor", "member-makes-self-founder", "mentor-drops-a-role", "learner-makes-self-member"])
def test_member_may_not_change_their_own_roles(node: Node, author: str, handle: str, roles: list[str]) -> None:
    head = node.store.head_id()

    with pytest.raises(Forbidden, match="roles change through a passed proposal"):
        node.write(MEMBER_TYPE, member_fields(handle, roles, [], record_keys(node, handle), previous=record_sha(node.view(), handle)), author=author)

    assert node.store.head_id() == head


def test_member_may_not_change_another_members_record(node: Node) -> None:
    with pytest.raises(Forbidden, match="only 'bob' or the founder"):
        node.write(MEMBER_TYPE, member_fields("bob", ["member", "mentor"], [], record_keys(node, "bob"), previous=record_sha(node.view(), "bob")), author="carol")


# -- retiring a key -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """bob's keys after he revoked his old key after statement `point` and added a new one."""

    old: KeyPair
    new: KeyPair
    point: int


@pytest.fixture
def rotated(node: Node) -> Rotation:
    """Have bob revoke his node-held key after his next statement and register a new one."""
    old = node.keys.unlock("bob")
    new = KeyPair.generate("bob")
    point = node.view().last_seq("bob") + 1  # the rotation statement itself is the last the old key signs
    keys = [KeyRecord(old.public, revoked_after=point), KeyRecord(new.public)]
    node.write(MEMBER_TYPE, member_fields("bob", ["member", "mentor"], ["python", "web"], keys, previous=record_sha(node.view(), "bob")), author="bob")
    return Rotation(old, new, point)


def test_statement_signed_with_a_revoked_key_after_its_point_is_refused(node: Node, rotated: Rotation,
                                                                         sign_as: Callable[..., bytes]) -> None:
    head = node.store.head_id()
    raw = sign_as(rotated.old, MEMBER_TYPE, learner_fields("erin"))

    with pytest.raises(Forbidden, match=f"revoked after statement {rotated.point}"):
        node.submit_one(raw)

    assert node.store.head_id() == head


def test_statement_signed_with_the_new_key_is_accepted(node: Node, rotated: Rotation, sign_as: Callable[..., bytes]) -> None:
    receipt = node.submit_one(sign_as(rotated.new, MEMBER_TYPE, learner_fields("erin")))

    assert receipt.created


def test_statements_the_revoked_key_signed_before_its_point_stay_valid(node: Node, rotated: Rotation) -> None:
    view = node.view()

    assert view.verified("members/dan.json").signers == (rotated.old.kid,)
    assert view.verified("members/bob.json").signers == (rotated.old.kid,)


def test_repository_verifies_after_a_key_rotation(node: Node, rotated: Rotation, sign_as: Callable[..., bytes]) -> None:
    node.submit_one(sign_as(rotated.new, MEMBER_TYPE, learner_fields("erin")))

    report = audit.verify_repository(node.store, node.registry)

    assert report, report.problems


def test_revoked_key_cannot_be_restored(node: Node, rotated: Rotation, sign_as: Callable[..., bytes]) -> None:
    keys = [KeyRecord(rotated.old.public), KeyRecord(rotated.new.public)]

    with pytest.raises(Forbidden, match="cannot be undone or moved"):
        node.submit_one(sign_as(rotated.new, MEMBER_TYPE, member_fields("bob", ["member", "mentor"], ["python", "web"], keys, previous=record_sha(node.view(), "bob"))))


def test_revocation_point_cannot_be_moved(node: Node, rotated: Rotation, sign_as: Callable[..., bytes]) -> None:
    keys = [KeyRecord(rotated.old.public, revoked_after=rotated.point + 5), KeyRecord(rotated.new.public)]

    with pytest.raises(Forbidden, match="cannot be undone or moved"):
        node.submit_one(sign_as(rotated.new, MEMBER_TYPE, member_fields("bob", ["member", "mentor"], ["python", "web"], keys, previous=record_sha(node.view(), "bob"))))


def test_key_may_not_sign_a_record_that_revokes_it_before_that_record(node: Node) -> None:
    """A key revoked after statement N cannot sign statement N+1, not even the one revoking it."""
    old = node.keys.unlock("bob")
    seq = node.view().last_seq("bob") + 1
    keys = [KeyRecord(old.public, revoked_after=seq - 1), KeyRecord(KeyPair.generate("bob").public)]
    head = node.store.head_id()

    with pytest.raises(Forbidden):
        node.write(MEMBER_TYPE, member_fields("bob", ["member", "mentor"], ["python", "web"], keys, previous=record_sha(node.view(), "bob")), author="bob")

    assert node.store.head_id() == head


# -- changing keys --------------------------------------------------------------------------------


def test_a_rekeyed_record_revokes_from_the_next_statement_and_keeps_the_rest(node: Node) -> None:
    view = node.view()
    old = record_keys(node, "bob")[0]
    laptop = KeyRecord(KeyPair.generate("bob").public, label="laptop")

    fields = rekeyed_fields(view.require_member("bob"), record_sha(view, "bob"), [laptop], {old.kid}, view.last_seq("bob"))

    assert [KeyRecord.from_dict(k) for k in fields["keys"]] == [replace(old, revoked_after=view.last_seq("bob")), laptop]
    assert (fields["roles"], fields["skills"], fields["previous"]) == (["member", "mentor"], ["python", "web"], record_sha(view, "bob"))


def test_a_rekeyed_record_keeps_an_old_revocation_where_it_was(node: Node) -> None:
    first = record_keys(node, "bob")[0]
    laptop = KeyPair.generate("bob")
    node.update_member("bob", "alice", keys=[replace(first, revoked_after=node.view().last_seq("bob")), KeyRecord(laptop.public)])
    view = node.view()

    fields = rekeyed_fields(view.require_member("bob"), record_sha(view, "bob"), [], {first.kid}, view.last_seq("bob") + 5)

    assert fields["keys"][0]["revoked_after"] == record_keys(node, "bob")[0].revoked_after


def test_revoking_a_key_the_record_does_not_list_is_not_found(node: Node) -> None:
    view = node.view()

    with pytest.raises(NotFound, match="has no key"):
        rekeyed_fields(view.require_member("bob"), record_sha(view, "bob"), [], {"0" * 16}, 1)
