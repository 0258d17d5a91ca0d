"""Device links: the short-lived codes that bring a member's next device to one that holds their key.

Nothing here signs or writes the repository: the old device signs the member
record that adds the new key and posts it to /api/v1/members like any record
(api/usecases/device_links.py says why the code holds no power by itself).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.http.service import service
from api.http.statements import posted_bytes
from api.usecases import device_links
from coop import canonical
from coop.errors import BadInput
from coop.ids import check_id

bp = Blueprint("device_links", __name__)


def posted_object(fields: set[str]) -> dict[str, Any]:
    """Return the posted canonical JSON object, which must have exactly these fields, each a string."""
    body = canonical.decode(posted_bytes())
    if not isinstance(body, dict) or set(body) != fields or not all(isinstance(v, str) for v in body.values()):
        raise BadInput(f"the body is a JSON object of the text fields {', '.join(sorted(fields))}")
    return body


@bp.post("/api/v1/device-links")
def start_link() -> Response:
    """Make a code for a member's next device, good for ten minutes."""
    handle = check_id(posted_object({"handle"})["handle"], "handle")
    svc = service()
    started = device_links.start(svc.node.home, svc.view(), handle, svc.node.clock(), request.host_url)
    response = jsonify({"code": started.code, "link": started.link, **started.waiting.to_dict()})
    response.status_code = 201
    return response


@bp.get("/api/v1/device-links/<code>")
def get_link(code: str) -> Response:
    """Say where a code stands: the key a new device left under it, and whether the member record lists it yet."""
    svc = service()
    return jsonify(device_links.find(svc.node.home, svc.view(), code, svc.node.clock()).to_dict())


@bp.post("/api/v1/device-links/<code>")
def offer_key(code: str) -> Response:
    """Leave a new device's public key and label under a code, for the old device to show and add."""
    body = posted_object({"public", "label"})
    svc = service()
    return jsonify(device_links.offer(svc.node.home, svc.view(), code, body["public"], body["label"], svc.node.clock()).to_dict())
