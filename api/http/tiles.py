"""The log as static files (c2sp.org/tlog-tiles): the checkpoint, hash tiles and entry bundles.

They are served exactly as stored in the repository. Tiles never change once
written, so they are cached for a year; the checkpoint moves with every append
and is cached for seconds. A partial tile the log has since replaced by a wider
one is answered with the first W hashes (or entries) of the wider tile, which
is exactly what the partial tile held.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response

from api.http.service import per_head, service
from coop.errors import NotFound
from coop.view import View
from ledger import log, tiles, witness
from ledger.merkle import HASH_SIZE

bp = Blueprint("tiles", __name__)
TILE = re.compile(r"(?P<level>entries|[0-9]|[1-5][0-9]|6[0-3])/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
                  r"(?:\.p/(?P<width>[1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?")
IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_CACHE = "public, max-age=5"
MAX_TILE_PATH = 128


@bp.get("/ledger/checkpoint")
@per_head
def checkpoint() -> Response:
    """Return the log's current signed checkpoint, with the cosignatures witnesses made for its size."""
    view = service().view()
    if view.read(log.CHECKPOINT) is None:
        raise NotFound("the ledger is empty: no checkpoint yet")
    response = Response(witness.cosigned_checkpoint(view), mimetype="text/plain")
    response.headers["Cache-Control"] = CHECKPOINT_CACHE
    return response


@bp.get("/ledger/tile/<path:tile>")
@per_head
def tile(tile: str) -> Response:
    """Return a hash tile or an entry bundle, full or partial."""
    match = TILE.fullmatch(tile) if len(tile) <= MAX_TILE_PATH else None
    if match is None:
        raise NotFound(f"no tile {tile!r}: tiles are tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>]")
    data = read_tile(service().view(), match["level"], match["index"], int(match["width"]) if match["width"] else None)
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def read_tile(view: View, level: str, index: str, width: int | None) -> bytes:
    """Read a tile as stored, or cut a replaced partial tile from a wider one."""
    base = f"{log.TILE_DIR}{level}/{index}"
    data = view.read(base if width is None else f"{base}.p/{width}")
    if data is not None:
        return data
    if width is not None:
        stored = [w for w in (int(n) for n in view.list(f"{base}.p") if n.isdigit()) if w > width]
        for wider in [tiles.TILE_WIDTH, *sorted(stored, reverse=True)]:
            data = view.read(base if wider == tiles.TILE_WIDTH else f"{base}.p/{wider}")
            if data is not None:
                if level != "entries":
                    return data[:width * HASH_SIZE]
                return tiles.encode_bundle(tiles.decode_bundle(data, wider)[:width])
    raise NotFound(f"no tile {level}/{index}{'' if width is None else f'.p/{width}'}")
