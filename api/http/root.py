"""The API's front door: what this co-op and node are, the OpenAPI document, and the home page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template_string

from api.http.members import member_json
from api.http.service import per_head, service
from api.openapi import document
from coop import authors
from coop.index import find_members

bp = Blueprint("root", __name__)

HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ name }} · Coop</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
code{background:#f4f4f4;padding:0 .3rem}</style></head>
<body><nav><a href="/proposals">proposals</a> · <a href="/projects">projects</a> · <a href="/books">the books</a> · <a href="/api/v1">API</a></nav>
<h1>{{ name }}</h1>
<p>A co-op whose decisions and money are signed, versioned records. Log origin: <code>{{ origin }}</code>.</p>
<h2>Members</h2>
<table><tr><th>Handle</th><th>Roles</th><th>Skills</th></tr>
{% for m in members %}<tr><td>{{ m.handle }}</td><td>{{ m.roles|join(', ') }}</td><td>{{ m.skills|join(', ') }}</td></tr>{% endfor %}
</table>
<p>API: <a href="/api/v1">/api/v1</a>, described by <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>
</body></html>"""


@bp.get("/")
@per_head
def home() -> Response:
    """Show the co-op's name and members to a person."""
    svc = service()
    charter = svc.view().charter()
    members = [member_json(m) for m in svc.query(find_members)]
    return Response(render_template_string(HOME_PAGE, name=charter["name"], origin=charter["origin"], members=members),
                    mimetype="text/html")


@bp.get("/api/v1")
@per_head
def index() -> Response:
    """Say which co-op and node this is, with the node key that signs commits and webhooks."""
    svc = service()
    view = svc.view()
    charter = view.charter()
    # A keyless clone has no node name and no node record: it says so instead of naming one.
    record: Any = (authors.node(view, svc.node.name) or {}) if svc.node.name else None
    node = {"name": svc.node.name, "keys": record.get("keys", [])} if record is not None else None
    return jsonify({"name": charter["name"], "origin": charter["origin"], "node": node,
                    "head": svc.head(), "openapi": "/api/v1/openapi.json"})


@bp.get("/api/v1/openapi.json")
@per_head
def openapi() -> Response:
    """Return the OpenAPI 3 document of this API."""
    return jsonify(document())
