"""A node-private memory in one small JSON file: changed by one process at a time, replaced whole.

The log signer, each witness and the chat bridge remember one thing between runs
(the last tree signed or cosigned, the last event relayed). Changing it is a read,
a comparison and a write that must not interleave with another process doing the
same, and a crash mid-write must leave the old value or the new one, never half:
so changes hold an exclusive fcntl lock on a sibling file, and a write goes to a
temporary file that is fsynced and renamed over the old one. This is the one place
that knows how; the rules about what may be remembered stay with their owners.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class StateFile:
    """One JSON object kept in a file outside the repository."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any] | None:
        """Return the remembered object, or None before the first write."""
        try:
            data: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        return data

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any] | None]:
        """Hold the exclusive lock and yield what is remembered; `write` inside it to change it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield self.read()
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def write(self, data: Mapping[str, Any]) -> None:
        """Replace the remembered object: temporary file, fsync, rename, fsync the directory."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=1))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
