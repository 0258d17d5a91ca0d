"""Allied apps: their records (keys, scopes, events), and what only the app itself may set or read on this node.

The record is public; the app's webhook URL and its delivery log are not: the
app sets the one and reads the other by requests signed with its own key
(api/webhooks/signature.py), and anyone else is answered 401.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from api.webhooks import signature
from api.webhooks.delivery import STATUSES
from coop import apps, authors, canonical
from coop.errors import BadInput, NotFound
from coop.ids import check_id
from coop.statements import KeyRecord

bp = Blueprint("apps", __name__)


def app_json(record: Any) -> dict[str, Any]:
    """Return the API form of an app record (never a webhook URL an older record may name)."""
    return {"id": record["id"], "name": record["name"], "owner": record["owner"], "keys": record["keys"], "scopes": record["scopes"],
            "events": record["events"], "updated": record["created"]}


def signed_by_app(app_id: str) -> tuple[Mapping[str, Any], int]:
    """Return the app's record and the time of the request, if the request is signed by one of the app's current keys."""
    svc = service()
    view = svc.view()
    record = authors.app(view, check_id(app_id, "app id"))
    if record is None:
        raise NotFound(f"no app {app_id!r}")
    keys = [key.public for key in map(KeyRecord.from_dict, record["keys"]) if key.revoked_after is None]
    target = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    signed_at = signature.verify_request(request.headers.get(signature.REQUEST_HEADER), view.origin, svc.node.name, request.method,
                                       target, request.get_data(cache=True), keys, f"app {app_id!r}", svc.nonces)
    return record, signed_at


@bp.get("/api/v1/apps")
@per_head
def list_apps() -> Response:
    """List the allied apps by id."""
    size, after = params.limit(), params.after(str)
    view = service().view()
    names = [n for n in authors.app_ids(view) if after is None or n > after]
    records = [r for name in names[:size + 1] if (r := authors.app(view, name)) is not None]
    return params.page(records, size, lambda r: r["id"], app_json)


@bp.get("/api/v1/apps/<app_id>")
@per_head
def get_app(app_id: str) -> Response:
    """Return an app's record."""
    record = authors.app(service().view(), check_id(app_id, "app id"))
    if record is None:
        raise NotFound(f"no app {app_id!r}")
    return jsonify(app_json(record))


@bp.post("/api/v1/apps")
def post_app() -> Response:
    """Register an app (a member), or change its keys, scopes or events (its owner, or the app itself)."""
    return accept({apps.APP_TYPE})


@bp.put("/api/v1/apps/<app_id>/webhook")
def put_webhook(app_id: str) -> Response:
    """Set or clear where this node delivers the app's webhooks, by a request the app signed; the URL is never shown."""
    _, signed_at = signed_by_app(app_id)
    body = canonical.decode(request.get_data(cache=True))
    if not isinstance(body, dict) or set(body) != {"url"}:
        raise BadInput('the body is {"url": "https://..."} or {"url": null}')
    url = apps.check_webhook(body["url"])
    service().outbox.urls.set(app_id, url, signed_at)
    return jsonify({"app": app_id, "webhook": url is not None})


@bp.get("/api/v1/apps/<app_id>/deliveries")
def list_deliveries(app_id: str) -> Response:
    """List the webhook deliveries to an app in the order of the record, to the app alone (a signed request)."""
    signed_by_app(app_id)
    status = params.choice("status", STATUSES)
    size, after = params.limit(), params.after(int)
    rows = service().outbox.deliveries(app_id, status, after, size + 1)
    return params.page(rows, size, lambda d: d.seq, lambda d: d.to_dict())
