"""The books: ledger entries as statements, appended to the Merkle log, verified whole.

Each entry is a signed statement stored once as a file (`ledger/entries/..`, so
an entry id can be used only once) and once as a leaf of the log. The log's
tiles and checkpoint are written by the node that keeps the log, in the same
commit, and `verify_ledger` re-derives all of it from the entries alone.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pygit2

from coop import authors, bulk, canonical, statements
from coop.charter import rules
from coop.errors import BadInput, Conflict, CoopError, Forbidden, IntegrityError, Invalid, NotFound
from coop.ids import check_id, sharded
from coop.kinds import Area, Kind
from coop.statements import Statement
from coop.view import View
from ledger import entries as E
from ledger import keepers, log, merkle, tiles
from ledger.keepers import LOG_PATH
from ledger.note import Verifier
from ledger.splits import SplitPolicy

LOG_TYPE = "coop.log/v1"
ENTRY_DIR = "ledger/entries/"

# Called with the entry and how much earlier entries already spent under the same proposal.
Authorise = Callable[[View, E.Authorisation, Mapping[str, Any], int], None]
SplitCheck = Callable[[View, Mapping[str, Any], Mapping[str, Any]], None]


def entry_path(entry_id: str) -> str:
    """Return where an entry's statement file lives."""
    return sharded(ENTRY_DIR.rstrip("/"), entry_id, "entry id") + ".json"


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


def refuse_spending(view: View, authorisation: E.Authorisation, body: Mapping[str, Any], spent: int) -> None:
    """Refuse all spending from common money: the default until governance can authorise it."""
    raise Forbidden("no proposal process is configured to authorise spending from the treasury")


@dataclass(frozen=True)
class Hooks:
    """What the ledger needs from the node and from the areas above it."""

    signer: Callable[[View], log.LogSigner]
    authorise: Authorise = refuse_spending
    check_split: SplitCheck | None = None
    check_revenue: Callable[[View, Mapping[str, Any]], None] | None = None


def leaf_hash_hex(raw: bytes) -> str:
    """Return the hex RFC 6962 leaf hash of an entry."""
    return merkle.leaf_hash(raw).hex()


def check_split_reference(body: Mapping[str, Any], revenue_raw: bytes, view: View) -> Mapping[str, Any]:
    """Check a split names the revenue entry exactly and uses the policy it names; return the revenue body."""
    ref = body.get("revenue")
    if not isinstance(ref, Mapping) or set(ref) != {"index", "leaf_hash", "id"}:
        raise BadInput("a split names its revenue as {index, leaf_hash, id}")
    if body["id"] != f"split-{ref['index']}":
        raise Invalid(f"the split of revenue {ref['index']} must have id split-{ref['index']}")
    if leaf_hash_hex(revenue_raw) != ref["leaf_hash"]:
        raise Invalid(f"entry {ref['index']} does not have leaf hash {ref['leaf_hash']}")
    revenue = statements.stored_body(revenue_raw)
    if revenue["type"] != E.REVENUE or revenue["id"] != ref["id"]:
        raise Invalid(f"entry {ref['index']} is not the revenue {ref['id']}")
    for field in ("client", "project", "amount", "currency"):
        if revenue.get(field) != body.get(field):
            raise Invalid(f"the split's {field} differs from the revenue's")
    if policy_sha256(body["policy"]) != body.get("policy_sha256"):
        raise Invalid("the split's policy does not match its policy_sha256")
    return revenue


def bodies_now(view: View) -> list[Mapping[str, Any]]:
    """Return the body of every entry in the log and every entry staged in the view, in order."""
    raws = [raw for _, raw in log.entries(view)] + staged_entries(view)
    return [json.loads(raw)["body"] for raw in raws]  # entries were checked on the way in


def balances_of(bodies: Iterable[Mapping[str, Any]]) -> E.Balances:
    """Return the balances after applying entries in order."""
    totals: E.Balances = {}
    for body in bodies:
        E.apply(totals, body)
    return totals


def balances_now(view: View) -> E.Balances:
    """Return balances after every entry in the log and every entry staged in the view."""
    return balances_of(bodies_now(view))


def entry_including_staged(view: View, index: object) -> bytes:
    """Return the entry at an index, counting entries staged in this commit after the log's end.

    This lets a milestone's revenue and its split land in one commit.
    """
    size = log.size(view)
    staged = staged_entries(view)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size + len(staged):
        raise NotFound(f"no entry at index {index}")
    return log.entry_at(view, index) if index < size else staged[index - size]


def staged_entries(view: View) -> list[bytes]:
    """Return entries staged in the view but not yet in the log, in the order they were staged.

    Every staged entry file is new: the entry check refuses an id whose file exists.
    """
    return [raw for path, raw in view.pending.items() if path.startswith(ENTRY_DIR) and raw is not None]


def make_kind_check(hooks: Hooks) -> Callable[[Statement, View], dict[str, bytes | None]]:
    """Return the check every ledger entry passes when it is accepted (or replayed)."""

    def check(statement: Statement, view: View) -> dict[str, bytes | None]:
        body = statement.body
        if "member" not in view.roles(statement.author):
            raise Forbidden(f"{statement.author!r} is not a member: only members record money")
        if log_record(view) is None:
            raise Forbidden("this co-op has no ledger yet")
        if view.read(entry_path(body.get("id", ""))) is not None:
            raise Conflict(f"entry id {body['id']!r} is already used")
        postings = E.check_entry(body)
        for handle in E.members_named(body, postings):
            if not view.roles(handle):
                raise NotFound(f"no such member {handle!r}")
        E.check_owner_moves(body, rules(view)["treasurers"])
        if body["type"] == E.REVENUE and hooks.check_revenue is not None:
            hooks.check_revenue(view, body)
        if body["type"] == E.SPLIT:
            index = body["revenue"]["index"] if isinstance(body.get("revenue"), Mapping) else -1
            revenue = check_split_reference(body, entry_including_staged(view, index), view)
            policy, sha = policy_in_force(view)
            if body["policy_sha256"] != sha:
                raise Invalid(f"the split uses policy {body['policy_sha256'][:12]}, but the policy in force is {sha[:12]}")
            if hooks.check_split is not None:
                hooks.check_split(view, revenue, body)
        needs_history = body["type"] == E.ASSERT or E.takes_money_out(postings)  # spending implies taking money out
        earlier = bodies_now(view) if needs_history else []
        if needs_history:
            E.apply_within_means(balances_of(earlier), body, postings)
        if E.money_leaving_common(postings):
            authorisation = E.Authorisation.from_dict(body["authorised_by"])
            hooks.authorise(view, authorisation, body, E.spent_under(earlier, authorisation.proposal, body["currency"]))
        return {}

    return check


def make_finish(hooks: Hooks) -> Callable[[View], dict[str, bytes | None]]:
    """Return the once-per-commit step that appends staged entries to the log."""

    def finish(view: View) -> dict[str, bytes | None]:
        new = staged_entries(view)
        if not new:
            return {}
        return log.append_changes(view, new, hooks.signer(view))

    return finish


def make_landed(hooks: Hooks) -> Callable[[View], None]:
    """Return the after-commit step: the keeper's signer remembers what it just published."""

    def landed(view: View) -> None:
        if view.read(log.CHECKPOINT) is None:
            return
        try:
            signer = hooks.signer(view)
        except Forbidden:
            return  # this node does not keep the log
        signer.published(view)

    return landed


def check_log_record(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Let the founder publish the log key once; the keeper changes later only by proposal."""
    if "founder" not in view.roles(statement.author):
        raise Forbidden("only the founder publishes the log key")
    if view.read(LOG_PATH) is not None:
        raise Forbidden("the log keeper changes only through a passed proposal")
    key = Verifier.from_vkey(statement.body.get("vkey"))
    if key.name != view.origin:
        raise Invalid(f"the log key must be named after the origin {view.origin!r}")
    if authors.node(view, check_id(statement.body.get('keeper'), 'keeper')) is None:
        raise NotFound(f"no node {statement.body.get('keeper')!r} to keep the log")
    return {}


def area(hooks: Hooks) -> Area:
    """Return the ledger's contribution to a node."""
    from ledger import witness  # witness builds on this module
    from ledger.index import LedgerIndexer

    check = make_kind_check(hooks)
    kinds = [Kind(t, lambda s: entry_path(s.body.get("id", "")), check, f"Ledger entry {t}") for t in E.TYPES]
    kinds.append(Kind(LOG_TYPE, lambda s: LOG_PATH, check_log_record, "The log's verifier key and the node that keeps it."))
    kinds.append(Kind(witness.COSIGNATURE_TYPE, lambda s: witness.cosignature_path(s.author), witness.check_cosignature,
                      "A witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature)."))
    checks = (lambda view, progress=None: verify_ledger(view, hooks, progress), lambda view, progress=None: witness.check_witnessed(view))
    return Area("ledger", kinds=kinds, indexers=(LedgerIndexer(),), checks=checks,
                finish=make_finish(hooks), managed=(log.TILE_DIR, log.CHECKPOINT), landed=make_landed(hooks))


def verify_ledger(view: View, hooks: Hooks | None = None, progress: Callable[[int], None] | None = None) -> list[str]:
    """Re-check the whole ledger from the repository; return every problem found."""
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
    totals: E.Balances = {}
    spent: dict[tuple[str, str], int] = {}
    seen: set[str] = set()
    try:
        stored = [raw for _, raw in log.entries(view, 0, verified.checkpoint.size)]
    except CoopError as e:
        return [f"ledger bundles: {e}"]
    checking = bulk.verify_many(stored, view.origin, key_table(view), progress, extra=E.check_entry)
    leaves = [merkle.leaf_hash(raw) for raw in stored]
    files = entry_files(view)
    found: dict[int, str] = {}
    for index, raw in enumerate(stored):
        try:
            _check_entry_rules(view, index, stored, files, statements.stored_body(raw), seen, totals, spent, hooks)
        except (CoopError, KeyError, TypeError, ValueError) as e:
            found[index] = str(e)
    for index, error in enumerate(checking.errors()):
        if error is not None or index in found:
            problems.append(f"ledger entry {index}: {error if error is not None else found[index]}")
    problems += _compare_tiles(view, leaves)
    if merkle.root(leaves) != verified.checkpoint.root:
        problems.append("ledger: the entries do not hash to the checkpoint's root")
    stray = set(files) - {entry_path(i) for i in seen}
    problems += [f"entry file {p} is not in the log" for p in sorted(stray)]
    return problems


def key_table(view: View) -> dict[str, list[Any]]:
    """Return every author's keys, for checking signatures away from the repository."""
    return {name: list(view.keys(name)) for name in authors.taken_names(view)}


def _check_entry_rules(view: View, index: int, stored: Sequence[bytes], files: Mapping[str, str], body: Mapping[str, Any],
                       seen: set[str], totals: E.Balances, spent: dict[tuple[str, str], int], hooks: Hooks | None) -> None:
    """Check what depends on order for entry `index` (its signature and postings are checked in bulk):
    kind, uniqueness, the revenue a split names, authorisation, balances.

    Who may move a member's money depends on the charter when the entry was made
    (treasurers), so that is checked where each commit is replayed on its parent
    (coop.audit runs the same kind check as acceptance), not here on today's view.
    """
    raw = stored[index]
    if body["type"] not in E.TYPES:
        raise Invalid(f"{body['type']} is not a ledger entry type")
    postings = [(p["account"], p["amount"], p["currency"]) for p in body["postings"]]
    if body["id"] in seen:
        raise Conflict(f"entry id {body['id']} appears twice")
    seen.add(body["id"])
    if files.get(entry_path(body["id"])) != str(pygit2.hash(raw)):
        raise IntegrityError(f"entry file for {body['id']} differs from the log's entry")
    if body["type"] == E.SPLIT:
        ref = body["revenue"]
        if not isinstance(ref.get("index"), int) or not 0 <= ref["index"] < index:
            raise Invalid("a split must follow the revenue it splits")
        check_split_reference(body, stored[ref["index"]], view)
    if E.money_leaving_common(postings):
        authorisation = E.Authorisation.from_dict(body["authorised_by"])
        key = (authorisation.proposal, body["currency"])
        if hooks is not None:
            hooks.authorise(view, authorisation, body, spent.get(key, 0))
        spent[key] = spent.get(key, 0) + body["amount"]
    E.apply_within_means(totals, body, postings)


def _compare_tiles(view: View, leaves: list[bytes]) -> list[str]:
    def no_old_tiles(path: str) -> bytes:
        raise RuntimeError(f"rebuilding tiles from size 0 should read no tile, asked for {path}")

    expected = tiles.tile_updates(0, leaves, no_old_tiles)
    return [f"{log.PREFIX}{path}: does not match the entries" for path, data in sorted(expected.items())
            if view.read(log.PREFIX + path) != data]


def entry_files(view: View) -> dict[str, str]:
    """Return every entry file's path and git blob id, reading each shard directory once."""
    files: dict[str, str] = {}
    for shard in view.list(ENTRY_DIR.rstrip("/")):
        directory = f"{ENTRY_DIR}{shard}"
        stored = view.snapshot.blob_ids(directory) if view.snapshot is not None else {}
        files.update({f"{directory}/{name}": oid for name, oid in stored.items()})
    for path, data in view.pending.items():
        if path.startswith(ENTRY_DIR):
            if data is None:
                files.pop(path, None)
            else:
                files[path] = str(pygit2.hash(data))
    return files


def entry_bodies(view: View) -> Iterable[tuple[int, Mapping[str, Any], bytes]]:
    """Yield (index, body, raw) of every entry in the log, in order."""
    for index, raw in log.entries(view):
        yield index, statements.stored_body(raw), raw
