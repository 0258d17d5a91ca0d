"""The index: a cache of the repository that incremental updates and a rebuild fill identically."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest

from coop.index import Index, MemberRow, MemberSummary, commits_since, find_members, find_statement, member_summary, open_database
from coop.members import MEMBER_TYPE, member_fields, record_sha
from coop.node import Node
from coop.statements import KeyRecord
from coop.store import BRANCH


def update_skills(node: Node, handle: str, skills: list[str]) -> None:
    """Have a member rewrite their own record with new skills."""
    record = node.view().require_member(handle)
    keys = [KeyRecord.from_dict(k) for k in record["keys"]]
    node.write(MEMBER_TYPE, member_fields(handle, list(record["roles"]), skills, keys, previous=record_sha(node.view(), handle)), author=handle)


@pytest.fixture
def new_index(tmp_path: Path, node: Node) -> Iterator[Callable[[], Index]]:
    """Return a maker of empty indexes, each on its own database, with the node's indexers."""
    made: list[Index] = []

    def make() -> Index:
        directory = tmp_path / f"index-{len(made)}"
        directory.mkdir()
        made.append(Index(open_database(None, directory), node.registry.indexers()))
        return made[-1]

    yield make
    for index in made:
        index.db.close()


def test_rebuild_gives_the_rows_incremental_updates_gave(node: Node) -> None:
    update_skills(node, "bob", ["python", "rust", "web"])
    node.add_member("erin", ["member"], ["go"])
    incremental = node.index.dump()

    node.index.rebuild(node.store)

    assert node.index.dump() == incremental


def test_updates_in_steps_give_the_rows_of_one_rebuild(node: Node, new_index: Callable[[], Index]) -> None:
    stepwise, at_once = new_index(), new_index()
    stepwise.update(node.store)
    node.add_member("erin", ["member"], ["go"])
    update_skills(node, "erin", ["go", "rust"])
    stepwise.update(node.store)
    update_skills(node, "carol", ["design", "figma"])
    stepwise.update(node.store)

    at_once.rebuild(node.store)

    assert stepwise.dump() == at_once.dump()


def test_index_reflects_the_head(node: Node) -> None:
    update_skills(node, "bob", ["python", "rust", "web"])

    rows = node.index.query(lambda: {r.handle: (r.roles, r.skills) for r in MemberRow.select()})

    assert rows["bob"] == ("member,mentor", "python,rust,web")
    assert set(rows) == {"alice", "bob", "carol", "dan"}


def test_update_with_nothing_new_applies_no_commit(node: Node) -> None:
    assert node.index.update(node.store) == 0


def test_index_whose_commit_left_the_history_is_rebuilt(node: Node, new_index: Callable[[], Index]) -> None:
    rebuilt = new_index()
    before_erin = node.store.head_id()
    assert before_erin is not None
    node.add_member("erin", ["member"], ["go"])
    node.store.repo.references[BRANCH].set_target(before_erin)  # history replaced, e.g. by a sync

    node.index.update(node.store)
    rebuilt.rebuild(node.store)

    assert node.index.dump() == rebuilt.dump()
    assert "erin" not in node.index.query(lambda: [r.handle for r in MemberRow.select()])


def head(node: Node) -> pygit2.Commit:
    """Return the node's head commit (a node always has one)."""
    commit = node.store.head()
    assert commit is not None
    return commit


def test_commits_since_a_commit_are_the_later_ones_oldest_first(node: Node) -> None:
    seen = head(node)
    node.add_member("erin", ["member"], [])
    node.add_member("faye", ["member"], [])
    last = head(node)

    assert [c.id for c in commits_since(node.store, last, str(seen.id)) or []] == [last.parents[0].id, last.id]
    assert commits_since(node.store, last, str(last.id)) == []


def test_commits_since_nothing_are_the_whole_history(node: Node) -> None:
    chain = commits_since(node.store, head(node), None) or []

    assert chain[0].parents == [] and chain[-1].id == head(node).id


def test_commits_since_a_commit_the_branch_no_longer_holds_are_none(node: Node) -> None:
    before_erin = head(node).id
    node.add_member("erin", ["member"], [])
    erin = head(node)
    node.store.repo.references[BRANCH].set_target(before_erin)
    node.add_member("faye", ["member"], [])

    assert commits_since(node.store, head(node), str(erin.id)) is None


@pytest.mark.parametrize("filters, found", [
    ({}, ["alice", "bob", "carol", "dan"]),
    ({"role": "member"}, ["alice", "bob", "carol"]),
    ({"role": "mentor"}, ["bob"]),
    ({"skill": "web"}, ["bob"]),
    ({"skill": "we"}, []),
    ({"role": "member", "after": "alice", "limit": 1}, ["bob"]),
], ids=["all by handle", "with a role", "with another role", "with a skill", "part of a skill is none", "after a handle up to a limit"])
def test_members_are_found_by_handle_and_a_whole_word_of_their_roles_or_skills(node: Node, filters: dict[str, Any],
                                                                                found: list[str]) -> None:
    assert [m.handle for m in node.index.query(lambda: find_members(**filters))] == found


def test_a_member_is_listed_with_their_roles_and_skills_as_words(node: Node) -> None:
    bob = node.index.query(lambda: find_members(skill="python"))

    assert bob == [MemberSummary("bob", ("member", "mentor"), None, ("python", "web"), bob[0].joined)]


def test_a_member_whose_roles_a_proposal_decided_is_listed_with_those() -> None:
    row = {"handle": "dan", "roles": "member", "decided_roles": "member", "skills": "", "joined": "2026-01-05T10:00:00Z"}

    assert member_summary(row) == MemberSummary("dan", ("member",), ("member",), (), "2026-01-05T10:00:00Z")


def test_a_statement_is_found_by_its_path_with_the_commit_that_stored_it(node: Node) -> None:
    receipt = node.add_member("erin", ["member"], ["go"])

    stored = node.index.query(lambda: find_statement(receipt.path))

    assert stored is not None
    assert (stored.path, stored.type, stored.sha256, stored.commit) == (receipt.path, MEMBER_TYPE, receipt.sha256, receipt.commit)
    assert node.index.query(lambda: find_statement("members/nobody.json")) is None
