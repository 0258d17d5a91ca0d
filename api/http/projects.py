"""Clients, client requests, projects and milestones: lists from the index, a project in full from the record."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept, batch_answer, posted_batch
from api.usecases.payments import payment_terms, submit_payment
from coop.ids import check_id
from governance.render import to_html
from projects import clients, work
from projects.index import ClientSummary, ProjectSummary, find_applications, find_clients, find_milestones, find_projects

bp = Blueprint("projects", __name__)


def client_json(client: ClientSummary) -> dict[str, Any]:
    """Return the API form of an indexed client."""
    return {"id": client.client_id, "name": client.name, "referrer": client.referrer, "liaison": client.liaison,
            "registered": client.registered}


@bp.get("/api/v1/clients")
@per_head
def list_clients() -> Response:
    """List clients by id, optionally those a member referred."""
    referrer = params.optional_id("referrer")
    size, after = params.limit(), params.after(str)

    found = service().query(lambda: find_clients(referrer, after, limit=size + 1))
    return params.page(found, size, lambda c: c.client_id, client_json)


@bp.get("/api/v1/clients/<client_id>")
@per_head
def get_client(client_id: str) -> Response:
    """Return a client with the member who earns its referral share now."""
    view = service().view()
    body = clients.client(view, check_id(client_id, "client id"))
    return jsonify({"id": body["id"], "name": body["name"], "referrer": clients.referrer(view, client_id), "liaison": body["liaison"],
                    "registered": body["registered"], "author": body["author"]})


@bp.post("/api/v1/clients")
def post_client() -> Response:
    """Register a client (its referrer is the member who posts it) or edit it."""
    return accept({clients.CLIENT_TYPE})


def project_json(project: ProjectSummary) -> dict[str, Any]:
    """Return the API form of an indexed project."""
    return {"id": project.project_id, "client": project.client, "title": project.title, "skills": list(project.skills),
            "budget": {"amount": project.budget, "currency": project.currency}, "deadline": project.deadline,
            "author": project.author, "state": project.state}


def _projects(state: str | None) -> Response:
    client, skill = params.optional_id("client"), params.optional_id("skill")
    size, after = params.limit(), params.after(str)

    found = service().query(lambda: find_projects(state, client, skill, after=after, limit=size + 1))
    return params.page(found, size, lambda p: p.project_id, project_json)


@bp.get("/api/v1/requests")
@per_head
def list_requests() -> Response:
    """List open client requests (projects not yet staffed)."""
    return _projects("requested")


@bp.post("/api/v1/requests")
def post_request() -> Response:
    """Post a client request (a member, or an app with the coop.project/v1 scope)."""
    return accept({work.PROJECT_TYPE})


@bp.get("/api/v1/projects")
@per_head
def list_projects() -> Response:
    """List projects, optionally in one state, for one client or needing one skill."""
    return _projects(params.choice("state", work.STATES))


@bp.get("/api/v1/projects/<project_id>")
@per_head
def get_project(project_id: str) -> Response:
    """Return a project: the request with its text as safe HTML, state, team, milestones and applications."""
    view = service().view()
    body = work.project(view, check_id(project_id, "project id"))
    applications = service().query(lambda: find_applications(project_id))
    return jsonify({
        "id": body["id"], "client": body["client"], "title": body["title"], "text": body["text"], "html": to_html(body["text"]),
        "skills": body["skills"], "budget": body["budget"], "deadline": body["deadline"], "author": body["author"],
        "created": body["created"], "state": work.state(view, project_id), "liaison": work.liaison(view, project_id),
        "team": work.team(view, project_id),
        "milestones": [milestone_json(m) for m in work.milestones(view, project_id)],
        "applications": [{"handle": a.handle, "note": a.note} for a in applications],
    })


def milestone_json(body: Any) -> dict[str, Any]:
    """Return the API form of a milestone."""
    return {"project": body["project"], "milestone": body["milestone"], "title": body["title"], "amount": body["amount"],
            "currency": body["currency"], "status": body["status"]}


@bp.post("/api/v1/projects/<project_id>/applications")
def post_application(project_id: str) -> Response:
    """Apply to a project."""
    return accept({work.APPLICATION_TYPE}, project=check_id(project_id, "project id"))


@bp.post("/api/v1/projects/<project_id>/team")
def post_team(project_id: str) -> Response:
    """Form a project's team (its liaison)."""
    return accept({work.TEAM_TYPE}, project=check_id(project_id, "project id"))


@bp.post("/api/v1/projects/<project_id>/moves")
def post_move(project_id: str) -> Response:
    """Move a project to its next state."""
    return accept({work.MOVE_TYPE}, project=check_id(project_id, "project id"))


@bp.post("/api/v1/projects/<project_id>/milestones")
def post_milestone(project_id: str) -> Response:
    """Plan, deliver or accept a milestone (paying one goes with its revenue: POST .../milestones/ID/payment)."""
    return accept({work.MILESTONE_TYPE}, project=check_id(project_id, "project id"))


@bp.get("/api/v1/projects/<project_id>/milestones/<milestone_id>/payment")
def get_payment(project_id: str, milestone_id: str) -> Response:
    """Return what a payment of the milestone received now must carry, to sign it with the payer's own key."""
    return jsonify(payment_terms(service().view(), project_id, milestone_id, service().node.clock()).to_dict())


@bp.post("/api/v1/projects/<project_id>/milestones/<milestone_id>/payment")
def post_payment(project_id: str, milestone_id: str) -> Response:
    """Pay a milestone: its revenue, split and the milestone marked paid, signed by the payer, in one commit or none."""
    raws = posted_batch()
    return batch_answer(raws, submit_payment(service().submit, raws, project_id, milestone_id))


@bp.get("/api/v1/milestones")
@per_head
def list_milestones() -> Response:
    """List milestones across projects, optionally of one status or project."""
    status, project = params.choice("status", work.MILESTONE_STATUSES), params.optional_id("project")
    size, after = params.limit(), params.after_pair()

    found = service().query(lambda: find_milestones(status, project, after, limit=size + 1))
    return params.page(found, size, lambda m: [m.project, m.milestone], lambda m: milestone_json(asdict(m)))
