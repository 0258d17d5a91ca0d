"""Keys made in the browser (api/static/js/keystore.js): non-extractable, kept in the profile's IndexedDB."""
from __future__ import annotations

from browser_harness import OpenProfile, run, unb64
from playwright.sync_api import Page

from coop.keys import PublicKey


def test_the_private_key_cannot_be_exported(page: Page) -> None:
    answer = run(page, """
        await keystore.createKey("erin");
        const key = (await keystore.loadKey("erin")).privateKey;
        const attempts = {};
        for (const format of ["pkcs8", "jwk"]) {
          try { await crypto.subtle.exportKey(format, key); attempts[format] = "exported"; }
          catch (error) { attempts[format] = error.name; }
        }
        return {extractable: key.extractable, attempts};
    """)
    assert answer == {"extractable": False, "attempts": {"pkcs8": "InvalidAccessError", "jwk": "InvalidAccessError"}}


def test_a_key_survives_a_reload_of_the_page(page: Page) -> None:
    made = run(page, "return await keystore.createKey('erin').then(({kid, public: p}) => ({kid, public: p}));")
    page.reload()
    signature = run(page, """
        const key = await keystore.loadKey("erin");
        const signature = await crypto.subtle.sign({name: "Ed25519"}, key.privateKey, new TextEncoder().encode("still here"));
        return {kid: key.kid, sig: base64.base64(signature)};
    """)
    assert signature["kid"] == made["kid"]
    PublicKey.from_b64(made["public"]).verify(b"still here", unb64(signature["sig"]))


def test_a_fresh_profile_holds_no_key(open_profile: OpenProfile) -> None:
    run(open_profile(), "await keystore.createKey('erin');")
    assert run(open_profile(), "return await keystore.listKeys();") == []


def test_the_key_id_and_public_key_are_the_ones_python_computes(page: Page) -> None:
    listed = run(page, "await keystore.createKey('erin'); return await keystore.listKeys();")
    assert [(entry["handle"], entry["kid"]) for entry in listed] == [("erin", PublicKey.from_b64(listed[0]["public"]).kid)]


def test_a_second_key_for_one_handle_is_refused(page: Page) -> None:
    answer = run(page, """
        const first = await keystore.createKey("erin");
        try { await keystore.createKey("erin"); return "made"; }
        catch (error) { return {error: `${error.name}: ${error.message}`, kept: (await keystore.loadKey("erin")).kid === first.kid}; }
    """)
    assert answer == {"error": "BadInput: this browser already holds a key for erin", "kept": True}


def test_a_deleted_key_is_gone(page: Page) -> None:
    answer = run(page, """
        await keystore.createKey("erin");
        await keystore.createKey("fay");
        await keystore.deleteKey("erin");
        return {listed: (await keystore.listKeys()).map((key) => key.handle), loaded: await keystore.loadKey("erin")};
    """)
    assert answer == {"listed": ["fay"], "loaded": None}
