"""Where the bridge is: its /sync token, the events it handled, the last commit it announced.

Kept as one JSON file in the node's data directory (coop/state_file.py) and replaced
atomically after every handled event, so a restart neither misses nor repeats a command.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

KEEP_HANDLED = 500  # a /sync gap is paged back only until a handled event: this many are remembered


@dataclass(frozen=True)
class Cursor:
    """The bridge's position: sync token, recently handled event IDs, last announced commit, open claims."""

    since: str | None = None
    handled: tuple[str, ...] = ()
    commit: str | None = None
    claims: dict[str, dict[str, str]] = field(default_factory=dict)

    def handle(self, event_id: str) -> Cursor:
        """Return the cursor with one more handled event."""
        return replace(self, handled=(*self.handled, event_id)[-KEEP_HANDLED:])

    def to_dict(self) -> dict[str, Any]:
        """Return the cursor as the file stores it."""
        return {"since": self.since, "handled": list(self.handled), "commit": self.commit, "claims": self.claims}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cursor:
        """Read a cursor from the file's JSON."""
        return cls(data.get("since"), tuple(data.get("handled", ())), data.get("commit"), dict(data.get("claims", {})))
