"""Joining by chat: the `!join` asks the bridge waits on, the private messages with links, the profile written on the claim.

`!join` records an invitation signed by the bridge's app (an app with the
coop.member/v1 scope may add learners, so it may invite them) and sends its link
in a direct message: the learner's key is made on their own device when they open
it, never on the node. The bridge remembers each ask (who asked, when, for which
track, and the hash of the code it sent) in its state file, and writes the learner
profile only once the member record has landed: a profile needs a member record
(projects/learners.py), and waiting means an invitation nobody uses leaves no
profile behind. `!claim` sends the same kind of link for a *move*: a learner who
joined before invitations existed replaces the key this node holds for them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from api.usecases.members import Invited
from coop import invitations
from coop.view import View

LIFETIME_SECONDS = 7 * 24 * 3600  # a week to open the link: long enough for a weekend away, short enough to forget safely


@dataclass(frozen=True)
class Asked:
    """One `!join` waiting for its invitation to be claimed: the handle, who asked and when, the track, the code's hash."""

    handle: str
    matrix_id: str
    track: str
    asked_at: str
    secret_sha256: str

    def to_dict(self) -> dict[str, str]:
        """Return the ask as the bridge's state file keeps it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Asked:
        """Read an ask from the state file."""
        return cls(data["handle"], data["matrix_id"], data["track"], data["asked_at"], data["secret_sha256"])


def asked(invited: Invited, matrix_id: str, track: str, asked_at: str) -> Asked:
    """Return the ask to remember for an invitation just sent."""
    return Asked(invited.handle, matrix_id, track, asked_at, invitations.secret_sha256(invited.code))


def standing(view: View, ask: Asked, now: str) -> str:
    """Say where an ask stands: pending, claimed, or gone (expired, cancelled, or replaced by an invitation not sent here)."""
    current = invitations.invitation(view, ask.handle)
    if current is None or current["secret_sha256"] != ask.secret_sha256:
        return "gone"
    state = invitations.state(view, ask.handle, now)
    return state if state in ("pending", "claimed") else "gone"


def profile_fields(ask: Asked) -> dict[str, Any]:
    """Return the learner profile of a claimed ask: the track, no mentor yet, and who asked in the chat and when."""
    return {"handle": ask.handle, "track": ask.track, "mentor": None, "joined_via": "chat",
            "matrix_id": ask.matrix_id, "asked_at": ask.asked_at}


def join_message(coop_name: str, invited: Invited) -> str:
    """Return the direct message that carries a join link, in plain words."""
    return (f"Welcome! Here is your link to join {coop_name} as {invited.handle}:\n{invited.link}\n"
            "Open it on your own phone or computer. It makes your key there. Your key stays on your device: "
            "nobody else gets it, not even the co-op's server.\n"
            f"{_once(invited)}\nWhen you have joined, I welcome you in the public room.")


def move_message(invited: Invited) -> str:
    """Return the direct message that carries a move link, in plain words."""
    return (f"Here is your link to move {invited.handle} to a key of your own:\n{invited.link}\n"
            "Open it on your own phone or computer. It makes a new key there. "
            "After that, the key the co-op's server kept for you stops working.\n"
            f"{_once(invited)}")


def _once(invited: Invited) -> str:
    return (f"The link works one time, until {invited.expires}. Do not share it. "
            f"Your code is {invited.code} (it is also in the link).")
