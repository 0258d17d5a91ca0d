"""Members, learners, nodes and authors: who is in the co-op and with which keys."""
from __future__ import annotations

from typing import Any

import peewee
from flask import Blueprint, Response, jsonify

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from coop import authors
from coop.errors import NotFound
from coop.ids import check_id
from coop.index import MemberRow, dicts
from coop.members import MEMBER_TYPE
from coop.roles import ROLES
from projects import learners
from projects.index import LearnerRow

bp = Blueprint("members", __name__)


def member_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return the API form of an indexed member row."""
    return {"handle": row["handle"], "roles": row["roles"].split(","), "skills": [s for s in row["skills"].split(",") if s],
            "joined": row["joined"]}


@bp.get("/api/v1/members")
@per_head
def list_members() -> Response:
    """List members by handle, optionally those with a role or a skill."""
    role, skill = params.choice("role", ROLES), params.optional_id("skill")
    size, after = params.limit(), params.after(str)

    def rows() -> list[dict[str, Any]]:
        query = MemberRow.select()
        if role:
            query = query.where(params.has_word(MemberRow.roles, role))
        if skill:
            query = query.where(params.has_word(MemberRow.skills, skill))
        if after is not None:
            query = query.where(MemberRow.handle > after)
        return list(dicts(query.order_by(MemberRow.handle).limit(size + 1)))

    return params.page(service().query(rows), size, lambda r: r["handle"], member_row)


@bp.get("/api/v1/members/<handle>")
@per_head
def get_member(handle: str) -> Response:
    """Return a member's record: roles in force, skills and public keys."""
    view = service().view()
    record = view.require_member(check_id(handle, "handle"))
    return jsonify({"handle": record["handle"], "roles": sorted(view.roles(handle)), "skills": record["skills"],
                    "keys": record["keys"], "updated": record["created"], "path": authors.member_path(handle)})


@bp.post("/api/v1/members")
def post_member() -> Response:
    """Add or change a member record (members add learners; the founder adds anyone)."""
    return accept({MEMBER_TYPE})


def learner_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return the API form of a learner: member row and profile."""
    return {**member_row(row), "track": row.get("track"), "mentor": row.get("mentor"), "joined_via": row.get("joined_via")}


@bp.get("/api/v1/learners")
@per_head
def list_learners() -> Response:
    """List learners with their track and mentor, optionally by track or mentor."""
    track, mentor = params.choice("track", learners.TRACKS), params.optional_id("mentor")
    size, after = params.limit(), params.after(str)

    def rows() -> list[dict[str, Any]]:
        query = (MemberRow.select(MemberRow, LearnerRow.track, LearnerRow.mentor, LearnerRow.joined_via)
                 .join(LearnerRow, peewee.JOIN.LEFT_OUTER, on=(LearnerRow.handle == MemberRow.handle))
                 .where(MemberRow.roles == "learner"))
        if track:
            query = query.where(LearnerRow.track == track)
        if mentor:
            query = query.where(LearnerRow.mentor == mentor)
        if after is not None:
            query = query.where(MemberRow.handle > after)
        return list(dicts(query.order_by(MemberRow.handle).limit(size + 1)))

    return params.page(service().query(rows), size, lambda r: r["handle"], learner_row)


@bp.get("/api/v1/learners/<handle>")
@per_head
def get_learner(handle: str) -> Response:
    """Return a learner's profile and progress notes."""
    view = service().view()
    check_id(handle, "handle")
    if view.roles(handle) != {"learner"}:
        raise NotFound(f"no learner {handle!r}")
    profile = learners.profile(view, handle) or {}
    directory = f"learners/{handle}/notes"
    notes = [{"id": b["id"], "author": b["author"], "created": b["created"], "note": b["note"]}
             for name in view.list(directory) if (b := view.body(f"{directory}/{name}")) is not None]
    return jsonify({"handle": handle, "skills": view.require_member(handle)["skills"], "track": profile.get("track"),
                    "mentor": profile.get("mentor"), "joined_via": profile.get("joined_via"), "notes": notes})


@bp.post("/api/v1/learners")
def post_learner() -> Response:
    """Record a learner's profile (joining from the chat or an app) or a progress note."""
    return accept({learners.LEARNER_TYPE, learners.NOTE_TYPE})


@bp.get("/api/v1/nodes")
@per_head
def list_nodes() -> Response:
    """List the nodes and the keys that sign their commits and webhooks."""
    view = service().view()
    items = [{"name": b["name"], "keys": b["keys"]} for name in authors.node_names(view) if (b := authors.node(view, name)) is not None]
    return jsonify({"items": items, "next": None})


@bp.get("/api/v1/authors/<handle>/seq")
@per_head
def author_seq(handle: str) -> Response:
    """Return an author's last sequence number and the next one to sign with."""
    view = service().view()
    check_id(handle, "author")
    if not any(True for _ in view.keys(handle)):
        raise NotFound(f"no member, node or app {handle!r}")
    last = view.last_seq(handle)
    return jsonify({"author": handle, "seq": last, "next": last + 1})
