"""Two histories that parted are joined by one deterministic rule, and the merge commit is re-checked from its parents."""
from __future__ import annotations

from collections.abc import Callable

import pygit2
import pytest

from api.keeper_keys import STATE_FILE
from coop import audit, merge
from coop.authors import member_path
from coop.errors import Conflict
from coop.index import MemberRow
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord
from coop.store import BRANCH, Snapshot, commit_at
from coop.view import View
from ledger import entries as E


def head(node: Node) -> str:
    """Return the branch head."""
    return str(node.store.repo.references[BRANCH].target)


def diverge(node: Node, left: Callable[[], object], right: Callable[[], object]) -> tuple[str, str]:
    """Make two histories from the head: `left` written on one, `right` on the other; return both tips."""
    base = head(node)
    left()
    one = head(node)
    node.store.repo.references[BRANCH].set_target(base)  # as if another node had written from the same head
    right()
    return one, head(node)


def view(node: Node, commit: str) -> View:
    """Return a view at a commit."""
    return View(Snapshot(node.store.repo, commit_at(node.store.repo, commit)))


def revenue(node: Node, entry_id: str) -> None:
    """Record a revenue entry (the log grows by one)."""
    fields = {"id": entry_id, "client": "acme", "project": None, "amount": 1000, "currency": "EUR", "account": "wise-eur"}
    node.write(E.REVENUE, E.with_postings(E.REVENUE, fields), "alice")


def test_merge_holds_the_statements_of_both_sides(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.add_member("fay", ["learner"], [], author="carol"))

    merged, plan = merge.merge_commit(node.store, node.registry, one, two)

    result = view(node, merged)
    assert result.member("erin") is not None and result.member("fay") is not None
    assert plan.left_out == []
    assert [str(p) for p in commit_at(node.store.repo, merged).parent_ids] == [str(plan.kept.id), str(plan.other.id)]


def test_merge_commit_is_the_same_whichever_side_computes_it(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.add_member("fay", ["learner"], [], author="carol"))

    assert merge.merge_commit(node.store, node.registry, one, two)[0] == merge.merge_commit(node.store, node.registry, two, one)[0]


def test_merge_commit_is_unsigned_and_names_no_node(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.add_member("fay", ["learner"], [], author="carol"))

    commit = commit_at(node.store.repo, merge.merge_commit(node.store, node.registry, one, two)[0])

    assert commit.gpg_signature == (None, None)
    assert (commit.author.name, commit.author.email) == merge.MERGER
    assert commit.commit_time == max(commit_at(node.store.repo, one).commit_time, commit_at(node.store.repo, two).commit_time)


def test_a_statement_stored_on_both_sides_is_kept_once(node: Node) -> None:
    statement = node.sign(MEMBER_TYPE, member_fields("erin", ["learner"], [], [KeyRecord(KeyPair.generate("erin").public)]), "bob")
    one, two = diverge(node, lambda: node.submit_one(statement), lambda: node.submit_one(statement))

    merged, plan = merge.merge_commit(node.store, node.registry, one, two)

    assert plan.left_out == [] and plan.replayed == 0
    assert commit_at(node.store.repo, merged).tree.id == commit_at(node.store.repo, one).tree.id


def test_one_author_using_a_sequence_number_twice_keeps_the_kept_sides_statement_and_names_the_other(node: Node) -> None:
    one, two = diverge(node, lambda: node.update_member("bob", skills=["python"]),
                       lambda: node.update_member("bob", skills=["rust"]))

    merged, plan = merge.merge_commit(node.store, node.registry, one, two)

    kept_skills = view(node, str(plan.kept.id)).require_member("bob")["skills"]
    assert view(node, merged).require_member("bob")["skills"] == kept_skills
    assert [path for path, _ in plan.left_out] == [member_path("bob")]
    assert f"{merge.LEFT_OUT}{member_path('bob')}" in commit_at(node.store.repo, merged).message


@pytest.mark.every_area  # the ledger's log is what the sides append to
def test_the_side_that_appended_to_the_ledger_is_kept(node: Node) -> None:
    one, two = diverge(node, lambda: revenue(node, "rev-1"),
                       lambda: [node.add_member(h, ["learner"], [], author="bob") for h in ("erin", "fay", "gus")])

    merged, plan = merge.merge_commit(node.store, node.registry, one, two)

    assert str(plan.kept.id) == one
    assert {"erin", "fay", "gus"} <= set(view(node, merged).handles())


@pytest.mark.every_area  # the ledger's log is what the sides append to
def test_both_sides_appending_to_the_ledger_is_a_fork_not_a_merge(node: Node) -> None:
    def second_keeper() -> None:  # a copy of the log key elsewhere, without the signer's memory
        (node.home / STATE_FILE).unlink()
        revenue(node, "rev-2")

    one, two = diverge(node, lambda: revenue(node, "rev-1"), second_keeper)

    with pytest.raises(Conflict, match="two keepers"):
        merge.merge_commit(node.store, node.registry, one, two)


def test_a_merged_history_verifies(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.update_member("carol", skills=["css", "design"]))
    merged, _ = merge.merge_commit(node.store, node.registry, one, two)
    node.store.repo.references[BRANCH].set_target(merged)

    report = audit.verify_repository(node.store, node.registry)

    assert report, report.problems


def test_a_merge_commit_made_by_other_rules_is_refused(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.add_member("fay", ["learner"], [], author="carol"))
    repo = node.store.repo
    who = pygit2.Signature(*merge.MERGER, commit_at(repo, one).commit_time, 0)
    forged = repo.create_commit(None, who, who, "Merge\n", commit_at(repo, one).tree.id, [commit_at(repo, one).id, commit_at(repo, two).id])  # drops fay
    repo.references[BRANCH].set_target(forged)

    report = audit.verify_repository(node.store, node.registry)

    assert not report
    assert any("differs from the merge its parents make" in str(p) or "not the side" in str(p) for p in report.problems)


def test_the_index_follows_a_merge_that_brought_our_head_in_as_second_parent(node: Node) -> None:
    one, two = diverge(node, lambda: node.add_member("erin", ["learner"], [], author="bob"),
                       lambda: node.add_member("fay", ["learner"], [], author="carol"))
    merged, plan = merge.merge_commit(node.store, node.registry, one, two)
    node.store.repo.references[BRANCH].set_target(str(plan.other.id))
    node.refresh()
    node.store.repo.references[BRANCH].set_target(merged)

    node.refresh()

    assert {"erin", "fay"} <= set(node.index.query(lambda: [r.handle for r in MemberRow.select()]))
