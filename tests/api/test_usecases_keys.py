"""A member's own keys, through the node in the same home (`Local`): join, add, revoke, recover.

The node fixture is founded by alice, with members bob and carol and learner dan, whose keys it holds. The member's
keys are in a key store of their own, apart from the node's.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from api import recovery
from api.usecases import keys, members
from coop.errors import Conflict, Forbidden
from coop.keys import KeyPair, KeyStore
from coop.node import Node

URL = "http://127.0.0.1:8000"


@pytest.fixture
def mine(tmp_path: Path) -> KeyStore:
    """Return the key store on the member's own machine."""
    return KeyStore(tmp_path / "laptop", "hana's passphrase", "min")


def joined(node: Node, store: KeyStore, handle: str = "hana") -> keys.Joined:
    """Invite a member-to-be as alice and join from the member's machine."""
    code = members.invite(node, "alice", handle, ["member"], [], 3600, URL).code
    return keys.join(keys.Local(node), store, handle, code, "laptop")


def test_a_join_keeps_the_device_key_on_the_machine_and_not_the_recovery_key(node: Node, mine: KeyStore) -> None:
    done = joined(node, mine)

    assert mine.identities() == ["hana"] and mine.public("hana").kid == done.device
    assert [k.kid for k in node.view().keys("hana")] == [done.device, done.recovery.kid] and not node.keys.has("hana")


def test_a_refused_join_leaves_no_key_on_the_machine(node: Node, mine: KeyStore) -> None:
    members.invite(node, "alice", "hana", ["member"], [], 3600, URL)

    with pytest.raises(Forbidden, match="code does not match"):
        keys.join(keys.Local(node), mine, "hana", "7K2M-QX9P-4RTD-8HWB", "laptop")
    assert mine.identities() == []


def test_a_machine_keeps_one_key_per_member(node: Node, mine: KeyStore) -> None:
    joined(node, mine)
    code = members.invite(node, "alice", "hana", None, [], 3600, URL).code

    with pytest.raises(Conflict, match="holds a key of 'hana' already"):
        keys.join(keys.Local(node), mine, "hana", code, "again")


def test_a_move_through_the_local_node_deletes_the_key_it_held(node: Node, mine: KeyStore) -> None:
    code = members.invite(node, "alice", "bob", None, [], 3600, URL).code

    keys.join(keys.Local(node), mine, "bob", code, "laptop")

    assert not node.keys.has("bob") and mine.has("bob")
    assert node.view().roles("bob") == frozenset({"member", "mentor"})


def test_a_key_added_from_the_machine_then_revoked_signs_nothing_more(node: Node, mine: KeyStore) -> None:
    joined(node, mine)
    phone = KeyPair.generate("hana")
    keys.add_key(keys.Local(node), mine, "hana", phone.public, "phone")

    revoked = keys.revoke(keys.Local(node), mine, phone.kid)

    assert revoked.handle == "hana"
    assert [k.revoked_after for k in node.view().keys("hana") if k.kid == phone.kid] == [node.view().last_seq("hana") - 1]


def test_the_recovery_words_revoke_every_other_device_key(node: Node, mine: KeyStore, tmp_path: Path) -> None:
    done = joined(node, mine)
    fresh = KeyStore(tmp_path / "new-phone", "hana's passphrase", "min")

    recovered = keys.recover(keys.Local(node), fresh, "hana", " ".join(recovery.words_of(done.recovery)), "phone")

    assert recovered.revoked == (done.device,)
    valid = [k.kid for k in node.view().keys("hana") if k.revoked_after is None]
    assert valid == [done.recovery.kid, recovered.device] == [done.recovery.kid, fresh.public("hana").kid]
