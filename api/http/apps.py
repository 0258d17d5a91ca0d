"""Allied apps: their records (keys, scopes, subscription) and the log of webhook deliveries to them."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from api.webhooks import STATUSES
from coop import apps
from coop.errors import NotFound
from coop.ids import check_id

bp = Blueprint("apps", __name__)


def app_json(record: Any) -> dict[str, Any]:
    """Return the API form of an app record."""
    return {"id": record["id"], "name": record["name"], "owner": record["owner"], "keys": record["keys"], "scopes": record["scopes"],
            "webhook": record["webhook"], "events": record["events"], "updated": record["created"]}


@bp.get("/api/v1/apps")
@per_head
def list_apps() -> Response:
    """List the allied apps by id."""
    size, after = params.limit(), params.after(str)
    view = service().view()
    names = [n[:-5] for n in view.list(apps.APP_DIR) if n.endswith(".json") and (after is None or n[:-5] > after)]
    records = [r for name in names[:size + 1] if (r := apps.app(view, name)) is not None]
    return params.page(records, size, lambda r: r["id"], app_json)


@bp.get("/api/v1/apps/<app_id>")
@per_head
def get_app(app_id: str) -> Response:
    """Return an app's record."""
    record = apps.app(service().view(), check_id(app_id, "app id"))
    if record is None:
        raise NotFound(f"no app {app_id!r}")
    return jsonify(app_json(record))


@bp.post("/api/v1/apps")
def post_app() -> Response:
    """Register an app (a member), or change its keys, scopes or subscription (its owner, or the app itself)."""
    return accept({apps.APP_TYPE})


@bp.get("/api/v1/apps/<app_id>/deliveries")
def list_deliveries(app_id: str) -> Response:
    """List the webhook deliveries to an app in the order of the record, with their status and attempts."""
    check_id(app_id, "app id")
    status = params.choice("status", STATUSES)
    size, after = params.limit(), params.after(int)
    svc = service()
    if apps.app(svc.view(), app_id) is None:
        raise NotFound(f"no app {app_id!r}")
    rows = svc.outbox.deliveries(app_id, status, after, size + 1)
    return params.page(rows, size, lambda d: d.seq, lambda d: d.to_dict())
