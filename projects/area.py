"""Projects' contribution to a node: clients, requests, teams, milestones and learners."""
from __future__ import annotations

from coop.area_contract import Area, Kind
from projects import clients, learners, work
from projects.index import ProjectsIndexer


def area() -> Area:
    """Return the projects area."""
    return Area(
        name="projects",
        kinds=(
            Kind(clients.CLIENT_TYPE, lambda s: clients.client_path(s.body.get("id", "")), clients.check_client,
                 "A client, with the member who referred it and an optional liaison."),
            Kind(work.PROJECT_TYPE, lambda s: work.project_path(s.body.get("id", "")), work.check_project,
                 "A client request: title, markdown description, skills, budget, deadline."),
            Kind(work.APPLICATION_TYPE, lambda s: work.application_path(s.body.get("project", ""), s.author), work.check_application,
                 "A member's application to a project, with a short note."),
            Kind(work.TEAM_TYPE, lambda s: work.team_path(s.body.get("project", "")), work.check_team,
                 "The team of a project and its shares in basis points."),
            Kind(work.MOVE_TYPE, lambda s: work.state_path(s.body.get("project", "")), work.check_move,
                 "A move of a project's state (started, delivered, paid, cancelled)."),
            Kind(work.MILESTONE_TYPE, lambda s: work.milestone_path(s.body.get("project", ""), s.body.get("milestone", "")),
                 work.check_milestone, "A milestone: planned, delivered, accepted, paid."),
            Kind(learners.LEARNER_TYPE, lambda s: learners.learner_path(s.body.get("handle", "")), learners.check_learner,
                 "A learner's profile: track, mentor, how they joined."),
            Kind(learners.NOTE_TYPE, lambda s: learners.note_path(s.body.get("learner", ""), s.body.get("id", "")), learners.check_note,
                 "A progress note by a learner or their mentor."),
        ),
        indexers=(ProjectsIndexer(),),
    )
