"""Recovery on a fresh browser profile with the recovery sheet's words; what a recovery key may not do."""
from __future__ import annotations

from api_harness import Coop
from browser_harness import OpenProfile, run
from browser_steps import invite, join, new_handle, open_proposal, vote_on_page
from mnemonic import Mnemonic
from playwright.sync_api import Page, expect


def recover(page: Page, coop: Coop, handle: str, words: str, label: str = "laptop") -> None:
    """On /recover, give the handle and the words, check them, name this device and add it (stopping every other key)."""
    page.goto(f"{coop.url}/recover")
    page.get_by_label("Your name at Test Co-op").fill(handle)
    page.get_by_label("Your 24 recovery words").fill(words)
    page.get_by_role("button", name="Check my words").click()
    page.get_by_label("Name of this device").fill(label)
    page.get_by_role("button", name="Add this device").click()


def test_the_sheet_s_words_recover_the_account_on_a_fresh_profile_and_stop_the_lost_key(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    words = join(open_profile(), invite(coop, handle), "phone")
    last = coop.client().get(f"/api/v1/authors/{handle}/seq")["seq"]
    fresh = open_profile()
    recover(fresh, coop, handle, "\n".join(f"{i + 1}. {word.upper()}" for i, word in enumerate(words)))

    expect(fresh.get_by_role("status").filter(has_text="Done.")).to_contain_text(f"Stopped: “phone”, from statement {last + 1} on.")
    keys = {k.get("label"): k for k in coop.client().get(f"/api/v1/members/{handle}")["keys"]}
    assert keys["phone"]["revoked_after"] == last and "revoked_after" not in keys["laptop"]
    assert run(fresh, "return (await keystore.loadKey(arg)).kid;", handle) == keys["laptop"]["kid"]


def test_the_recovered_device_votes_and_the_lost_one_cannot(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    lost = open_profile()
    words = join(lost, invite(coop, handle), "phone")
    fresh = open_profile()
    recover(fresh, coop, handle, " ".join(words))
    expect(fresh.get_by_role("status").filter(has_text="Done.")).to_be_visible()
    proposal = open_proposal(coop)

    vote_on_page(fresh, coop, proposal, "Yes")
    expect(fresh.get_by_role("status").filter(has_text="Your vote is in")).to_be_visible()
    vote_on_page(lost, coop, proposal, "No")
    expect(lost.get_by_role("alert")).to_contain_text("revoked")


def test_the_page_says_the_recovery_key_only_manages_keys_before_it_signs(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    words = join(open_profile(), invite(coop, handle), "phone")
    page = open_profile(f"{coop.url}/recover")
    page.get_by_label("Your name at Test Co-op").fill(handle)
    page.get_by_label("Your 24 recovery words").fill(" ".join(words))
    page.get_by_role("button", name="Check my words").click()
    page.get_by_label("Name of this device").fill("tablet")

    expect(page.get_by_text(f"I am {handle}. Add the key of this device, “tablet”. Stop the keys of: “phone”.")).to_contain_text(
        "A recovery key can only add and stop keys: it cannot vote, apply for work or move money.")


def test_a_wrong_word_is_named_and_nothing_is_signed(page: Page, coop: Coop) -> None:
    handle = new_handle()
    words = join(page, invite(coop, handle))
    head = coop.client().get("/api/v1")["head"]
    page.goto(f"{coop.url}/recover")
    page.get_by_label("Your name at Test Co-op").fill(handle)
    page.get_by_label("Your 24 recovery words").fill(" ".join([*words[:4], "zzzz", *words[5:]]))
    page.get_by_role("button", name="Check my words").click()

    expect(page.get_by_role("alert")).to_have_text('Word 5, "zzzz", is not a recovery word. Check its spelling on your sheet.')
    assert coop.client().get("/api/v1")["head"] == head


def test_another_member_s_words_are_refused(open_profile: OpenProfile, coop: Coop) -> None:
    mine, theirs = new_handle(), new_handle()
    join(open_profile(), invite(coop, mine))
    words = join(open_profile(), invite(coop, theirs))
    page = open_profile(f"{coop.url}/recover")
    page.get_by_label("Your name at Test Co-op").fill(mine)
    page.get_by_label("Your 24 recovery words").fill(" ".join(words))
    page.get_by_role("button", name="Check my words").click()

    expect(page.get_by_role("alert")).to_contain_text(f"These are not the recovery words of {mine}")


# The record a keystore.js key is stored as, written straight into the profile's IndexedDB: here the
# recovery key is kept as if it were a device key, which no page of Coop does.
STORE_RECOVERY_KEY_AS_DEVICE = """
    const key = await recovery.recoveryKey(Uint8Array.from(arg.seed));
    const privateKey = await crypto.subtle.importKey("jwk", await crypto.subtle.exportKey("jwk", key.privateKey),
                                                     {name: "Ed25519"}, false, ["sign"]);
    const database = await new Promise((resolve, reject) => {
      const request = indexedDB.open("coop-keys", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("keys", {keyPath: "handle"});
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise((resolve, reject) => {
      const transaction = database.transaction("keys", "readwrite");
      transaction.objectStore("keys").put({handle: arg.handle, kid: key.kid, public: key.public, label: null,
                                           created: new Date().toISOString(), privateKey, publicKey: null});
      transaction.oncomplete = resolve;
      transaction.onabort = () => reject(transaction.error);
    });
    database.close();
"""


def test_a_recovery_key_cannot_vote_and_the_page_says_why(open_profile: OpenProfile, coop: Coop) -> None:
    handle = new_handle()
    words = join(open_profile(), invite(coop, handle))
    proposal = open_proposal(coop)
    head = coop.client().get("/api/v1")["head"]
    page = open_profile()
    run(page, STORE_RECOVERY_KEY_AS_DEVICE, {"handle": handle, "seed": list(Mnemonic("english").to_entropy(" ".join(words)))})
    vote_on_page(page, coop, proposal, "Yes")

    expect(page.get_by_role("alert")).to_have_text(
        "The co-op does not allow this: a recovery key only adds and revokes keys: it cannot sign a coop.vote/v1 statement; "
        "sign with a device key. Nothing was changed.")
    assert coop.client().get("/api/v1")["head"] == head
