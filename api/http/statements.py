"""Writes: signed statements posted as their exact canonical bytes, and read back the same way.

`POST /api/v1/statements` takes any kind; the kind-specific routes of the other
blueprints check the type (and what the URL names) first and then do the same.
The node verifies everything else (signature, origin, sequence number, the
kind's rules) and stores the statement in one commit or refuses it whole. The
same statement posted again is answered with where it already lives (200).
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from api.http.service import per_head, service
from coop import canonical, statements
from coop.errors import BadInput, CoopError, NotFound
from coop.index import find_statement
from coop.node import Receipt
from coop.store import check_path

bp = Blueprint("statements", __name__)
MEDIA_TYPE = "application/json"
MAX_BATCH = 16


def posted_bytes() -> bytes:
    """Return the request body: a statement envelope in canonical JSON."""
    if request.mimetype != MEDIA_TYPE:
        raise UnsupportedMediaType(f"post a statement as {MEDIA_TYPE}: the canonical bytes of its envelope")
    return request.get_data(cache=False)


def statement_url(path: str) -> str:
    """Return where a stored statement can be read back."""
    return f"/api/v1/statements/{path}"


def accept(types: Collection[str], **must: Any) -> Response:
    """Submit the posted statement if its type is one of `types` and its fields match the URL."""
    raw = posted_bytes()
    body, _ = statements.parse(raw)
    if body["type"] not in types:
        raise BadInput(f"this endpoint takes {', '.join(sorted(types))} statements, not {body['type']}")
    for name, value in must.items():
        if body.get(name) != value:
            raise BadInput(f"the statement's {name} is {body.get(name)!r}, but the URL names {value!r}")
    return submitted(raw, body)


def submitted(raw: bytes, body: dict[str, Any]) -> Response:
    """Submit a statement and answer 201 with where it lives, or 200 if it was already stored."""
    receipt = service().submit([raw])[0]
    response = jsonify(receipt_json(receipt, body))
    response.status_code = 201 if receipt.created else 200
    response.headers["Location"] = statement_url(receipt.path)
    return response


def receipt_json(receipt: Receipt, body: dict[str, Any]) -> dict[str, Any]:
    """Return what the API says about a stored statement."""
    commit = receipt.commit if receipt.created else first_commit(receipt)
    return {"path": receipt.path, "commit": commit, "sha256": receipt.sha256, "created": receipt.created,
            "type": body["type"], "author": body["author"], "seq": body["seq"], "location": statement_url(receipt.path)}


def first_commit(receipt: Receipt) -> str:
    """Return the commit that stored an already stored statement (from the index), else the head."""
    stored = service().query(lambda: find_statement(receipt.path))
    return stored.commit if stored is not None and stored.sha256 == receipt.sha256 else receipt.commit


@bp.post("/api/v1/statements")
def post_statement() -> Response:
    """Store any kind of signed statement."""
    raw = posted_bytes()
    return submitted(raw, statements.parse(raw)[0])


@bp.post("/api/v1/statements/batch")
def post_batch() -> Response:
    """Store several statements in one commit, or none of them."""
    raws = posted_batch()
    return batch_answer(raws, service().submit(raws))


def posted_batch() -> list[bytes]:
    """Return the statements of the posted batch: a canonical JSON array of envelopes."""
    value = canonical.decode(posted_bytes())
    if not isinstance(value, list) or not 0 < len(value) <= MAX_BATCH:
        raise BadInput(f"a batch is a JSON array of 1 to {MAX_BATCH} statement envelopes")
    # The array is canonical, so each element re-encodes to exactly the bytes that were sent.
    return [canonical.encode(item) for item in value]


def batch_answer(raws: list[bytes], receipts: list[Receipt]) -> Response:
    """Answer a stored batch: 201 with each statement's receipt, or 200 if every one was already stored."""
    bodies = [statements.parse(r)[0] for r in raws]
    response = jsonify({"items": [receipt_json(r, b) for r, b in zip(receipts, bodies, strict=False)]})
    response.status_code = 201 if any(r.created for r in receipts) else 200
    return response


@bp.get("/api/v1/statements/<path:path>.json")
@per_head
def get_statement(path: str) -> Response:
    """Return a stored statement's exact bytes, to verify them."""
    check_path(f"{path}.json")
    raw = service().view().read(f"{path}.json")
    if raw is None:
        raise NotFound(f"no statement at {path}.json")
    try:
        statements.parse(raw)
    except CoopError:
        raise NotFound(f"{path}.json is not a statement") from None
    return Response(raw, mimetype=MEDIA_TYPE)
