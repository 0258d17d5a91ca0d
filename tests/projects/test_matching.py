"""Matching people and work by skills, with the reasons shown (DESIGN section 7)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli.main import cli
from coop import statements
from coop.node import Node
from projects import clients, matching, work

CANDIDATES = {
    "alice": ["design", "python", "web"],
    "bob": ["python", "web"],
    "carol": ["web"],
    "dan": ["html"],
    "erin": ["python", "sql"],
}


def test_member_with_every_required_skill_ranks_above_one_with_some() -> None:
    ranked = matching.rank(["python", "web"], {"carol": ["web"], "bob": ["python", "web"]})

    assert [m.name for m in ranked] == ["bob", "carol"]


def test_ranking_puts_complete_matches_first_then_more_matched_skills_then_handle_order() -> None:
    ranked = matching.rank(["design", "python", "web"], {**CANDIDATES, "zoe": ["design", "python", "web"]})

    assert [(m.name, m.complete) for m in ranked] == [("alice", True), ("zoe", True), ("bob", False), ("carol", False), ("erin", False)]


def test_candidate_with_no_required_skill_is_left_out() -> None:
    ranked = matching.rank(["python", "web"], CANDIDATES)

    assert "dan" not in [m.name for m in ranked]


@pytest.mark.parametrize(("required", "offered", "explanation"), [
    (["web", "python"], ["python", "web", "sql"], "matches python, web; all required skills"),
    (["python", "web", "design"], ["web"], "matches web; missing design, python"),
    (["python"], ["html"], "matches none; missing python"),
], ids=["all", "some", "none"])
def test_match_explains_which_skills_matched_and_which_are_missing(required: list[str], offered: list[str], explanation: str) -> None:
    assert matching.match(required, offered, "bob").explain() == explanation


# -- `coop request match` ----------------------------------------------------------------------

def post_request(node: Node, project_id: str, skills: list[str]) -> None:
    """Have carol post a request of acme's (registering acme first if need be)."""
    if node.view().body(clients.client_path("acme")) is None:
        now = statements.now()
        node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", None, now), "carol", created=now)
    node.write(work.PROJECT_TYPE, {"id": project_id, "client": "acme", "title": f"Work on {project_id}", "text": "", "skills": skills,
                                   "budget": {"amount": 100000, "currency": "EUR"}, "deadline": "2027-03-31"}, "carol")


def coop(home: Path, *args: str) -> Result:
    """Run `coop --home HOME ...` in-process."""
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_coop_request_match_ranks_members_for_a_request_and_says_why(node: Node, home: Path) -> None:
    node.add_member("erin", ["member"], ["python"])
    post_request(node, "shop", ["python", "web"])

    result = coop(home, "request", "match", "shop")

    assert result.output.splitlines() == [
        "  1. bob              matches python, web; all required skills",
        "  2. erin             matches python; missing web",
    ]


def test_coop_request_match_ranks_open_requests_for_a_member(node: Node, home: Path) -> None:
    post_request(node, "shop", ["python", "web"])
    post_request(node, "api", ["python", "sql", "web"])
    post_request(node, "logo", ["design"])

    result = coop(home, "request", "match", "--member", "bob")

    assert result.output.splitlines() == [
        "  1. shop             matches python, web; all required skills",
        "  2. api              matches python, web; missing sql",
    ]
