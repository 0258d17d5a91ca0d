"""Where the bridge is: its /sync token, the events it handled, the last commit it announced, the `!join`s it waits on.

Kept as one JSON file in the node's data directory (coop/state_file.py) and replaced
atomically after every handled event, so a restart neither misses nor repeats a command.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from api.chat.joining import Asked

KEEP_HANDLED = 500  # a /sync gap is paged back only until a handled event: this many are remembered


@dataclass(frozen=True)
class Cursor:
    """The bridge's position: sync token, recently handled event IDs, last announced commit, asks by handle."""

    since: str | None = None
    handled: tuple[str, ...] = ()
    commit: str | None = None
    joins: dict[str, Asked] = field(default_factory=dict)

    def handle(self, event_id: str) -> Cursor:
        """Return the cursor with one more handled event."""
        return replace(self, handled=(*self.handled, event_id)[-KEEP_HANDLED:])

    def ask(self, asked: Asked) -> Cursor:
        """Return the cursor waiting on one more ask (a new ask for a handle replaces the old one)."""
        return replace(self, joins={**self.joins, asked.handle: asked})

    def forget(self, handle: str) -> Cursor:
        """Return the cursor no longer waiting on a handle's ask."""
        return replace(self, joins={h: a for h, a in self.joins.items() if h != handle})

    def to_dict(self) -> dict[str, Any]:
        """Return the cursor as the file stores it."""
        return {"since": self.since, "handled": list(self.handled), "commit": self.commit,
                "joins": {h: a.to_dict() for h, a in self.joins.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cursor:
        """Read a cursor from the file's JSON (a file from before invitations keeps its position; its claims lapse)."""
        joins = {h: Asked.from_dict(a) for h, a in data.get("joins", {}).items()}
        return cls(data.get("since"), tuple(data.get("handled", ())), data.get("commit"), joins)
