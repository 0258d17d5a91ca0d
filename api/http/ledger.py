"""The books over JSON: entries, balances, a report, and proofs a client checks with the verifier key.

The log's own files (checkpoint, tiles, entry bundles) are served as they are
stored by the tiles blueprint; the proofs here are computed from those tiles.
"""
from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from coop import canonical, statements
from coop.errors import BadInput, NotFound
from coop.keys import b64
from coop.store import blob_at
from coop.view import View
from ledger import entries as E
from ledger import keepers, log, records, witness
from ledger.index import Balance, EntrySummary, find_balances, find_entries
from ledger.money import to_decimal
from ledger.note import Checkpoint, Note, TlogProof
from ledger.summary import summarise

bp = Blueprint("ledger", __name__)
FAMILIES = ("assets:", "income:", "fund:", "member:")
PERIOD = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2]))?")
TYPE_NAMES = {t.removeprefix(E.PREFIX).split("/")[0]: t for t in E.TYPES}
PROOF_MEDIA_TYPE = "text/plain"


@bp.get("/api/v1/ledger")
@per_head
def ledger_info() -> Response:
    """Return the log's origin, size, root, signed checkpoint and verifier key."""
    view = service().view()
    term = keepers.current(view) if records.log_record(view) is not None else None
    note = log.stored_checkpoint(view)
    checkpoint = Checkpoint.from_text(note.text) if note is not None else None
    return jsonify({"origin": view.origin, "size": checkpoint.size if checkpoint else 0,
                    "root": b64(checkpoint.root) if checkpoint else None,
                    "checkpoint": note.to_bytes().decode("utf-8") if note is not None else None,
                    "vkey": term.vkey if term else None, "keeper": term.keeper if term else None,
                    "keepers": [t.to_dict() for t in keepers.terms(view)]})


def entry_json(entry: EntrySummary) -> dict[str, Any]:
    """Return the API form of an indexed entry with its postings."""
    return {"index": entry.index, "id": entry.entry_id, "type": entry.type, "author": entry.author, "created": entry.created,
            "client": entry.client, "project": entry.project, "member": entry.member, "amount": entry.amount,
            "currency": entry.currency, "leaf_hash": entry.leaf_hash, "postings": [asdict(p) for p in entry.postings]}


@bp.get("/api/v1/ledger/entries")
@per_head
def list_entries() -> Response:
    """List entries in log order, optionally of one type, member, client or project."""
    kind = params.choice("type", sorted(TYPE_NAMES))
    member, client, project = params.optional_id("member"), params.optional_id("client"), params.optional_id("project")
    size, after = params.limit(), params.after(int)

    found = service().query(lambda: find_entries(TYPE_NAMES.get(kind or ""), member, client, project, after=after, limit=size + 1))
    return params.page(found, size, lambda e: e.index, entry_json)


@bp.get("/api/v1/ledger/entries/<int:index>")
@per_head
def get_entry(index: int) -> Response:
    """Return one entry as signed, with its leaf hash and where its statement file is."""
    svc = service()
    raw = svc.proofs.entry(svc.view(), index)
    body = statements.parse(raw)[0]
    return jsonify({"index": index, "leaf_hash": records.leaf_hash_hex(raw), "path": records.entry_path(body["id"]),
                    "statement": canonical.decode(raw)})


@bp.post("/api/v1/ledger/entries")
def post_entry() -> Response:
    """Record a ledger entry (revenue, split, payout, expense, transfer, balance assertion)."""
    return accept(set(E.TYPES))


@bp.post("/api/v1/ledger/cosignatures")
def post_cosignature() -> Response:
    """Record a witness's cosignature of the current checkpoint (c2sp.org/tlog-cosignature)."""
    return accept({witness.COSIGNATURE_TYPE})


def balance_json(balance: Balance) -> dict[str, Any]:
    """Return a balance: the postings' sum, and what it means to a person (held, or owed)."""
    shown = E.as_read(balance.account, balance.amount)
    return {**asdict(balance), "balance": shown, "decimal": to_decimal(shown, balance.currency)}


@bp.get("/api/v1/ledger/balances")
@per_head
def balances() -> Response:
    """List balances per account and currency, optionally of one account or family (member:, fund:...)."""
    account = _account_filter()
    size, after = params.limit(), params.after_pair()

    found = service().query(lambda: find_balances(account, after, limit=size + 1))
    return params.page(found, size, lambda b: [b.account, b.currency], balance_json)


def _account_filter() -> str | None:
    value = request.args.get("account")
    if value is None or value in FAMILIES:
        return value
    return E.check_account(value)


@bp.get("/api/v1/ledger/report")
@per_head
def report() -> Response:
    """Sum up a year or month (or all time): revenue by client, where splits went, payouts, expenses."""
    period = request.args.get("period")
    if period is not None and not PERIOD.fullmatch(period):
        raise BadInput("period is a year (2026) or a month (2026-11)")

    found = service().query(lambda: find_entries(period=period))
    return jsonify({"period": period, "entries": len(found), "currencies": summarise(found)})


def checkpoint_of_size(view: View, size: int) -> Note:
    """Return the signed checkpoint the log published at a size: the stored one, or one from history."""
    note = log.stored_checkpoint(view)
    if note is not None and Checkpoint.from_text(note.text).size == size:
        return note
    store = service().node.store
    for revision in store.history(log.CHECKPOINT):
        if revision.blob is None:
            continue
        old = Note.from_bytes(blob_at(store.repo, revision.blob))
        if Checkpoint.from_text(old.text).size == size:
            return old
    raise NotFound(f"the log never published a checkpoint of size {size}")


@bp.get("/api/v1/ledger/proof")
@per_head
def proof() -> Response:
    """Return a c2sp.org/tlog-proof receipt: entry `index` in the tree of `size` (default: now), entry included."""
    svc = service()
    view = svc.view()
    current = log.size(view)
    index = params.integer("index", 0)
    size = params.integer("size", 1, default=max(current, 1))
    hashes = svc.proofs.inclusion(view, index, size)
    receipt = TlogProof(index, tuple(hashes), checkpoint_of_size(view, size), extra=svc.proofs.entry(view, index))
    return Response(receipt.to_bytes(), mimetype=PROOF_MEDIA_TYPE)


@bp.get("/api/v1/ledger/consistency")
@per_head
def consistency() -> Response:
    """Return the proof that the tree of size `from` is a prefix of the tree of size `to` (default: now)."""
    svc = service()
    view = svc.view()
    old = params.integer("from", 1)
    new = params.integer("to", 1, default=max(log.size(view), 1))
    return jsonify({"from": old, "to": new, "proof": [b64(h) for h in svc.proofs.consistency(view, old, new)]})
