"""A read view of the co-op's repository at one commit, with pending changes laid over it.

Checks of a new statement (coop.accept) run against this view, so the same rules apply when a
statement is accepted, when a commit is retried after a concurrent write, and
when a verifier replays history.
"""
from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any, cast

import pygit2

from coop import authors, canonical, statements
from coop.errors import CoopError, IntegrityError, NotFound
from coop.ids import check_id, sharded
from coop.statements import KeyRecord, Statement
from coop.store import Snapshot

CHARTER_PATH = "coop.json"
SEQ_DIR = "seq"
DECIDED_RULES = "decided/rules.json"
DECIDED_ROLES = "decided/roles"


def decided_roles_path(handle: str) -> str:
    """Return where roles a proposal gave a member are kept (they override the member record)."""
    return f"{DECIDED_ROLES}/{check_id(handle, 'handle')}.json"


def seq_path(handle: str) -> str:
    """Return where the last sequence number of an author is kept (sharded: every write touches one)."""
    return sharded(SEQ_DIR, handle, "handle") + ".json"


class View:
    """The repository as of one snapshot (None: before the first commit) plus changes not yet committed."""

    def __init__(self, snapshot: Snapshot | None, pending: Mapping[str, bytes | None] | None = None, now: str | None = None) -> None:
        self.snapshot = snapshot
        self.pending: dict[str, bytes | None] = dict(pending or {})
        self.now = now

    def clock(self, statement: Statement) -> str:
        """Return the time rules are checked at: the node's clock on acceptance, the statement's own on replay.

        A node refuses statements dated in the future when it accepts them, so on
        replay the statement's `created` time stands in for the moment it arrived.
        """
        return self.now or statement.body["created"]

    def read(self, path: str) -> bytes | None:
        """Return a file's bytes, pending changes first."""
        if path in self.pending:
            return self.pending[path]
        return self.snapshot.read(path) if self.snapshot is not None else None

    def blob_id(self, path: str) -> str | None:
        """Return the git blob id of a file, pending changes included (so equal bytes give equal ids)."""
        if path in self.pending:
            data = self.pending[path]
            return str(pygit2.hash(data)) if data is not None else None
        return self.snapshot.blob_id(path) if self.snapshot is not None else None

    def _pending_in(self, directory: str) -> Iterator[tuple[str, bytes | None]]:
        """Yield (name, bytes or None for a removal) of each pending change directly inside a directory."""
        prefix = directory.rstrip("/") + "/"
        for path, data in self.pending.items():
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                yield path[len(prefix):], data

    def list(self, directory: str) -> list[str]:
        """List names in a directory (files and subdirectories), pending changes included."""
        names = set(self.snapshot.list(directory)) if self.snapshot is not None else set()
        prefix = directory.rstrip("/") + "/"
        names |= {path[len(prefix):].split("/", 1)[0] for path, data in self.pending.items()
                  if data is not None and path.startswith(prefix) and "/" in path[len(prefix):]}
        for name, data in self._pending_in(directory):
            if data is None:
                names.discard(name)
            else:
                names.add(name)
        return sorted(names)

    def blob_ids(self, directory: str) -> dict[str, str]:
        """Return the git blob id of every file directly inside a directory, by name, pending changes included."""
        ids = self.snapshot.blob_ids(directory) if self.snapshot is not None else {}
        for name, data in self._pending_in(directory):
            if data is None:
                ids.pop(name, None)
            else:
                ids[name] = str(pygit2.hash(data))
        return ids

    def bodies(self, directory: str) -> dict[str, Mapping[str, Any]]:
        """Return the body of every statement file in a directory, reading the directory once."""
        files = self.snapshot.read_dir(directory) if self.snapshot is not None else {}
        for name, data in self._pending_in(directory):
            if data is None:
                files.pop(name, None)
            else:
                files[name] = data
        return {name: statements.stored_body(raw) for name, raw in sorted(files.items()) if name.endswith(".json")}

    def stage(self, changes: Mapping[str, bytes | None]) -> None:
        """Lay more changes over the view (later statements in one commit see earlier ones)."""
        self.pending.update(changes)

    def body(self, path: str) -> Mapping[str, Any] | None:
        """Return the body of the statement stored at a path (trusted: verified on entry)."""
        raw = self.read(path)
        if raw is None:
            return None
        return statements.stored_body(raw)

    def charter(self) -> Mapping[str, Any]:
        """Return the charter in force: the founder's charter with the rules proposals have changed since."""
        body = self.body(CHARTER_PATH)
        if body is None:
            raise NotFound("this repository has no charter (coop.json)")
        decided = self.read(DECIDED_RULES)
        if decided is None:
            return body
        return {**body, "rules": {**body["rules"], **canonical.decode(decided)["rules"]}}

    @property
    def origin(self) -> str:
        """Return the co-op's log origin, which every statement must name."""
        return cast(str, self.charter()["origin"])

    def member(self, handle: str) -> Mapping[str, Any] | None:
        """Return a member record body, or None."""
        return self.body(authors.member_path(handle))

    def require_member(self, handle: str) -> Mapping[str, Any]:
        """Return a member record body or raise NotFound."""
        record = self.member(handle)
        if record is None:
            raise NotFound(f"no such member {handle!r}")
        return record

    def handles(self) -> builtins.list[str]:  # `list` here is the method above
        """List every member handle."""
        return authors.handles(self)

    def roles(self, handle: str) -> frozenset[str]:
        """Return a member's roles (as last decided by a proposal, else as recorded), empty for someone unknown."""
        record = self.member(handle)
        if not record:
            return frozenset()
        decided = self.read(decided_roles_path(handle))
        return frozenset(canonical.decode(decided)["roles"] if decided else record["roles"])

    def keys(self, author: str) -> Iterator[KeyRecord]:
        """Yield the keys registered for an author: a member, a node or an app."""
        return authors.keys(self, author)

    def last_seq(self, author: str) -> int:
        """Return the last sequence number the author used (0 if none)."""
        raw = self.read(seq_path(author))
        return canonical.decode(raw)["seq"] if raw else 0

    def seq_change(self, statement: Statement, path: str) -> dict[str, bytes]:
        """Return the change that records a statement as its author's latest."""
        return {seq_path(statement.author): canonical.encode({"path": path, "seq": statement.seq})}

    def verified(self, path: str) -> Statement:
        """Return the statement at a path with its signature checked, or raise IntegrityError."""
        raw = self.read(path)
        if raw is None:
            raise NotFound(f"no statement at {path!r}")
        try:
            return statements.verify(raw, origin=self.origin, keys=self.keys)
        except CoopError as e:
            raise IntegrityError(f"{path}: {e}") from e
