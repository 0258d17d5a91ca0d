"""Index rows for clients, requests, projects, teams, milestones and learners.

They answer "open requests", "my projects" and "who has no mentor" without
reading the repository; earnings come from the ledger's posting rows.
"""
from __future__ import annotations

import peewee

from coop import canonical, statements
from coop.index import upsert
from projects.clients import CLIENT_TYPE
from projects.learners import LEARNER_TYPE
from projects.work import APPLICATION_TYPE, MILESTONE_TYPE, MOVE_TYPE, PROJECT_TYPE, TEAM_TYPE


class ClientRow(peewee.Model):
    """A client and who brought it in."""

    client_id = peewee.CharField(primary_key=True)
    name = peewee.CharField()
    referrer = peewee.CharField(null=True, index=True)
    liaison = peewee.CharField(null=True)
    registered = peewee.CharField()


class ProjectRow(peewee.Model):
    """A client request and its state."""

    project_id = peewee.CharField(primary_key=True)
    client = peewee.CharField(index=True)
    title = peewee.CharField()
    skills = peewee.TextField()
    budget = peewee.BigIntegerField()
    currency = peewee.CharField()
    deadline = peewee.CharField()
    author = peewee.CharField()
    state = peewee.CharField(index=True)


class ApplicationRow(peewee.Model):
    """A member's application to a project."""

    project_id = peewee.CharField(index=True)
    handle = peewee.CharField(index=True)
    note = peewee.TextField()

    class Meta:
        primary_key = peewee.CompositeKey("project_id", "handle")


class TeamRow(peewee.Model):
    """A team member's share of a project."""

    project_id = peewee.CharField(index=True)
    handle = peewee.CharField(index=True)
    share_bp = peewee.IntegerField()

    class Meta:
        primary_key = peewee.CompositeKey("project_id", "handle")


class MilestoneRow(peewee.Model):
    """A milestone and its status."""

    project_id = peewee.CharField(index=True)
    milestone = peewee.CharField()
    title = peewee.CharField()
    amount = peewee.BigIntegerField()
    currency = peewee.CharField()
    status = peewee.CharField()

    class Meta:
        primary_key = peewee.CompositeKey("project_id", "milestone")


class LearnerRow(peewee.Model):
    """A learner's track and mentor."""

    handle = peewee.CharField(primary_key=True)
    track = peewee.CharField()
    mentor = peewee.CharField(null=True, index=True)
    joined_via = peewee.CharField()


def _set_team(project_id: str, shares: dict[str, int]) -> None:
    TeamRow.delete().where(TeamRow.project_id == project_id).execute()
    for handle, bp in shares.items():
        TeamRow.create(project_id=project_id, handle=handle, share_bp=bp)
    ProjectRow.update(state="staffed").where(ProjectRow.project_id == project_id, ProjectRow.state == "requested").execute()


class ProjectsIndexer:
    """Keep project rows in step with the files."""

    models = (ClientRow, ProjectRow, ApplicationRow, TeamRow, MilestoneRow, LearnerRow)

    def apply(self, path: str, raw: bytes | None, commit: str) -> None:
        """Reflect a changed client, project, learner or staffing file."""
        if raw is None or not path.endswith(".json"):
            return
        if path.startswith("decided/staffing/"):
            _set_team(path[len("decided/staffing/"):-5], dict(canonical.decode(raw)["shares"]))
            return
        if path.startswith("decided/referrals/"):
            referrer = canonical.decode(raw)["referrer"]
            ClientRow.update(referrer=referrer).where(ClientRow.client_id == path[len("decided/referrals/"):-5]).execute()
            return
        if not path.startswith(("clients/", "projects/", "learners/")):
            return
        body = statements.parse(raw)[0]
        kind = body["type"]
        if kind == CLIENT_TYPE:
            previous = ClientRow.get_or_none(ClientRow.client_id == body["id"])
            referrer = previous.referrer if previous is not None else body["referrer"]  # a decided referral stays
            upsert(ClientRow, client_id=body["id"], name=body["name"], referrer=referrer, liaison=body["liaison"],
                              registered=body["registered"])
        elif kind == PROJECT_TYPE:
            known = ProjectRow.get_or_none(ProjectRow.project_id == body["id"])
            upsert(ProjectRow, project_id=body["id"], client=body["client"], title=body["title"], skills=",".join(body["skills"]),
                               budget=body["budget"]["amount"], currency=body["budget"]["currency"], deadline=body["deadline"],
                               author=body["author"], state=known.state if known else "requested")
        elif kind == APPLICATION_TYPE:
            upsert(ApplicationRow, project_id=body["project"], handle=body["author"], note=body["note"])
        elif kind == TEAM_TYPE:
            _set_team(body["project"], dict(body["shares"]))
        elif kind == MOVE_TYPE:
            ProjectRow.update(state=body["state"]).where(ProjectRow.project_id == body["project"]).execute()
        elif kind == MILESTONE_TYPE:
            upsert(MilestoneRow, project_id=body["project"], milestone=body["milestone"], title=body["title"], amount=body["amount"],
                                 currency=body["currency"], status=body["status"])
        elif kind == LEARNER_TYPE:
            upsert(LearnerRow, handle=body["handle"], track=body["track"], mentor=body["mentor"], joined_via=body["joined_via"])
