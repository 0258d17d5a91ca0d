"""Client requests and the life of a project: applications, team, states, milestones.

    projects/<shard>/<id>/project.json               the request (signed): client, title, text, skills, budget, deadline
    projects/<shard>/<id>/project.md                 its markdown text
    projects/<shard>/<id>/applications/<h>.json      a member's application with a short note
    projects/<shard>/<id>/team.json                  the team and its shares (by the liaison)
    projects/<shard>/<id>/state.json                 the latest move of the project's state
    projects/<shard>/<id>/milestones/<m>.json        a milestone and its status
    decided/staffing/<id>.json                       a team chosen by a staffing proposal

States: requested -> staffed (when a team is formed) -> in_progress -> delivered
-> paid, and cancelled from any state before delivery. The table MOVES says who may make each move and
what must already be true.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from coop import canonical
from coop.charter import rules as charter_rules
from coop.errors import BadInput, Conflict, Forbidden, Invalid, NotFound
from coop.ids import check_id, sharded
from coop.roles import check_skills
from coop.statements import Statement
from coop.view import View
from ledger.money import check_amount, check_currency
from ledger.records import entry_path
from ledger.splits import WHOLE
from projects.clients import client

PROJECT_TYPE = "coop.project/v1"
APPLICATION_TYPE = "coop.application/v1"
TEAM_TYPE = "coop.team/v1"
MOVE_TYPE = "coop.project-move/v1"
MILESTONE_TYPE = "coop.milestone/v1"
ROOT = "projects"
STATES = ("requested", "staffed", "in_progress", "delivered", "paid", "cancelled")
MILESTONE_STATUSES = ("planned", "delivered", "accepted", "paid")
MAX_TEXT = 32 * 1024
MAX_NOTE = 500


def project_dir(project_id: str) -> str:
    """Return a project's directory."""
    return sharded(ROOT, project_id, "project id")


def project_path(project_id: str) -> str:
    """Return where a project's request lives."""
    return f"{project_dir(project_id)}/project.json"


def application_path(project_id: str, handle: str) -> str:
    """Return where a member's application lives."""
    return f"{project_dir(project_id)}/applications/{check_id(handle, 'handle')}.json"


def team_path(project_id: str) -> str:
    """Return where the team chosen by the liaison lives."""
    return f"{project_dir(project_id)}/team.json"


def staffing_path(project_id: str) -> str:
    """Return where a team chosen by proposal lives."""
    return f"decided/staffing/{check_id(project_id, 'project id')}.json"


def state_path(project_id: str) -> str:
    """Return where the latest state move lives."""
    return f"{project_dir(project_id)}/state.json"


def milestone_path(project_id: str, milestone: str) -> str:
    """Return where a milestone lives."""
    return f"{project_dir(project_id)}/milestones/{check_id(milestone, 'milestone id')}.json"


# -- reading -----------------------------------------------------------------------------

def project(view: View, project_id: str) -> Mapping[str, Any]:
    """Return a project's request body, or raise NotFound."""
    body = view.body(project_path(project_id))
    if body is None:
        raise NotFound(f"no project {project_id!r}")
    return body


def state(view: View, project_id: str) -> str:
    """Return a project's current state."""
    project(view, project_id)
    move = view.body(state_path(project_id))
    if move is not None:
        return cast(str, move["state"])
    return "staffed" if team(view, project_id) else "requested"


def team(view: View, project_id: str) -> dict[str, int]:
    """Return the team's shares in basis points (a staffing decision wins over the liaison's choice)."""
    decided = view.read(staffing_path(project_id))
    if decided is not None:
        return dict(canonical.decode(decided)["shares"])
    body = view.body(team_path(project_id))
    return dict(body["shares"]) if body else {}


def liaison(view: View, project_id: str) -> str | None:
    """Return who talks to the client for this project: the client's liaison, else who posted the request."""
    body = project(view, project_id)
    return client(view, body["client"]).get("liaison") or (body["author"] if "member" in view.roles(body["author"]) else None)


def milestones(view: View, project_id: str) -> list[Mapping[str, Any]]:
    """Return a project's milestones."""
    return list(view.bodies(f"{project_dir(project_id)}/milestones").values())


# -- rules -------------------------------------------------------------------------------

def check_project(statement: Statement, view: View) -> dict[str, bytes | None]:
    """A member (or an app with the scope) posts a client request; the poster may edit it while it is requested."""
    body = statement.body
    project_id = check_id(body.get("id"), "project id")
    client(view, check_id(body.get("client"), "client id"))
    previous = view.body(project_path(project_id))
    if previous is None:
        if "member" not in view.roles(statement.author) and not app_may(view, statement):
            raise Forbidden("only members, or allied apps with the scope, post client requests")
    elif previous["author"] != statement.author or state(view, project_id) != "requested":
        raise Forbidden("only the poster edits a request, and only before it is staffed")
    title, text = body.get("title"), body.get("text")
    if not isinstance(title, str) or not 0 < len(title) <= 200:
        raise BadInput("a request needs a title of 1-200 characters")
    if not isinstance(text, str) or len(text.encode()) > MAX_TEXT:
        raise BadInput(f"a request's description is markdown of at most {MAX_TEXT} bytes")
    check_skills(body.get("skills"))
    budget = body.get("budget")
    if not isinstance(budget, Mapping) or set(budget) != {"amount", "currency"} or check_amount(budget["amount"]) <= 0:
        raise BadInput("a budget is {amount (minor units, more than zero), currency}")
    check_currency(budget["currency"])
    try:
        date.fromisoformat(body.get("deadline"))  # type: ignore[arg-type]  # anything but a date text raises, refused below
    except (TypeError, ValueError) as e:
        raise BadInput("a deadline is a date such as 2027-03-31") from e
    return {f"{project_dir(project_id)}/project.md": text.encode("utf-8")}


def app_may(view: View, statement: Statement) -> bool:
    """Tell whether the author is an allied app whose scopes include this statement type."""
    from coop.apps import app_scopes  # the app record kind is added to the kernel with the API

    return statement.type in app_scopes(view, statement.author)


def check_application(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Members and learners apply to a requested project with a short note."""
    body = statement.body
    project_id = check_id(body.get("project"), "project id")
    if not view.roles(statement.author) & {"member", "learner"}:
        raise Forbidden("only members and learners apply to projects")
    if state(view, project_id) != "requested":
        raise Invalid(f"project {project_id} is {state(view, project_id)}: applications are closed")
    note = body.get("note")
    if not isinstance(note, str) or not 0 < len(note) <= MAX_NOTE:
        raise BadInput(f"an application carries a note of 1-{MAX_NOTE} characters")
    return {}


def check_shares(view: View, project_id: str, shares: object) -> dict[str, int]:
    """Refuse team shares that do not sum to 10,000 or name someone who did not apply."""
    if not isinstance(shares, Mapping) or not shares:
        raise BadInput("a team maps handles to basis points")
    for handle, bp in shares.items():
        check_id(handle, "team member")
        if isinstance(bp, bool) or not isinstance(bp, int) or bp <= 0:
            raise BadInput(f"{handle}'s share must be a positive number of basis points")
        if view.read(application_path(project_id, handle)) is None:
            raise Invalid(f"{handle!r} has not applied to {project_id}")
    total = sum(shares.values())
    if total != WHOLE:
        raise Invalid(f"team shares must sum to {WHOLE} basis points, not {total}")
    return dict(shares)


def check_team(statement: Statement, view: View) -> dict[str, bytes | None]:
    """The liaison forms the team (unless the charter asks for a staffing proposal); the project becomes staffed."""
    project_id = check_id(statement.body.get("project"), "project id")
    if charter_rules(view).get("staffing_needs_proposal"):
        raise Forbidden("this co-op staffs projects by proposal (the charter's staffing_needs_proposal rule)")
    if statement.author != liaison(view, project_id):
        raise Forbidden(f"only the liaison of {project_id} forms its team")
    if state(view, project_id) not in ("requested", "staffed"):
        raise Invalid(f"project {project_id} is {state(view, project_id)}: its team is fixed")
    check_shares(view, project_id, statement.body.get("shares"))
    return {}


MOVES: Mapping[tuple[str, str], str] = {
    # (from, to): who may make the move
    ("staffed", "in_progress"): "team",
    ("in_progress", "delivered"): "liaison",
    ("delivered", "paid"): "member",
    ("requested", "cancelled"): "liaison",
    ("staffed", "cancelled"): "liaison",
    ("in_progress", "cancelled"): "liaison",
}


def check_move(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Move a project's state along MOVES, by the right person, when its conditions hold."""
    body = statement.body
    project_id = check_id(body.get("project"), "project id")
    current, target = state(view, project_id), body.get("state")
    if target not in STATES:
        raise BadInput(f"unknown state {target!r}; one of {', '.join(STATES)}")
    who = MOVES.get((current, target))
    if who is None:
        raise Invalid(f"project {project_id} is {current}; it cannot move to {target}")
    movers: dict[str, set[str | None]] = {"team": {*team(view, project_id), liaison(view, project_id)},
                                          "liaison": {liaison(view, project_id)},
                                          "member": {h for h in [statement.author] if "member" in view.roles(h)}}
    allowed = movers[who]
    if statement.author not in allowed:
        raise Forbidden(f"moving {project_id} to {target} is for the {who}")
    if target == "cancelled" and not str(body.get("reason", "")).strip():
        raise BadInput("say why the project is cancelled (reason)")
    stones = milestones(view, project_id)
    if target == "delivered" and (not stones or any(m["status"] not in ("accepted", "paid") for m in stones)):
        raise Invalid("a project is delivered when it has milestones and every one is accepted")
    if target == "paid" and any(m["status"] != "paid" for m in stones):
        raise Invalid("a project is paid when every milestone is paid")
    return {}


def check_milestone(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Plan a milestone, then deliver (team), accept (liaison) and pay (with its revenue, see payments)."""
    body = statement.body
    project_id = check_id(body.get("project"), "project id")
    milestone_id = check_id(body.get("milestone"), "milestone id")
    previous = view.body(milestone_path(project_id, milestone_id))
    status, current = body.get("status"), state(view, project_id)
    members = set(team(view, project_id)) | {liaison(view, project_id)}
    if previous is None:
        if status != "planned":
            raise Invalid("a new milestone starts as planned")
        if current not in ("staffed", "in_progress") or statement.author not in members:
            raise Forbidden("the team or liaison plans milestones of a staffed project")
        if not isinstance(body.get("title"), str) or not 0 < len(body["title"]) <= 200:
            raise BadInput("a milestone needs a title of 1-200 characters")
        if check_amount(body.get("amount")) <= 0:
            raise BadInput("a milestone's amount is more than zero")
        check_currency(body.get("currency"))
        return {}
    for field in ("title", "amount", "currency"):
        if body.get(field) != previous[field]:
            raise Conflict(f"a milestone's {field} does not change once planned")
    step = (previous["status"], status)
    if step == ("planned", "delivered"):
        if current != "in_progress" or statement.author not in set(team(view, project_id)):
            raise Forbidden("a team member delivers a milestone of a project in progress")
    elif step == ("delivered", "accepted"):
        if statement.author != liaison(view, project_id):
            raise Forbidden("the liaison accepts a milestone for the client")
    elif step == ("accepted", "paid"):
        if not _revenue_staged(view, project_id, milestone_id):
            raise Invalid("a milestone is paid together with its revenue entry (use `coop milestone pay`)")
    else:
        raise Invalid(f"a milestone cannot go from {previous['status']} to {status}")
    return {}


def revenue_id(project_id: str, milestone_id: str) -> str:
    """Return the id of a milestone's revenue entry: one payment per milestone."""
    entry_id = f"rev-{project_id}-{milestone_id}"
    return entry_id if len(entry_id) <= 63 else "rev-" + hashlib.sha256(entry_id.encode()).hexdigest()[:40]


def _revenue_staged(view: View, project_id: str, milestone_id: str) -> bool:
    return view.read(entry_path(revenue_id(project_id, milestone_id))) is not None


def check_staffing_effect(view: View, effect: Mapping[str, Any]) -> None:
    """A staffing effect names a project and the shares of its team."""
    if set(effect) != {"kind", "project", "shares"}:
        raise BadInput("a staff effect is {kind: staff, project, shares}")
    check_shares(view, check_id(effect["project"], "project id"), effect["shares"])


def apply_staffing_effect(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Fix the team chosen by proposal, if the project can still be staffed."""
    if state(view, effect["project"]) not in ("requested", "staffed"):
        raise Invalid(f"project {effect['project']} is {state(view, effect['project'])}: it can no longer be staffed")
    shares = check_shares(view, effect["project"], effect["shares"])
    return {staffing_path(effect["project"]): canonical.encode({"proposal": proposal_id, "shares": shares})}
