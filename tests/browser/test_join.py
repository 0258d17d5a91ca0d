"""Joining from an invitation link on the join page: the keys are made in the browser, the node holds none."""
from __future__ import annotations

import time
from datetime import timedelta

from api_harness import Coop
from browser_harness import INSECURE_HOST, OpenProfile, run
from browser_steps import invite, join, keep_words, make_key, new_handle, node_held_publics
from mnemonic import Mnemonic
from playwright.sync_api import Page, expect

from api.usecases.members import join_link
from coop import canonical, invitations, statements
from coop.keys import KeyPair
from coop.members import claim_fields
from coop.statements import KeyRecord


def test_joining_makes_the_member_with_a_device_key_and_a_recovery_key_the_node_does_not_hold(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))

    record = coop.client().get(f"/api/v1/members/{handle}")
    held = run(page, "return await keystore.listKeys();")
    assert [(k.get("label"), k.get("recovery", False)) for k in record["keys"]] == [("phone", False), ("recovery words", True)]
    assert [(k["handle"], k["kid"], k["label"]) for k in held] == [(handle, record["keys"][0]["kid"], "phone")]
    assert not {k["public"] for k in record["keys"]} & node_held_publics(coop)


def test_the_key_is_still_there_after_a_reload(page: Page, coop: Coop) -> None:
    handle = new_handle()
    join(page, invite(coop, handle))
    page.reload()

    assert [k["handle"] for k in run(page, "return await keystore.listKeys();")] == [handle]


def test_the_recovery_words_are_the_seed_of_the_recovery_key_in_the_record(page: Page, coop: Coop) -> None:
    handle = new_handle()
    words = join(page, invite(coop, handle))

    seed = Mnemonic("english").to_entropy(" ".join(words))
    recovery = [k for k in coop.client().get(f"/api/v1/members/{handle}")["keys"] if k.get("recovery")]
    assert [k["public"] for k in recovery] == [KeyPair(handle, bytes(seed)).public.to_b64()]


def test_the_page_says_what_it_is_about_to_sign(page: Page, coop: Coop) -> None:
    handle = new_handle()
    page.goto(invite(coop, handle))
    page.get_by_label("Name of this device").fill("work laptop")

    expect(page.get_by_text(f"I am {handle}, I join Test Co-op as a member, with this work laptop’s key and a recovery key.")).to_be_visible()


def test_the_claim_the_browser_builds_is_the_one_python_builds(page: Page) -> None:
    device, recovery = KeyPair.generate("hana"), KeyPair.generate("hana")
    invitation = {"handle": "hana", "roles": ["member", "learner"], "skills": ["web", "css", "web"], "secret_sha256": "0" * 64}
    current = {"handle": "hana", "roles": ["member"], "skills": ["css"], "previous": "1" * 64, "secret": "OLD0-0000-0000-0000",
               "keys": [KeyRecord(KeyPair.generate("hana").public).to_dict(), KeyRecord(KeyPair.generate("hana").public, 3).to_dict()],
               "type": "coop.member/v1", "coop": "x", "author": "hana", "seq": 7, "created": "2026-01-01T00:00:00Z"}
    keys = KeyRecord(device.public, label="phone"), KeyRecord(recovery.public, label="recovery words", recovery=True)
    built = run(page, """
        const [device, rescue] = arg.keys.map((k) => members.keyEntry({...k, recovery: k.recovery ?? false}));
        return [members.claimFields(arg.invitation, arg.code, device, rescue),
                members.claimFields(arg.invitation, arg.code, device, rescue, arg.current, "2".repeat(64), 9)];
    """, {"invitation": invitation, "code": "7K2M-QX9P-4RTD-8HWA", "current": current, "keys": [k.to_dict() for k in keys]})
    python = [claim_fields(invitation, "7K2M-QX9P-4RTD-8HWA", *keys), claim_fields(invitation, "7K2M-QX9P-4RTD-8HWA", *keys, current, "2" * 64, 9)]
    assert [canonical.encode(fields) for fields in built] == [canonical.encode(fields) for fields in python]


def test_an_expired_link_shows_a_clear_page_and_writes_nothing(open_profile: OpenProfile, coop: Coop) -> None:
    link = invite(coop, new_handle(), seconds=1)
    time.sleep(1.5)
    head = coop.client().get("/api/v1")["head"]
    page = open_profile(link)

    expect(page.get_by_role("heading", name="This invitation has ended")).to_be_visible()
    expect(page.get_by_role("button", name="Make my key on this device")).to_have_count(0)
    assert coop.client().get("/api/v1")["head"] == head


def test_a_reused_link_shows_a_clear_page_and_writes_nothing(open_profile: OpenProfile, coop: Coop) -> None:
    link = invite(coop, new_handle())
    join(open_profile(), link)
    head = coop.client().get("/api/v1")["head"]
    again = open_profile(link)

    expect(again.get_by_role("heading", name="This link was used already")).to_be_visible()
    assert coop.client().get("/api/v1")["head"] == head


def test_a_link_that_ends_while_the_page_is_open_says_why_and_keeps_no_key(page: Page, coop: Coop) -> None:
    handle = new_handle()
    page.goto(invite(coop, handle, seconds=2))
    time.sleep(2.5)
    head = coop.client().get("/api/v1")["head"]
    page.get_by_role("button", name="Make my key on this device").click()

    expect(page.get_by_role("alert")).to_contain_text("this invitation expired")
    assert run(page, "return await keystore.listKeys();") == []
    assert coop.client().get("/api/v1")["head"] == head


def test_the_join_page_off_a_secure_origin_says_how_to_fix_it(open_profile: OpenProfile, coop: Coop) -> None:
    link = invite(coop, new_handle()).replace("127.0.0.1", INSECURE_HOST)
    page = open_profile(link)

    expect(page.get_by_text("This page cannot make or use keys here.")).to_be_visible()
    expect(page.get_by_text("serve it over HTTPS")).to_be_visible()
    expect(page.get_by_role("button", name="Make my key on this device")).to_be_hidden()



def test_the_recovery_words_can_be_saved_as_a_file(page: Page, coop: Coop) -> None:
    handle = new_handle()
    page.goto(invite(coop, handle))
    words = make_key(page)
    with page.expect_download() as saving:
        page.get_by_role("button", name="Save as a file").click()

    saved = saving.value
    text = saved.path().read_text(encoding="utf-8")
    assert saved.suggested_filename == f"recovery-words-{handle}.txt"
    assert [line.split(". ")[1] for line in text.splitlines() if ". " in line and line.strip()[0].isdigit()] == words
    keep_words(page)


def test_a_move_link_replaces_the_node_held_key_from_that_statement_on(page: Page, coop: Coop) -> None:
    sdk = coop.client()
    last = sdk.get("/api/v1/authors/carol/seq")["seq"]
    code = invitations.new_secret()
    expires = statements.format_time(statements.parse_time(statements.now()) + timedelta(hours=1))
    sdk.submit(coop.keys["alice"], invitations.INVITATION_TYPE, invitations.invitation_fields("carol", None, None, code, expires, None))
    page.goto(join_link(coop.url, "carol", code))
    expect(page.get_by_text("This link moves you to a key of your own")).to_be_visible()
    make_key(page, "phone")
    keep_words(page)

    record = sdk.get("/api/v1/members/carol")
    old = coop.keys["carol"].public.to_b64()
    assert [(k["public"] == old, k.get("label"), k.get("revoked_after")) for k in record["keys"]] == [
        (True, None, last), (False, "phone", None), (False, "recovery words", None)]
    assert record["roles"] == ["member"]
