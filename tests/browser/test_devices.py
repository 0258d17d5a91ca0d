"""Several devices: linking a second browser profile from "Your devices", and stopping a device's key there."""
from __future__ import annotations

from api_harness import ORIGIN, Coop
from browser_harness import OpenProfile, run
from browser_steps import invite, join, link_device, new_handle, open_proposal, vote_on_page
from playwright.sync_api import expect

from coop import statements
from coop.keys import PublicKey
from coop.statements import KeyRecord
from governance import proposals as P


def test_a_linked_profile_shows_the_same_fingerprint_and_votes_with_its_own_key(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    phone, laptop = open_profile(), open_profile()
    join(phone, invite(coop, handle), "phone")
    old_shows, new_shows = link_device(phone, laptop, coop)
    proposal = open_proposal(coop)
    vote_on_page(laptop, coop, proposal, "No")

    expect(laptop.get_by_role("status").filter(has_text="Your vote is in")).to_be_visible()
    public = run(laptop, "return (await keystore.loadKey(arg)).public;", handle)
    assert old_shows == new_shows == " ".join(PublicKey.from_b64(public).kid.upper()[i:i + 4] for i in range(0, 16, 4))
    listed = {k.get("label"): k["public"] for k in coop.client().get(f"/api/v1/members/{handle}")["keys"]}
    assert listed["laptop"] == public and set(listed) == {"phone", "laptop", "recovery words"}
    raw = coop.client().get_bytes(f"/api/v1/statements/{P.vote_path(proposal, handle)}")
    statements.verify(raw, origin=ORIGIN, keys=lambda author: [KeyRecord(PublicKey.from_b64(public))], expected_type=P.VOTE_TYPE)


def test_the_devices_page_lists_each_key_and_marks_this_device(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    page = open_profile()
    join(page, invite(coop, handle), "phone")
    page.goto(f"{coop.url}/devices")

    keys = page.get_by_role("listitem")
    expect(keys).to_have_count(2)
    expect(keys.filter(has_text="phone")).to_contain_text("this device")
    expect(keys.filter(has_text="recovery words")).to_contain_text("Fingerprint")


def test_a_stopped_key_signs_nothing_from_its_revocation_on(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    phone, laptop = open_profile(), open_profile()
    join(phone, invite(coop, handle), "phone")
    link_device(phone, laptop, coop)
    last = coop.client().get(f"/api/v1/authors/{handle}/seq")["seq"]
    phone.reload()
    phone.get_by_role("listitem").filter(has_text="laptop").get_by_role("button", name="Stop this key").click()
    expect(phone.get_by_text(f"I am {handle}. Stop the key of “laptop”")).to_be_visible()
    phone.get_by_role("button", name="Sign: stop this key").click()

    expect(phone.get_by_role("status").filter(has_text="is stopped, from statement")).to_be_visible()
    keys = {k.get("label"): k for k in coop.client().get(f"/api/v1/members/{handle}")["keys"]}
    assert keys["laptop"]["revoked_after"] == last and "revoked_after" not in keys["phone"]
    vote_on_page(laptop, coop, open_proposal(coop), "Yes")
    expect(laptop.get_by_role("alert")).to_contain_text("revoked")


def test_a_link_code_typed_on_the_link_page_opens_it(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    phone = open_profile()
    join(phone, invite(coop, handle))
    code = coop.client().post(b'{"handle":"%s"}' % handle.encode(), "/api/v1/device-links")["code"]
    laptop = open_profile(f"{coop.url}/link")
    laptop.get_by_label("The code your other device shows").fill(code.lower().replace("-", " "))
    laptop.get_by_role("button", name="Go on").click()

    expect(laptop.get_by_text(f"This device joins {handle}’s account")).to_be_visible()
