"""Where the ledger keeps its records in the repository, and reading them through a view.

Each entry is a signed statement stored once as a file (`ledger/entries/..`, so
an entry id can be used only once) and once as a leaf of the log; `log.json`
names the log key and its keeper; the charter names the split policy in force.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from coop import canonical, statements
from coop.charter import rules
from coop.errors import NotFound
from coop.ids import sharded
from coop.view import View
from ledger import keepers, log, merkle
from ledger.keepers import LOG_PATH
from ledger.note import Verifier
from ledger.splits import SplitPolicy

LOG_TYPE = "coop.log/v1"
ENTRY_DIR = "ledger/entries/"


def entry_path(entry_id: str) -> str:
    """Return where an entry's statement file lives."""
    return sharded(ENTRY_DIR.rstrip("/"), entry_id, "entry id") + ".json"


def leaf_hash_hex(raw: bytes) -> str:
    """Return the hex RFC 6962 leaf hash of an entry."""
    return merkle.leaf_hash(raw).hex()


def policy_sha256(policy: Mapping[str, Any]) -> str:
    """Return the content hash that names a split policy."""
    return hashlib.sha256(canonical.encode(dict(policy))).hexdigest()


def policy_in_force(view: View) -> tuple[SplitPolicy, str]:
    """Return the split policy the charter names now, with its hash."""
    record = rules(view)["split_policy"]
    return SplitPolicy.from_dict(record), policy_sha256(record)


def log_record(view: View) -> Mapping[str, Any] | None:
    """Return the record naming the log key and its keeper, or None before the ledger exists."""
    return view.body(LOG_PATH)


def verifier(view: View) -> Verifier:
    """Return the log key in force now (the founder's log.json, or the last keeper a proposal named)."""
    if log_record(view) is None:
        raise NotFound("this co-op has no ledger yet (no log.json)")
    view.verified(LOG_PATH)  # its record's signature checked
    return keepers.current(view).verifier


def staged_entries(view: View) -> list[bytes]:
    """Return entries staged in the view but not yet in the log, in the order they were staged.

    Every staged entry file is new: the entry check refuses an id whose file exists.
    """
    return [raw for path, raw in view.pending.items() if path.startswith(ENTRY_DIR) and raw is not None]


def entry_files(view: View) -> dict[str, str]:
    """Return every entry file's path and git blob id, reading each shard directory once."""
    files: dict[str, str] = {}
    for shard in view.list(ENTRY_DIR.rstrip("/")):
        directory = f"{ENTRY_DIR}{shard}"
        files.update({f"{directory}/{name}": oid for name, oid in view.blob_ids(directory).items()})
    return files


def entry_bodies(view: View) -> Iterable[tuple[int, Mapping[str, Any], bytes]]:
    """Yield (index, body, raw) of every entry in the log, in order."""
    for index, raw in log.entries(view):
        yield index, statements.stored_body(raw), raw
