"""Members, invitations, learners, nodes and authors: who is in the co-op, who is invited, and with which keys.

A claim of an invitation is a member record (coop.member/v1 carrying the code),
so it is posted to `/api/v1/members` like any other member record.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from api.usecases import members as usecases
from coop import authors
from coop.errors import NotFound
from coop.ids import check_id
from coop.index import MemberSummary, find_members
from coop.invitations import INVITATION_TYPE
from coop.members import MEMBER_TYPE
from coop.roles import ROLES
from projects import learners
from projects.index import LearnerSummary, find_learners

bp = Blueprint("members", __name__)


def member_json(member: MemberSummary) -> dict[str, Any]:
    """Return the API form of an indexed member."""
    return {"handle": member.handle, "roles": list(member.roles), "skills": list(member.skills), "joined": member.joined}


@bp.get("/api/v1/members")
@per_head
def list_members() -> Response:
    """List members by handle, optionally those with a role or a skill."""
    role, skill = params.choice("role", ROLES), params.optional_id("skill")
    size, after = params.limit(), params.after(str)

    found = service().query(lambda: find_members(role, skill, after, limit=size + 1))
    return params.page(found, size, lambda m: m.handle, member_json)


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
    """Add or change a member record, or claim an invitation with one (members add learners; the founder adds anyone)."""
    return accept({MEMBER_TYPE})


def invitation_json(invitation: usecases.Invitation) -> dict[str, Any]:
    """Return the API form of an invitation: never its code (the node does not know it), nor the code's hash."""
    return {"handle": invitation.handle, "roles": _listed(invitation.roles), "skills": _listed(invitation.skills),
            "expires": invitation.expires, "inviter": invitation.inviter, "move": invitation.move}


def _listed(items: tuple[str, ...] | None) -> list[str] | None:
    return None if items is None else list(items)


# The invitations are not answered per head: one expires with the clock, with no commit.
@bp.get("/api/v1/invitations")
def list_invitations() -> Response:
    """List the pending invitations, by handle."""
    svc = service()
    return jsonify({"items": [invitation_json(i) for i in usecases.pending(svc.view(), svc.node.clock())], "next": None})


@bp.get("/api/v1/invitations/<handle>")
def get_invitation(handle: str) -> Response:
    """Return a handle's invitation and where it stands: pending, claimed, cancelled or expired."""
    svc = service()
    found = usecases.invitation(svc.view(), handle, svc.node.clock())
    return jsonify({**invitation_json(found), "state": found.state})


@bp.post("/api/v1/invitations")
def post_invitation() -> Response:
    """Invite a member-to-be (or a member to move to a key of their own), or cancel an invitation."""
    return accept({INVITATION_TYPE})


def learner_json(learner: LearnerSummary) -> dict[str, Any]:
    """Return the API form of a learner: member listing and profile."""
    return {**member_json(learner.member), "track": learner.track, "mentor": learner.mentor, "joined_via": learner.joined_via}


@bp.get("/api/v1/learners")
@per_head
def list_learners() -> Response:
    """List learners with their track and mentor, optionally by track or mentor."""
    track, mentor = params.choice("track", learners.TRACKS), params.optional_id("mentor")
    size, after = params.limit(), params.after(str)

    found = service().query(lambda: find_learners(track, mentor, after=after, limit=size + 1))
    return params.page(found, size, lambda learner: learner.member.handle, learner_json)


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
