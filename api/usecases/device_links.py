"""Linking a member's next device: a short-lived code that only brings two screens together.

A device that holds a member's key asks for a code and shows it (or its link
`<node>/link/<code>`). The new device opens the link, makes its own key and
leaves its public half and label under the code. The old device reads them back,
shows the key's fingerprint (the new one shows the same, for the member to
compare), and signs the member record that adds the key. So the code holds no
power by itself: whoever holds it can only leave a key for the old device to
refuse. The first key left under a code is the one shown; a code ends after ten
minutes and lives only in the node's own memory (`device-links.json` in its home,
coop/state_file.py), never in the repository.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from coop import invitations, statements
from coop.errors import BadInput, Conflict, NotFound
from coop.keys import PublicKey
from coop.state_file import StateFile
from coop.statements import KeyRecord
from coop.view import View

STATE_FILE = "device-links.json"
LIFETIME = timedelta(minutes=10)
MAX_WAITING = 5  # per member: a sixth code ends the oldest, so nobody can fill the node's memory
LINK_PATH = "/link/"
UNKNOWN = "this link code is unknown or has ended: make a new one on your other device"


@dataclass(frozen=True)
class Offer:
    """The key a new device left under a code: its public half and the label the member gave it."""

    kid: str
    public: str
    label: str


@dataclass(frozen=True)
class DeviceLink:
    """A code's standing: whose it is, until when, the key left under it, and whether the record lists that key yet."""

    handle: str
    expires: str
    offer: Offer | None
    added: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the API form."""
        offer = None if self.offer is None else {"kid": self.offer.kid, "public": self.offer.public, "label": self.offer.label}
        return {"handle": self.handle, "expires": self.expires, "offer": offer, "added": self.added}


@dataclass(frozen=True)
class Started:
    """A new code, shown once on the old device."""

    code: str
    link: str
    waiting: DeviceLink


def memory(home: Path) -> StateFile:
    """Return the node-private file the codes live in."""
    return StateFile(home / STATE_FILE)


def start(home: Path, view: View, handle: str, now: str, node_url: str) -> Started:
    """Make a code for a member's next device, ending their codes past the MAX_WAITING newest."""
    if view.member(handle) is None:
        raise NotFound(f"no member {handle!r}")
    code = invitations.new_secret()
    expires = statements.format_time(statements.parse_time(now) + LIFETIME)
    with memory(home).locked() as held:
        codes = _live(held, now)
        theirs = [digest for digest, entry in codes.items() if entry["handle"] == handle]  # oldest first, as written
        for digest in theirs[: max(len(theirs) - MAX_WAITING + 1, 0)]:
            del codes[digest]
        codes[_digest(code)] = {"handle": handle, "expires": expires, "offer": None}
        memory(home).write({"codes": codes})
    return Started(code, f"{node_url.rstrip('/')}{LINK_PATH}{code}", DeviceLink(handle, expires, None, False))


def find(home: Path, view: View, code: str, now: str) -> DeviceLink:
    """Return where a code stands, or NotFound if it is unknown or has ended."""
    return _standing(view, _entry(_live(memory(home).read(), now), code))


def offer(home: Path, view: View, code: str, public: str, label: str, now: str) -> DeviceLink:
    """Leave a new device's public key and label under a code (once: the first key left is the one the old device sees)."""
    key = KeyRecord.from_dict({"kid": PublicKey.from_b64(public).kid, "public": public, "label": label})
    if key.label is None:
        raise BadInput("name the new device: a label such as 'laptop'")
    with memory(home).locked() as held:
        codes = _live(held, now)
        entry = _entry(codes, code)
        if entry["offer"] is not None:
            raise Conflict("a device has used this code already: make a new code on your other device")
        entry["offer"] = {"kid": key.kid, "public": public, "label": key.label}
        memory(home).write({"codes": codes})
    return _standing(view, entry)


def _live(held: Mapping[str, Any] | None, now: str) -> dict[str, dict[str, Any]]:
    moment = statements.parse_time(now)
    codes: dict[str, dict[str, Any]] = dict((held or {}).get("codes", {}))
    return {digest: entry for digest, entry in codes.items() if statements.parse_time(entry["expires"]) > moment}


def _entry(codes: Mapping[str, dict[str, Any]], code: str) -> dict[str, Any]:
    try:
        digest = _digest(code)
    except BadInput:
        raise NotFound(UNKNOWN) from None
    if digest not in codes:
        raise NotFound(UNKNOWN)
    return codes[digest]


def _digest(code: str) -> str:
    # Only the hash is kept (as an invitation keeps its code's), so the node's memory opens no link to who reads it.
    return invitations.secret_sha256(code)


def _standing(view: View, entry: Mapping[str, Any]) -> DeviceLink:
    left = entry["offer"]
    found = None if left is None else Offer(left["kid"], left["public"], left["label"])
    added = found is not None and any(k.kid == found.kid for k in view.keys(entry["handle"]))
    return DeviceLink(entry["handle"], entry["expires"], found, added)
