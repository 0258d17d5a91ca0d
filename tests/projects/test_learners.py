"""Learners: profiles, mentors and progress notes (DESIGN section 7)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from coop.errors import Conflict, Forbidden, Invalid
from coop.node import Node
from projects import learners

if TYPE_CHECKING:
    from tests.projects.conftest import Refused


def write_profile(node: Node, author: str = "bob", **fields: Any) -> None:
    """Write dan's learner profile (web track, joined from the command line, no mentor) with some fields changed."""
    node.write(learners.LEARNER_TYPE, {"handle": "dan", "track": "web", "mentor": None, "joined_via": "cli", **fields}, author)


def write_note(node: Node, author: str, note_id: str = "n-1") -> None:
    """Write a progress note on dan."""
    node.write(learners.NOTE_TYPE, {"learner": "dan", "id": note_id, "note": "Built a first responsive page."}, author)


def test_learner_profile_needs_a_member_record(node: Node, refused: Refused) -> None:
    refused(lambda: write_profile(node, handle="zed"), Invalid, "'zed' has no member record")


@pytest.mark.parametrize("mentor", ["carol", "alice", "nobody"], ids=["member-not-mentor", "founder-not-mentor", "unknown"])
def test_mentor_without_the_mentor_role_is_refused(node: Node, refused: Refused, mentor: str) -> None:
    refused(lambda: write_profile(node, mentor=mentor), Invalid, f"'{mentor}' is not a mentor")


def test_mentor_with_the_mentor_role_is_recorded(node: Node) -> None:
    write_profile(node, mentor="bob")

    assert (learners.profile(node.view(), "dan") or {})["mentor"] == "bob"


def test_how_a_learner_joined_never_changes(node: Node, refused: Refused) -> None:
    write_profile(node)

    refused(lambda: write_profile(node, joined_via="chat"), Conflict, "does not change")


def test_coop_learner_list_lists_who_has_no_mentor_yet(node: Node, home: Path) -> None:
    node.add_member("erin", ["learner"], ["python"], author="bob")
    write_profile(node)
    node.write(learners.LEARNER_TYPE, {"handle": "erin", "track": "backend", "mentor": "bob", "joined_via": "chat"}, "bob")

    result = CliRunner().invoke(cli, ["--home", str(home), "learner", "list"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == ["dan"]


def test_coop_learner_list_lists_a_learner_added_as_a_member_record_only(node: Node, home: Path) -> None:
    # dan was added by bob as a learner (as `coop member add dan` does): no profile, so certainly no mentor yet.
    result = CliRunner().invoke(cli, ["--home", str(home), "learner", "list"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == ["dan"]


def test_coop_learner_list_all_lists_every_learner_with_their_mentor(node: Node, home: Path) -> None:
    node.add_member("erin", ["learner"], ["python"], author="bob")
    write_profile(node)
    node.write(learners.LEARNER_TYPE, {"handle": "erin", "track": "backend", "mentor": "bob", "joined_via": "chat"}, "bob")

    result = CliRunner().invoke(cli, ["--home", str(home), "learner", "list", "--all"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert [line.split()[:4] for line in result.output.splitlines()] == [["dan", "web", "mentor:", "-"], ["erin", "backend", "mentor:", "bob"]]


@pytest.mark.parametrize("author", ["dan", "bob"], ids=["the-learner", "the-mentor"])
def test_progress_note_by_the_learner_or_mentor_is_recorded(node: Node, author: str) -> None:
    write_profile(node, mentor="bob")

    write_note(node, author)

    assert (node.view().body(learners.note_path("dan", "n-1")) or {})["author"] == author


@pytest.mark.parametrize("author", ["carol", "alice"], ids=["another-member", "the-founder"])
def test_progress_note_by_anyone_else_is_refused(node: Node, refused: Refused, author: str) -> None:
    write_profile(node, mentor="bob")

    refused(lambda: write_note(node, author), Forbidden, "by the learner or their mentor")


def test_progress_note_on_someone_without_a_learner_profile_is_refused(node: Node, refused: Refused) -> None:
    refused(lambda: write_note(node, "dan"), Invalid, "no learner profile")


def test_progress_note_is_written_once(node: Node, refused: Refused) -> None:
    write_profile(node, mentor="bob")
    write_note(node, "dan")

    refused(lambda: write_note(node, "bob"), Conflict, "exists")
