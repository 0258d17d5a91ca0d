"""The projects' index reads: clients, projects, applications, milestones and learners, filtered and paged as the faces ask."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from coop.node import Node
from projects import learners, work
from projects.index import (
    ApplicationSummary,
    ClientSummary,
    MilestoneSummary,
    find_applications,
    find_clients,
    find_learners,
    find_milestones,
    find_projects,
)

if TYPE_CHECKING:
    from tests.projects.conftest import Decide, Shop


def post_request(node: Node, project_id: str, skills: list[str], deadline: str) -> None:
    """Have carol post a request of acme's (registered by `shop`) needing some skills."""
    node.write(work.PROJECT_TYPE, {"id": project_id, "client": "acme", "title": f"Request {project_id}", "text": "",
                                   "skills": skills, "budget": {"amount": 100000, "currency": "EUR"}, "deadline": deadline}, "carol")


def give_profile(node: Node, handle: str, mentor: str | None) -> None:
    """Have bob write a learner's profile on the web track."""
    node.write(learners.LEARNER_TYPE, {"handle": handle, "track": "web", "mentor": mentor, "joined_via": "cli"}, "bob")


@pytest.fixture
def requests(node: Node, shop: Shop) -> Node:
    """Staff `shop` (bob and carol) and post two open requests besides it: `logo` (design) and `zap` (python, due first)."""
    shop.upto("staffed")
    post_request(node, "logo", ["design"], "2027-06-30")
    post_request(node, "zap", ["python"], "2027-01-31")
    return node


@pytest.mark.parametrize("filters, found", [
    ({}, ["logo", "shop", "zap"]),
    ({"state": "requested"}, ["logo", "zap"]),
    ({"state": "requested", "order": "deadline"}, ["zap", "logo"]),
    ({"order": "state"}, ["zap", "logo", "shop"]),
    ({"skill": "python"}, ["shop", "zap"]),
    ({"skill": "pyth"}, []),
    ({"team_member": "bob"}, ["shop"]),
    ({"team_member": "dan"}, []),
    ({"client": "acme", "after": "logo"}, ["shop", "zap"]),
    ({"limit": 2}, ["logo", "shop"]),
], ids=["all by id", "open requests", "soonest deadline first", "by state", "a whole skill", "part of a skill is none",
        "whose team a member is in", "a member in no team", "after an id", "up to a limit"])
def test_projects_are_found_by_state_client_skill_and_team(requests: Node, filters: dict[str, Any], found: list[str]) -> None:
    assert [p.project_id for p in requests.index.query(lambda: find_projects(**filters))] == found


def test_a_project_lists_its_skills_and_budget(requests: Node) -> None:
    zap = requests.index.query(lambda: find_projects("requested", order="deadline", limit=1))[0]

    assert (zap.skills, zap.budget, zap.currency, zap.deadline, zap.author) == (("python",), 100000, "EUR", "2027-01-31", "carol")


def test_clients_are_found_by_the_member_who_referred_them(node: Node, shop: Shop) -> None:
    shop.upto("requested")
    acme = node.index.query(find_clients)[0]

    assert node.index.query(lambda: find_clients("carol")) == [acme]
    assert node.index.query(lambda: find_clients("bob")) == []
    assert node.index.query(lambda: find_clients(after="acme")) == []
    assert acme == ClientSummary("acme", "Acme Bakery", "carol", "alice", acme.registered)


def test_applications_to_a_project_are_listed_by_applicant(node: Node, shop: Shop) -> None:
    shop.upto("staffed")

    assert node.index.query(lambda: find_applications("shop")) == [
        ApplicationSummary("shop", "bob", "bob can build it."), ApplicationSummary("shop", "carol", "carol can build it.")]
    assert node.index.query(lambda: find_applications("logo")) == []


def test_milestones_are_paged_by_project_and_milestone_and_found_by_status(node: Node, shop: Shop) -> None:
    shop.upto("milestone_delivered")
    node.write(work.MILESTONE_TYPE, {"project": "shop", "milestone": "m2", "title": "Checkout", "amount": 50000, "currency": "EUR",
                                     "status": "planned"}, "bob")

    first, second = node.index.query(find_milestones)
    assert first == MilestoneSummary("shop", "m1", "Product catalogue", 123457, "EUR", "delivered")
    assert node.index.query(lambda: find_milestones(after=("shop", "m1"))) == [second]
    assert node.index.query(lambda: find_milestones(limit=1)) == [first]
    assert node.index.query(lambda: find_milestones("planned")) == [second]
    assert node.index.query(lambda: find_milestones(project="logo")) == []


def test_a_learner_is_listed_before_their_profile_with_no_track(node: Node) -> None:
    dan = node.index.query(find_learners)

    assert [(learner.member.handle, learner.member.roles, learner.track, learner.mentor) for learner in dan] == [
        ("dan", ("learner",), None, None)]


@pytest.mark.parametrize("filters, found", [
    ({}, ["dan", "erin"]),
    ({"mentor": "bob"}, ["dan"]),
    ({"unmentored": True}, ["erin"]),
    ({"track": "web", "after": "dan"}, ["erin"]),
    ({"limit": 1}, ["dan"]),
], ids=["every learner", "of a mentor", "with no mentor yet", "on a track after a handle", "up to a limit"])
def test_learners_are_found_by_track_and_mentor(node: Node, filters: dict[str, Any], found: list[str]) -> None:
    node.add_member("erin", ["learner"], ["css"], author="bob")
    give_profile(node, "dan", "bob")
    give_profile(node, "erin", None)

    assert [learner.member.handle for learner in node.index.query(lambda: find_learners(**filters))] == found


def test_a_former_learner_is_listed_only_when_asked_for(node: Node, decide: Decide) -> None:
    give_profile(node, "dan", "bob")
    decide({"kind": "admit", "handle": "dan"})

    assert node.index.query(find_learners) == []
    former = node.index.query(lambda: find_learners(former=True))
    assert [(learner.member.handle, learner.member.roles, learner.member.decided_roles, learner.track) for learner in former] == [
        ("dan", ("member",), ("member",), "web")]
