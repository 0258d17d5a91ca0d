"""The HTTP face: a Flask application factory serving the API and the public pages."""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string
from werkzeug.exceptions import HTTPException

from coop.errors import CoopError, NotFound
from coop.ids import normalise_handle
from coop.index import MemberRow
from coop.node import Node

HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ name }} · Coop</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
code{background:#f4f4f4;padding:0 .3rem}</style></head>
<body><h1>{{ name }}</h1>
<p>A co-op whose decisions and money are signed, versioned records. Log origin: <code>{{ origin }}</code>.</p>
<h2>Members</h2>
<table><tr><th>Handle</th><th>Roles</th><th>Skills</th></tr>
{% for m in members %}<tr><td>{{ m.handle }}</td><td>{{ m.roles|join(', ') }}</td><td>{{ m.skills|join(', ') }}</td></tr>{% endfor %}
</table>
<p>API: <a href="/api/v1/members">/api/v1/members</a></p>
</body></html>"""


def member_json(row: dict[str, Any]) -> dict[str, Any]:
    """Return the API form of an indexed member row."""
    return {"handle": row["handle"], "roles": row["roles"].split(","), "skills": [s for s in row["skills"].split(",") if s], "joined": row["joined"]}


def create_app(node: Node) -> Flask:
    """Build the Flask application for an opened node."""
    app = Flask("coop")
    app.config["MAX_CONTENT_LENGTH"] = node.config["max_body"]

    def members() -> list[dict[str, Any]]:
        node.refresh()
        return node.index.query(lambda: [member_json(r) for r in MemberRow.select().order_by(MemberRow.handle).dicts()])

    @app.get("/")
    def home() -> str:
        charter = node.view().charter()
        return render_template_string(HOME_PAGE, name=charter["name"], origin=charter["origin"], members=members())

    @app.get("/api/v1/members")
    def list_members() -> Any:
        return jsonify({"items": members()})

    @app.get("/api/v1/members/<handle>")
    def get_member(handle: str) -> Any:
        wanted = normalise_handle(handle)
        found = [m for m in members() if m["handle"] == wanted]
        if not found:
            raise NotFound(f"no member {wanted!r}")
        return jsonify(found[0])

    @app.errorhandler(CoopError)
    def coop_error(e: CoopError) -> Any:
        return jsonify({"error": {"code": e.code, "message": e.message}}), e.status

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        return jsonify({"error": {"code": (e.name or "error").lower().replace(" ", "_"), "message": e.description}}), e.code

    return app
