"""Authors: the one namespace members, nodes and apps share, and the keys registered to them.

Anyone who signs a statement is an author, named by a handle: a member
(`members/<handle>.json`), a node (`nodes/<name>.json`) or an allied app
(`apps/<app-id>.json`). No two authors share a name or a key, so a signature
names exactly one of them. This module is the only one that knows where their
records live; `coop/members.py` and `coop/apps.py` hold the rules of each kind.
It reads through any view of the repository (`coop/view.py` builds on it).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from coop import canonical
from coop.errors import BadInput, Conflict, Forbidden
from coop.ids import check_id
from coop.statements import KeyRecord

MEMBERS = "members"
NODES = "nodes"
APPS = "apps"
KEY_OWNERS = "keys/owners"


class Records(Protocol):
    """What the namespace reads: the repository's files as of one view (a `coop.view.View`)."""

    def read(self, path: str) -> bytes | None:
        """Return a file's bytes, or None."""

    def body(self, path: str) -> Mapping[str, Any] | None:
        """Return the body of the statement stored at a path, or None."""

    def list(self, directory: str) -> list[str]:
        """List the names in a directory."""

    def last_seq(self, author: str) -> int:
        """Return the last sequence number an author used."""


def member_path(handle: str) -> str:
    """Return where a member's record lives."""
    return f"{MEMBERS}/{check_id(handle, 'handle')}.json"


def node_path(name: str) -> str:
    """Return where a node's record lives."""
    return f"{NODES}/{check_id(name, 'node name')}.json"


def app_path(app_id: str) -> str:
    """Return where an app's record lives."""
    return f"{APPS}/{check_id(app_id, 'app id')}.json"


def directory_of(path: str) -> str | None:
    """Return which kind of author (MEMBERS, NODES or APPS) a record path belongs to; None for any other path."""
    directory, _, name = path.partition("/")
    if directory in (MEMBERS, NODES, APPS) and name.endswith(".json") and "/" not in name:
        return directory
    return None


def name_of(path: str) -> str:
    """Return the handle an author's record path names (members/alice.json: alice)."""
    return path.rpartition("/")[2].removesuffix(".json")


def _names(records: Records, directory: str) -> list[str]:
    return [name[:-5] for name in records.list(directory) if name.endswith(".json")]


def handles(records: Records) -> list[str]:
    """List every member handle."""
    return _names(records, MEMBERS)


def node_names(records: Records) -> list[str]:
    """List every node name."""
    return _names(records, NODES)


def app_ids(records: Records) -> list[str]:
    """List every app id."""
    return _names(records, APPS)


def taken_names(records: Records) -> set[str]:
    """Return every handle, node and app name: a new author of any kind must differ from them all."""
    return {*handles(records), *node_names(records), *app_ids(records)}


def node(records: Records, name: str) -> Mapping[str, Any] | None:
    """Return a node's record body, or None when there is no such node."""
    return records.body(node_path(name))


def app(records: Records, app_id: str) -> Mapping[str, Any] | None:
    """Return an app's record body, or None when there is no such app."""
    return records.body(app_path(app_id))


def is_app(records: Records, author: str) -> bool:
    """Tell whether an author is an app (and not a member)."""
    return records.read(member_path(author)) is None and records.read(app_path(author)) is not None


def record(records: Records, author: str) -> Mapping[str, Any] | None:
    """Return an author's record, whether a member's, a node's or an app's; None for a name no author has."""
    try:
        check_id(author, "author")
    except BadInput:
        return None
    for path in (member_path, node_path, app_path):
        if (body := records.body(path(author))) is not None:
            return body
    return None


def keys(records: Records, author: str) -> Iterator[KeyRecord]:
    """Yield the keys registered for an author, revoked ones included."""
    for entry in (record(records, author) or {}).get("keys", []):
        yield KeyRecord.from_dict(entry)


def check_keys(keys: object) -> list[KeyRecord]:
    """Parse a record's key list: at least one key that is not revoked, no key twice."""
    if not isinstance(keys, list) or not keys:
        raise BadInput("a record lists at least one key")
    records = [KeyRecord.from_dict(k) if isinstance(k, dict) else _bad_key() for k in keys]
    if len({r.kid for r in records}) != len(records):
        raise BadInput("a key is listed twice")
    if all(r.revoked_after is not None for r in records):
        raise BadInput("at least one key must stay valid")
    return records


def _bad_key() -> KeyRecord:
    raise BadInput("each key is an object with 'kid' and 'public'")


def check_key_history(records: Records, owner: str, previous: Mapping[str, Any], keys: list[KeyRecord]) -> None:
    """Keys are never dropped and revocations never move; a new revocation cannot reach back before now.

    Statements a key already signed stay valid: revoking it "after statement N"
    needs N to be at least the owner's last sequence number.
    """
    now = {k.kid: k for k in keys}
    last = records.last_seq(owner)
    for old in (KeyRecord.from_dict(k) for k in previous["keys"]):
        new = now.get(old.kid)
        if new is None:
            raise Forbidden(f"key {old.kid} cannot be dropped: what it signed must stay verifiable; revoke it instead")
        if old.revoked_after is not None and new.revoked_after != old.revoked_after:
            raise Forbidden(f"key {old.kid} was revoked after statement {old.revoked_after}; that cannot be undone or moved")
        if old.revoked_after is None and new.revoked_after is not None and new.revoked_after < last:
            raise Forbidden(f"key {old.kid} already signed statement {last} of {owner!r}; revoke it after {last} or later")


def key_owner_path(kid: str) -> str:
    """Return where the author a key belongs to is recorded (one file per key: an O(1) uniqueness check)."""
    return f"{KEY_OWNERS}/{kid[:2]}/{kid}.json"


def claim_keys(records: Records, owner: str, keys: list[KeyRecord]) -> dict[str, bytes | None]:
    """Refuse a key another author registered; return the files that record these keys as the owner's."""
    changes: dict[str, bytes | None] = {}
    for key in keys:
        path = key_owner_path(key.kid)
        recorded = records.read(path)
        if recorded is None:
            changes[path] = canonical.encode({"owner": owner})
        elif canonical.decode(recorded)["owner"] != owner:
            raise Conflict(f"key {key.kid} is already registered to {canonical.decode(recorded)['owner']!r}")
    return changes
