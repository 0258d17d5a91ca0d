"""Index rows for clients, requests, projects, teams, milestones and learners.

They answer "open requests", "my projects" and "who has no mentor" without
reading the repository; earnings come from the ledger's posting rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from coop import canonical, statements
from coop.index import MemberRow, MemberSummary, dicts, has_word, member_summary, upsert, words
from ledger.money import CurrencyCode, MinorUnits
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


@dataclass(frozen=True)
class ClientSummary:
    """A client as the index lists it, with the member who earns its referral share now."""

    client_id: str
    name: str
    referrer: str | None
    liaison: str | None
    registered: str


@dataclass(frozen=True)
class ProjectSummary:
    """A client request as the index lists it, with its state."""

    project_id: str
    client: str
    title: str
    skills: tuple[str, ...]
    budget: MinorUnits
    currency: CurrencyCode
    deadline: str
    author: str
    state: str


@dataclass(frozen=True)
class ApplicationSummary:
    """A member's application to a project."""

    project: str
    handle: str
    note: str


@dataclass(frozen=True)
class MilestoneSummary:
    """A milestone of a project and its status."""

    project: str
    milestone: str
    title: str
    amount: MinorUnits
    currency: CurrencyCode
    status: str


@dataclass(frozen=True)
class LearnerSummary:
    """A learner's member listing with their track, mentor and how they joined (all None before they have a learner profile)."""

    member: MemberSummary
    track: str | None
    mentor: str | None
    joined_via: str | None


def find_clients(referrer: str | None = None, after: str | None = None, limit: int | None = None) -> list[ClientSummary]:
    """Return the indexed clients by id, optionally those a member referred."""
    query = ClientRow.select()
    if referrer:
        query = query.where(ClientRow.referrer == referrer)
    if after is not None:
        query = query.where(ClientRow.client_id > after)
    return [ClientSummary(**row) for row in dicts(query.order_by(ClientRow.client_id).limit(limit))]


# How a list of projects is ordered: by id (pages of the API, the CLI), soonest deadline first (open requests), by state (the page).
ORDERS = {
    "id": (ProjectRow.project_id,),
    "deadline": (ProjectRow.deadline,),
    "state": (ProjectRow.state, ProjectRow.deadline),
}


def find_projects(state: str | None = None, client: str | None = None, skill: str | None = None, team_member: str | None = None,
                  after: str | None = None, order: str = "id", limit: int | None = None) -> list[ProjectSummary]:
    """Return the indexed projects that match, in the order named: in a state, for a client, needing a skill, with a member in the team."""
    query = ProjectRow.select()
    for column, value in ((ProjectRow.state, state), (ProjectRow.client, client)):
        if value:
            query = query.where(column == value)
    if skill:
        query = query.where(has_word(ProjectRow.skills, skill))
    if team_member:
        query = query.where(ProjectRow.project_id.in_(TeamRow.select(TeamRow.project_id).where(TeamRow.handle == team_member)))
    if after is not None:
        query = query.where(ProjectRow.project_id > after)
    return [ProjectSummary(**{**row, "skills": words(row["skills"])}) for row in dicts(query.order_by(*ORDERS[order]).limit(limit))]


def find_applications(project_id: str) -> list[ApplicationSummary]:
    """Return the applications to a project, by applicant."""
    query = ApplicationRow.select().where(ApplicationRow.project_id == project_id).order_by(ApplicationRow.handle)
    return [ApplicationSummary(row["project_id"], row["handle"], row["note"]) for row in dicts(query)]


def find_milestones(status: str | None = None, project: str | None = None, after: tuple[str, str] | None = None,
                    limit: int | None = None) -> list[MilestoneSummary]:
    """Return the milestones across projects by project and milestone id, optionally of one status or project."""
    query = MilestoneRow.select()
    if status:
        query = query.where(MilestoneRow.status == status)
    if project:
        query = query.where(MilestoneRow.project_id == project)
    if after is not None:
        query = query.where((MilestoneRow.project_id > after[0]) |
                            ((MilestoneRow.project_id == after[0]) & (MilestoneRow.milestone > after[1])))
    query = query.order_by(MilestoneRow.project_id, MilestoneRow.milestone).limit(limit)
    return [MilestoneSummary(row["project_id"], row["milestone"], row["title"], row["amount"], row["currency"], row["status"])
            for row in dicts(query)]


def find_learners(track: str | None = None, mentor: str | None = None, unmentored: bool = False, former: bool = False,
                  after: str | None = None, limit: int | None = None) -> list[LearnerSummary]:
    """Return learners by handle: members whose role is learner, and with `former` members with a learner profile who are no more.

    `unmentored` keeps those with no mentor yet (a learner without a profile has none).
    """
    is_learner = MemberRow.roles == "learner"
    query = (MemberRow.select(MemberRow, LearnerRow.track, LearnerRow.mentor, LearnerRow.joined_via)
             .join(LearnerRow, peewee.JOIN.LEFT_OUTER, on=(LearnerRow.handle == MemberRow.handle))
             .where((is_learner | LearnerRow.handle.is_null(False)) if former else is_learner))
    if track:
        query = query.where(LearnerRow.track == track)
    if mentor:
        query = query.where(LearnerRow.mentor == mentor)
    if unmentored:
        query = query.where(LearnerRow.mentor.is_null())
    if after is not None:
        query = query.where(MemberRow.handle > after)
    return [LearnerSummary(member_summary(row), row["track"], row["mentor"], row["joined_via"])
            for row in dicts(query.order_by(MemberRow.handle).limit(limit))]
