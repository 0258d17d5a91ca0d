"""The whole-log audit: re-derive the ledger from its entries alone and report every problem found.

Signatures and each entry's own fields are checked in bulk; then the entries
are walked in log order through the same order-dependent rules a new entry
passes (ledger.acceptance), against the entries checked before it; the tiles
and the checkpoint's root must be what the entries hash to, and every entry
file must be in the log.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pygit2

from coop import authors, parallel_verify, statements
from coop.errors import CoopError, IntegrityError
from coop.view import View
from ledger import entries as E
from ledger import keepers, log, merkle, tiles
from ledger.acceptance import Authorise, check_in_order, check_split_reference, check_unused
from ledger.balances import Running
from ledger.keepers import LOG_PATH
from ledger.records import entry_files, entry_path, log_record


def verify_ledger(view: View, authorise: Authorise | None = None, progress: Callable[[int], None] | None = None) -> list[str]:
    """Re-check the whole ledger from the repository; return every problem found (spending too, given `authorise`)."""
    if log_record(view) is None:
        return [] if view.read(log.CHECKPOINT) is None else ["ledger files exist but log.json does not"]
    data = view.read(log.CHECKPOINT)
    if data is None:
        return [f"entry file {p} is not in the log" for p in entry_files(view)]
    try:
        view.verified(LOG_PATH)
        verified = keepers.verify(view, data)
    except IntegrityError as e:
        return [f"{LOG_PATH}: {e}"]
    except CoopError as e:
        return [f"ledger/checkpoint: {e}"]
    problems: list[str] = []
    try:
        stored = [raw for _, raw in log.entries(view, 0, verified.checkpoint.size)]
    except CoopError as e:
        return [f"ledger bundles: {e}"]
    checking = parallel_verify.verify_many(stored, view.origin, key_table(view), progress, extra=E.check_entry)
    leaves = [merkle.leaf_hash(raw) for raw in stored]
    files = entry_files(view)
    earlier = Running(stored)
    found: dict[int, str] = {}
    for index, raw in enumerate(stored):
        earlier.index = index
        try:
            _check_in_log(view, raw, statements.stored_body(raw), files, earlier, authorise)
        except (CoopError, KeyError, TypeError, ValueError) as e:
            found[index] = str(e)
    for index, error in enumerate(checking.errors()):
        if error is not None or index in found:
            problems.append(f"ledger entry {index}: {error if error is not None else found[index]}")
    problems += _compare_tiles(view, leaves)
    if merkle.root(leaves) != verified.checkpoint.root:
        problems.append("ledger: the entries do not hash to the checkpoint's root")
    stray = set(files) - {entry_path(i) for i in earlier.ids}
    problems += [f"entry file {p} is not in the log" for p in sorted(stray)]
    return problems


def key_table(view: View) -> dict[str, list[Any]]:
    """Return every author's keys, for checking signatures away from the repository."""
    return {name: list(view.keys(name)) for name in authors.taken_names(view)}


def _check_in_log(view: View, raw: bytes, body: Mapping[str, Any], files: Mapping[str, str], earlier: Running,
                  authorise: Authorise | None) -> None:
    """Check what depends on order for one logged entry (its signature and fields are checked in bulk), then take it.

    Who may move a member's money depends on the charter when the entry was made
    (treasurers), so that is checked where each commit is replayed on its parent
    (coop.audit runs the same kind check as acceptance), not here on today's view.
    """
    postings = [(p["account"], p["amount"], p["currency"]) for p in body["postings"]]
    check_unused(body, earlier)
    earlier.ids.add(body["id"])
    if files.get(entry_path(body["id"])) != str(pygit2.hash(raw)):
        raise IntegrityError(f"entry file for {body['id']} differs from the log's entry")
    if body["type"] == E.SPLIT:
        check_split_reference(body, earlier, view)
    check_in_order(view, body, postings, earlier, authorise)
    earlier.take(body, postings)


def _compare_tiles(view: View, leaves: list[bytes]) -> list[str]:
    def no_old_tiles(path: str) -> bytes:
        raise RuntimeError(f"rebuilding tiles from size 0 should read no tile, asked for {path}")

    expected = tiles.tile_updates(0, leaves, no_old_tiles)
    return [f"{log.PREFIX}{path}: does not match the entries" for path, data in sorted(expected.items())
            if view.read(log.PREFIX + path) != data]
