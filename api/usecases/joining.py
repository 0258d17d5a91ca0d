"""What a join link opens: the invitation it names, where it stands, and what a claim of it must carry.

The join page (and any other face that redeems a link on the member's own device)
reads this and nothing else: the device builds the claim itself
(coop/members.py `claim_fields`, and its twin in api/static/js/members.js) from the
values here, signs it with the key it just made and posts it. The node has no part
in the claim but to check it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coop import invitations, statements
from coop.members import record_sha
from coop.view import View

FORGED = "forged"  # an invitation of that handle exists, but the link's code is not its code


@dataclass(frozen=True)
class Opened:
    """A join link read against the record: its standing and, for a pending one, the claim's inputs."""

    handle: str
    code: str
    standing: str  # pending, claimed, cancelled, expired, none, or forged
    invitation: Mapping[str, Any] | None
    current: Mapping[str, Any] | None  # a move: the member's record now, which the claim replaces
    current_sha: str | None
    last_seq: int

    @property
    def move(self) -> bool:
        """Tell whether the link moves an existing member to a key of their own (rather than adding a member)."""
        return bool(self.invitation and self.invitation.get("move"))

    def claim_inputs(self, origin: str) -> dict[str, Any]:
        """Return what the device needs to build and sign the claim, as the page hands it to its script."""
        invitation = self.invitation or {}
        return {"origin": origin, "handle": self.handle, "code": self.code, "seq": self.last_seq + 1,
                "invitation": {k: v for k, v in invitation.items() if k not in statements.COMMON_FIELDS},
                "current": None if self.current is None else dict(self.current), "current_sha": self.current_sha,
                "last_seq": self.last_seq}


def open_link(view: View, handle: str, code: str, now: str) -> Opened:
    """Read a join link's handle and code against the record as of `now`."""
    invitation = invitations.invitation(view, handle)
    if invitation is not None and invitations.secret_sha256(code) != invitation["secret_sha256"]:
        return Opened(handle, code, FORGED, None, None, None, 0)
    standing = invitations.state(view, handle, now)
    current = view.member(handle) if invitation is not None and invitation.get("move") else None
    return Opened(handle, code, standing, invitation, current, record_sha(view, handle) if current else None, view.last_seq(handle))
