"""Proposals and votes: lists from the index, each proposal with its sanitised HTML and live tally."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.http import params
from api.http.service import per_head, service
from api.http.statements import accept
from api.usecases.governance import outcome_to_sign, proposal_status
from coop.errors import NotFound
from coop.ids import check_id
from governance import proposals as P
from governance.index import ProposalSummary, find_proposals, find_votes
from governance.methods import Method
from governance.render import to_html

bp = Blueprint("governance", __name__)
STATES = ("draft", "open", "closed")


def proposal_row(row: ProposalSummary) -> dict[str, Any]:
    """Return the API form of an indexed proposal."""
    return {"id": row.proposal_id, "title": row.title, "author": row.author, "effect": row.effect, "method": row.method,
            "opens": row.opens, "closes": row.closes, "state": row.state, "result": row.result,
            "applied": row.applied, "votes": row.votes}


@bp.get("/api/v1/governance")
@per_head
def governance_now() -> Response:
    """Return what a proposal opening now must carry (eligible voters, rules), with the methods and effects known."""
    svc = service()
    view = svc.view()
    governance: P.Governance = svc.node.registry.area("governance").service
    return jsonify({"eligible": P.eligible_voters(view), "rules": P.decision_rules(view), "methods": [m.value for m in Method],
                    "effects": ["general", *sorted(governance.effects)]})


@bp.get("/api/v1/proposals")
@per_head
def list_proposals() -> Response:
    """List proposals by id, optionally by state, author or effect."""
    state, author, effect = params.choice("state", STATES), params.optional_id("author"), params.optional_id("effect")
    size, after = params.limit(), params.after(str)

    found = service().query(lambda: find_proposals(state, author, effect, after, limit=size + 1))
    return params.page(found, size, lambda r: r.proposal_id, proposal_row)


@bp.get("/api/v1/proposals/<proposal_id>")
@per_head
def get_proposal(proposal_id: str) -> Response:
    """Return a proposal with its text as safe HTML, its state and its tally as of now."""
    status = proposal_status(service().view(), proposal_id)
    outcome = status.outcome
    fields = {k: v for k, v in status.body.items() if k not in ("type", "coop", "seq", "body_sha256")}
    return jsonify({
        **fields, "sha256": status.sha256, "html": to_html(status.body["text"]), "state": status.state, "tally": status.tally,
        "votes": status.votes,
        "outcome": None if outcome is None else {"closed": outcome["created"], "closed_by": outcome["author"], "applied": outcome["applied"],
                                                 "result": outcome["tally"]["outcome"],
                                                 "not_applied_because": outcome.get("not_applied_because")},
    })


@bp.get("/api/v1/proposals/<proposal_id>/votes")
@per_head
def list_votes(proposal_id: str) -> Response:
    """List the current vote of each member on a proposal."""
    check_id(proposal_id, "proposal id")
    size, after = params.limit(), params.after(str)
    if service().view().read(P.proposal_path(proposal_id)) is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    found = service().query(lambda: find_votes(proposal_id, after, limit=size + 1))
    return params.page(found, size, lambda r: r.voter, lambda r: {"voter": r.voter, "choice": r.choice, "created": r.created})


@bp.get("/api/v1/proposals/<proposal_id>/outcome")
def get_outcome(proposal_id: str) -> Response:
    """Return a closed proposal's outcome, or the outcome fields anyone may sign to close it now."""
    svc = service()
    closing = outcome_to_sign(svc.node, svc.view(), proposal_id, svc.node.clock())
    return jsonify({"closed": closing.closed, "fields": closing.fields})


@bp.post("/api/v1/proposals")
def post_proposal() -> Response:
    """Make a proposal, amend a draft or open it."""
    return accept({P.PROPOSAL_TYPE})


@bp.post("/api/v1/proposals/<proposal_id>/votes")
def post_vote(proposal_id: str) -> Response:
    """Vote on a proposal."""
    return accept({P.VOTE_TYPE}, proposal=check_id(proposal_id, "proposal id"))


@bp.post("/api/v1/proposals/<proposal_id>/outcome")
def post_outcome(proposal_id: str) -> Response:
    """Close a proposal whose window has ended, with the outcome its votes give."""
    return accept({P.OUTCOME_TYPE}, proposal=check_id(proposal_id, "proposal id"))
