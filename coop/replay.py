"""How a commit records the order of its statements, so history can be replayed through coop.accept."""
from __future__ import annotations

from collections.abc import Iterable

TRAILER = "Statement: "


def trailer(paths: Iterable[str]) -> str:
    """Return the message lines that record the order statements were applied in."""
    return "\n".join(TRAILER + path for path in paths)


def statement_order(message: str) -> list[str]:
    """Read the statement paths a commit message lists, in order."""
    return [line[len(TRAILER):].strip() for line in message.splitlines() if line.startswith(TRAILER)]
