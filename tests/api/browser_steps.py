"""What a member does on the node's pages, step by step as a person would: by the words on the screen.

Each step finds controls by their role and label, so a test reads as what the
member does: open the link, name the device, press the button, keep the words.
The node's side of a step (an invitation, a proposal) is signed by the founder's
key through the SDK, as a real founder's machine would.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from api_harness import PASSPHRASE, Coop
from playwright.sync_api import Page, expect

from api.usecases.members import join_link
from coop import invitations, statements
from coop.keys import KeyStore
from coop.node import KEYS_DIR

WORDS = "Your 24 recovery words, in order"


def new_handle(prefix: str = "hana") -> str:
    """Return a handle no other test of the session uses (they share one node)."""
    return f"{prefix}-{secrets.token_hex(3)}"


def invite(coop: Coop, handle: str, roles: list[str] | None = None, seconds: int = 3600) -> str:
    """Have the founder invite a member-to-be (a member unless roles say otherwise) and return the join link."""
    code = invitations.new_secret()
    expires = statements.format_time(statements.parse_time(statements.now()) + timedelta(seconds=seconds))
    fields = invitations.invitation_fields(handle, roles or ["member"], ["python"], code, expires, None)
    coop.client().submit(coop.keys["alice"], invitations.INVITATION_TYPE, fields)
    return join_link(coop.url, handle, code)


def make_key(page: Page, label: str = "phone") -> list[str]:
    """On an open join page, name the device, make the keys and return the recovery words shown."""
    page.get_by_label("Name of this device").fill(label)
    page.get_by_role("button", name="Make my key on this device").click()
    words = page.get_by_role("list", name=WORDS).get_by_role("listitem")
    expect(words).to_have_count(24)
    return words.all_text_contents()


def keep_words(page: Page) -> None:
    """Say the words are kept, hide them, and wait for the page to say what comes next."""
    page.get_by_label("I have kept my 24 words safe.").check()
    page.get_by_role("button", name="Hide my words and continue").click()
    expect(page.get_by_text("You are in.")).to_be_visible()


def join(page: Page, link: str, label: str = "phone") -> list[str]:
    """Open a join link, make the keys, keep the words; return them."""
    page.goto(link)
    words = make_key(page, label)
    keep_words(page)
    return words


def open_proposal(coop: Coop, method: str = "majority", options: tuple[str, ...] = ()) -> str:
    """Have the founder open a proposal for everyone who is a member now; return its id."""
    proposal = f"p-{secrets.token_hex(3)}"
    coop.client().open_proposal(coop.keys["alice"], proposal, "Buy a shared laptop", "We buy **one** laptop for the school.",
                                method, closes_in=3600, options=options)
    return proposal


def node_held_publics(coop: Coop) -> set[str]:
    """Return the public key of every key file under the node's keys dir (the node's, its log's, the founder's, old members')."""
    root = coop.home / KEYS_DIR
    return {KeyStore(path.parent, PASSPHRASE, "min").unlock(path.stem).public.to_b64() for path in root.rglob("*.key")}


def link_device(old: Page, new: Page, coop: Coop, label: str = "laptop") -> tuple[str, str]:
    """From a device that holds a key, link another: the new one makes its key, both show a fingerprint, the old adds it.

    Returns the fingerprint each screen showed (old, new), for the member to compare.
    """
    old.goto(f"{coop.url}/devices")
    old.get_by_role("button", name="Link a new device").click()
    link = old.get_by_role("link", name=f"{coop.url}/link/")
    expect(link).to_be_visible()
    new.goto(link.get_attribute("href") or "")
    new.get_by_label("Name of this device").fill(label)
    new.get_by_role("button", name="Make a key on this device").click()
    shown_new = new.locator("#compare .fingerprint")
    expect(shown_new).to_be_visible()
    shown_old = old.get_by_text("Its fingerprint:").locator(".fingerprint")
    expect(shown_old).to_be_visible()
    fingerprints = shown_old.inner_text(), shown_new.inner_text()
    old.get_by_role("button", name="Add this device").click()
    expect(new.get_by_text("This device is linked.")).to_be_visible()
    return fingerprints


def vote_on_page(page: Page, coop: Coop, proposal: str, choice: str, reason: str = "") -> None:
    """Open the proposal's page, choose (the choice's first word), give a reason if any, and sign and send the vote."""
    page.goto(f"{coop.url}/proposals/{proposal}")
    page.get_by_role("radio", name=re.compile(rf"^{re.escape(choice)}\b")).check()  # "No", not "...no side..."
    if reason:
        page.get_by_label("Your reason").fill(reason)
    page.get_by_role("button", name="Sign and send my vote").click()
