"""The node's witness (c2sp.org/tlog-witness): `POST /witness/add-checkpoint`.

The node witnesses its co-op's log with the witness key of its configured
identity (`coop ledger witness-key` prints it); the log's key comes from the
repository. The spec's answers are plain text: cosignature lines on success,
the remembered size on 409 (`text/x.tlog.size`), the usual JSON error otherwise.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from api import keeper_keys
from api.http.service import service
from coop.errors import NotFound, SizeMismatch
from ledger import records
from ledger.tlog_witness import SIZE_MEDIA_TYPE, add_checkpoint

bp = Blueprint("witness", __name__)


@bp.post("/witness/add-checkpoint")
def add() -> Response:
    """Cosign a checkpoint that extends the last one this witness cosigned."""
    node = service().node
    identity = node.config["identity"]
    if not identity:
        raise NotFound("this node witnesses no log: it has no identity (set `identity` in node.toml)")
    witnessing = keeper_keys.witness_for(node, identity)
    view = service().view()
    logs = {view.origin: records.verifier(view)}
    try:
        lines = add_checkpoint(request.get_data(), logs, witnessing.signer, witnessing.memory)
    except SizeMismatch as e:
        return Response(f"{e.size}\n", status=409, content_type=SIZE_MEDIA_TYPE)
    return Response(lines, status=200, content_type="text/plain; charset=utf-8")
