"""Invitations: a member joins with a key made on their own device; the node never holds it.

The node fixture is founded by alice, with members bob and carol and learner dan.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop import audit, invitations, statements
from coop.errors import BadInput, Conflict, Forbidden, NotFound
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, claim_fields, record_sha
from coop.node import Node
from coop.statements import KeyRecord

Sign = Callable[..., bytes]
CODE = "7K2M-QX9P-4RTD-8HWA"


def later(node: Node, days: float) -> str:
    """Return the node's time now plus some days."""
    return statements.format_time(statements.parse_time(node.clock()) + timedelta(days=days))


def invite(node: Node, handle: str = "hana", roles: list[str] | None = None, author: str = "alice", code: str = CODE,
           days: float = 7, **changes: Any) -> None:
    """Have `author` invite `handle` (a learner unless roles say otherwise; a move when roles is ["move"])."""
    move = roles == ["move"]
    raw = node.view().read(invitations.invitation_path(handle))
    previous = hashlib.sha256(raw).hexdigest() if raw is not None else None
    fields = invitations.invitation_fields(handle, None if move else roles or ["learner"], None if move else ["html"], code,
                                           later(node, days), previous)
    node.write(invitations.INVITATION_TYPE, {**fields, **changes}, author)


def device_keys(handle: str = "hana") -> tuple[KeyPair, KeyPair]:
    """Return a device key and a recovery key made on the new member's device (never in the node's key store)."""
    return KeyPair.generate(handle), KeyPair.generate(handle)


def claim(node: Node, sign_as: Sign, handle: str = "hana", code: str = CODE, signer: str = "device") -> KeyPair:
    """Claim the handle's invitation from a new device; return its device key."""
    device, recovery = device_keys(handle)
    view = node.view()
    current = view.member(handle)
    fields = claim_fields(invitations.invitation(view, handle) or {"handle": handle, "roles": ["learner"], "skills": ["html"]}, code,
                          KeyRecord(device.public, label="phone"), KeyRecord(recovery.public, label="paper", recovery=True),
                          current, record_sha(view, handle), view.last_seq(handle))
    node.submit_one(sign_as(device if signer == "device" else recovery, MEMBER_TYPE, fields))
    return device


def test_an_invitation_holds_only_the_hash_of_its_code(node: Node) -> None:
    invite(node)

    stored = node.view().read(invitations.invitation_path("hana"))
    assert stored is not None and CODE.encode() not in stored and invitations.secret_sha256(CODE).encode() in stored


def test_a_claim_signed_by_the_new_device_key_makes_the_member(node: Node, sign_as: Sign) -> None:
    invite(node)
    device = claim(node, sign_as)

    view = node.view()
    assert view.roles("hana") == frozenset({"learner"})
    assert [k.label for k in view.keys("hana")] == ["phone", "paper"]
    assert device.public.kid in {k.kid for k in view.keys("hana")} and not node.keys.has("hana")  # the node holds no key of hers


def test_a_claim_leaves_the_whole_history_verifiable(node: Node, sign_as: Sign) -> None:
    invite(node)
    claim(node, sign_as)

    assert audit.verify_repository(node.store, node.registry).statements > 0


def test_a_link_works_once(node: Node, sign_as: Sign) -> None:
    invite(node)
    claim(node, sign_as)

    with pytest.raises(Forbidden, match="used already"):
        claim(node, sign_as)


@pytest.mark.parametrize("code", ["7K2M-QX9P-4RTD-8HWB", "0000-0000-0000-0000"])
def test_a_wrong_code_is_refused_and_writes_nothing(node: Node, sign_as: Sign, code: str) -> None:
    invite(node)
    head = node.store.head()

    with pytest.raises(Forbidden, match="code does not match"):
        claim(node, sign_as, code=code)
    assert node.store.head() == head and node.view().member("hana") is None


def test_a_code_is_read_back_in_any_case_and_grouping(node: Node, sign_as: Sign) -> None:
    invite(node)
    claim(node, sign_as, code="7k2mqx9p 4rtd 8hwa")

    assert node.view().member("hana") is not None


def test_an_expired_invitation_is_refused(node: Node, sign_as: Sign) -> None:
    invite(node, days=1)
    moved = later(node, 2)
    node.clock = lambda: moved

    with pytest.raises(Forbidden, match="expired"):
        claim(node, sign_as)


def test_a_cancelled_invitation_is_refused(node: Node, sign_as: Sign) -> None:
    invite(node)
    view = node.view()
    node.write(invitations.INVITATION_TYPE, invitations.cancel_fields(invitations.invitation(view, "hana") or {},
                                                                       record_sha_of_invitation(node, "hana")), "alice")

    assert invitations.state(node.view(), "hana", node.clock()) == "cancelled"
    with pytest.raises(Forbidden, match="cancelled"):
        claim(node, sign_as)


def record_sha_of_invitation(node: Node, handle: str) -> str:
    """Return the hash of a handle's invitation file: what a new version names as previous."""
    raw = node.view().read(invitations.invitation_path(handle))
    assert raw is not None
    return hashlib.sha256(raw).hexdigest()


def test_only_the_inviter_or_the_founder_cancels(node: Node) -> None:
    invite(node, author="bob")
    view = node.view()

    with pytest.raises(Forbidden, match="only who sent"):
        node.write(invitations.INVITATION_TYPE, invitations.cancel_fields(invitations.invitation(view, "hana") or {},
                                                                           record_sha_of_invitation(node, "hana")), "carol")


def test_a_claim_without_an_invitation_is_refused(node: Node, sign_as: Sign) -> None:
    with pytest.raises(NotFound, match="no invitation"):
        claim(node, sign_as)


def test_a_member_may_invite_a_learner_but_not_a_member(node: Node) -> None:
    invite(node, "hana", author="bob")

    with pytest.raises(Forbidden, match="may not add a member"):
        invite(node, "ines", ["member"], author="bob")


def test_an_invitation_for_a_taken_handle_is_refused(node: Node) -> None:
    with pytest.raises(Conflict, match="taken"):
        invite(node, "carol")


@pytest.mark.parametrize("days", [0, -1, 31])
def test_an_invitation_lasts_between_now_and_thirty_days(node: Node, days: float) -> None:
    with pytest.raises(BadInput, match="within 30 days"):
        invite(node, days=days)


def test_a_claim_signed_by_its_recovery_key_is_refused(node: Node, sign_as: Sign) -> None:
    invite(node)

    with pytest.raises(Forbidden, match="device key it brings"):
        claim(node, sign_as, signer="recovery")


def test_a_move_replaces_a_node_held_key_from_the_claim_on(node: Node, sign_as: Sign) -> None:
    before = node.view().last_seq("carol")
    invite(node, "carol", ["move"])
    claim(node, sign_as, "carol")

    keys = list(node.view().keys("carol"))
    assert [k.revoked_after for k in keys] == [before, None, None]
    with pytest.raises(Forbidden, match="revoked"):
        node.write("coop.member/v1", {}, "carol")  # the node-held key signs nothing any more


def test_a_move_keeps_roles_and_skills(node: Node, sign_as: Sign) -> None:
    invite(node, "carol", ["move"])
    claim(node, sign_as, "carol")

    assert node.view().roles("carol") == frozenset({"member"}) and node.view().member("carol")["skills"] == ["design"]  # type: ignore[index]


def test_a_forged_claim_for_an_existing_member_is_refused(node: Node, sign_as: Sign) -> None:
    with pytest.raises(NotFound, match="no invitation"):
        claim(node, sign_as, "carol")


def recovery_member(node: Node, sign_as: Sign) -> tuple[KeyPair, KeyPair]:
    """Return hana's device and recovery keys after she joined."""
    invite(node)
    device, recovery = device_keys()
    view = node.view()
    fields = claim_fields(invitations.invitation(view, "hana") or {}, CODE, KeyRecord(device.public, label="phone"),
                          KeyRecord(recovery.public, recovery=True))
    node.submit_one(sign_as(device, MEMBER_TYPE, fields))
    return device, recovery


def test_a_recovery_key_adds_a_device_and_revokes_the_lost_one(node: Node, sign_as: Sign) -> None:
    lost, recovery = recovery_member(node, sign_as)
    laptop = KeyPair.generate("hana")
    view = node.view()
    record = view.member("hana") or {}
    keys = [KeyRecord.from_dict(k) for k in record["keys"]]
    keys = [KeyRecord(k.public, view.last_seq("hana"), k.label) if k.kid == lost.public.kid else k for k in keys]
    fields = {k: v for k, v in record.items() if k not in {"secret", *statements.COMMON_FIELDS}}
    fields.update(keys=[k.to_dict() for k in [*keys, KeyRecord(laptop.public, label="laptop")]], previous=record_sha(view, "hana"))
    node.submit_one(sign_as(recovery, MEMBER_TYPE, fields))

    assert {k.label: k.revoked_after is None for k in node.view().keys("hana")} == {"phone": False, None: True, "laptop": True}


def test_a_recovery_key_cannot_change_roles_or_skills(node: Node, sign_as: Sign) -> None:
    _, recovery = recovery_member(node, sign_as)
    view = node.view()
    record = view.member("hana") or {}
    fields = {k: v for k, v in record.items() if k not in {"secret", *statements.COMMON_FIELDS}}
    fields.update(skills=["css", "html"], previous=record_sha(view, "hana"))

    with pytest.raises(Forbidden, match="only adds and revokes keys"):
        node.submit_one(sign_as(recovery, MEMBER_TYPE, fields))


def test_a_recovery_key_cannot_sign_anything_else(node: Node, sign_as: Sign) -> None:
    _, recovery = recovery_member(node, sign_as)

    with pytest.raises(Forbidden, match="recovery key only adds and revokes keys"):
        node.submit_one(sign_as(recovery, invitations.INVITATION_TYPE, invitations.invitation_fields(
            "ines", ["learner"], [], CODE, later(node, 1), None)))


@given(st.text(alphabet=invitations.ALPHABET, min_size=16, max_size=16))
def test_every_code_reads_back_as_itself_however_it_is_typed(digits: str) -> None:
    code = "-".join(digits[i:i + 4] for i in range(0, 16, 4))
    typed = digits.lower().replace("0", "o").replace("1", "l")

    assert invitations.normalise_secret(typed) == invitations.normalise_secret(code) == code


def test_new_codes_differ_and_have_sixteen_characters() -> None:
    codes = {invitations.new_secret() for _ in range(100)}
    assert len(codes) == 100 and all(len(c.replace("-", "")) == 16 for c in codes)


@pytest.mark.parametrize("text", ["", "7K2M-QX9P-4RTD", "7K2M-QX9P-4RTD-8HWU", "7K2M-QX9P-4RTD-8HWA-0000"])
def test_a_malformed_code_gets_a_clear_error(text: str) -> None:
    with pytest.raises(BadInput, match="16 letters and digits"):
        invitations.normalise_secret(text)
