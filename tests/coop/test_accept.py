"""One accept path: a node taking a statement now, `coop verify` replaying it and the merge rule give the same verdict."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from coop import audit, merge, replay, statements
from coop.accept import accept
from coop.authors import member_path
from coop.errors import CoopError
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord, Statement
from coop.store import BRANCH, Snapshot
from coop.view import View
from ledger import entries as E

# The one accept path is shown to agree with replay for every area's kinds, the ledger's rules included.
pytestmark = pytest.mark.every_area

Make = Callable[[Node], bytes]


def signed(node: Node, kind: str, fields: dict[str, Any], author: str = "alice", seq: int | None = None,
           origin: str | None = None, created: str | None = None) -> bytes:
    """Sign a statement as one of the node's identities, by default at the author's next number and the node's clock."""
    view = node.view()
    number = seq if seq is not None else view.last_seq(author) + 1
    body = statements.make_body(kind, origin or view.origin, author, number, fields, created or node.clock())
    return statements.sign(body, [node.keys.unlock(author)])


def member(handle: str) -> dict[str, Any]:
    """Return the fields of a new member's record."""
    return member_fields(handle, ["member"], ["go"], [KeyRecord(KeyPair.generate(handle).public)])


def payout(member_handle: str, amount: int) -> dict[str, Any]:
    """Return a payout from wise-eur to a member, postings computed."""
    return E.with_postings(E.PAYOUT, {"id": "pay-1", "member": member_handle, "amount": amount, "currency": "EUR",
                                      "account": "wise-eur", "method": "bank", "fee": 0,
                                      "arrived": {"amount": amount, "currency": "EUR"}, "rate": "1"})


CASES: dict[str, Make] = {
    "a-new-member": lambda node: signed(node, MEMBER_TYPE, member("erin")),
    "a-taken-handle": lambda node: signed(node, MEMBER_TYPE, member("bob")),
    "a-member-added-by-a-learner": lambda node: signed(node, MEMBER_TYPE, member("erin"), author="dan"),
    "a-used-sequence-number": lambda node: signed(node, MEMBER_TYPE, member("erin"), seq=1),
    "a-skipped-sequence-number": lambda node: signed(node, MEMBER_TYPE, member("erin"), seq=99),
    "a-forged-body": lambda node: signed(node, MEMBER_TYPE, member("erin")).replace(b'"go"', b'"gp"'),
    "another-coops-origin": lambda node: signed(node, MEMBER_TYPE, member("erin"), origin="elsewhere.example/coop"),
    "an-unknown-type": lambda node: signed(node, "coop.nothing/v1", {"id": "x"}),
    "a-payout-that-overdraws": lambda node: signed(node, E.PAYOUT, payout("bob", 10_000), author="bob"),
    "a-payout-by-another-member": lambda node: signed(node, E.PAYOUT, payout("bob", 10_000), author="carol"),
    "a-malformed-entry": lambda node: signed(node, E.REVENUE, {"id": "rev-1", "amount": "15.00"}),
}


def arrival_verdict(node: Node, raw: bytes) -> str:
    """Submit a statement to the node now: 'accepted', or the error's class and message."""
    try:
        node.submit_one(raw)
    except CoopError as e:
        return f"{type(e).__name__}: {e}"
    return "accepted"


def stored_path(node: Node, raw: bytes) -> str:
    """Return where a statement's kind stores it, read without checking it (a path for an unknown kind)."""
    body = statements.parse(raw)[0]
    kind = node.registry.kinds.get(body["type"])
    return kind.path(Statement(raw, body, ())) if kind is not None else "notes/unknown.json"


def commit_unchecked(node: Node, raw: bytes) -> str:
    """Commit a statement where its kind stores it, with none of its checks: what a rogue node could write."""
    path = stored_path(node, raw)
    return node.store.commit(lambda snapshot: {path: raw}, f"Unchecked\n\n{replay.trailer([path])}\n", node.commit_signer())


def replay_verdicts(node: Node, raw: bytes) -> list[str]:
    """Return what `coop verify` says of a commit holding only this statement, as it would of an accepted one."""
    commit = commit_unchecked(node, raw)
    report = audit.verify_repository(node.store, node.registry)
    return [p.message for p in report.problems if p.where == f"commit {commit[:12]}"]


@pytest.mark.parametrize("make", list(CASES.values()), ids=list(CASES))
def test_a_statement_the_node_refuses_is_reported_by_verify_with_the_same_error(node: Node, make: Make) -> None:
    raw = make(node)
    verdict = arrival_verdict(node, raw)
    if verdict == "accepted":
        assert audit.verify_repository(node.store, node.registry)
        return

    problems = replay_verdicts(node, raw)

    assert problems == [f"{stored_path(node, raw)}: {verdict.split(': ', 1)[1]}"]


@pytest.mark.parametrize("name, expected", [
    ("a-new-member", "accepted"),
    ("a-taken-handle", "Conflict"),
    ("a-member-added-by-a-learner", "Forbidden"),
    ("a-used-sequence-number", "SequenceUsed"),
    ("a-forged-body", "BadSignature"),
    ("an-unknown-type", "BadInput"),
    ("a-payout-that-overdraws", "Invalid"),
    ("a-payout-by-another-member", "Forbidden"),
])
def test_the_table_covers_acceptance_and_refusals_of_every_kind(node: Node, name: str, expected: str) -> None:
    assert arrival_verdict(node, CASES[name](node)).split(":")[0] == expected


def test_a_statement_dated_in_the_future_is_refused_on_arrival_but_verifies_on_replay(node: Node) -> None:
    raw = signed(node, MEMBER_TYPE, member("erin"), created="2999-01-01T00:00:00Z")
    assert arrival_verdict(node, raw).startswith("BadInput: statement is dated 2999-01-01T00:00:00Z, in the future")

    def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
        view = View(snapshot)  # no clock: history, where the signed time stands for the arrival
        accept(node.registry, view, raw)
        return view.pending

    node.store.commit(prepare, f"Replayed\n\n{replay.trailer(['members/erin.json'])}\n", node.commit_signer())

    assert audit.verify_repository(node.store, node.registry)


def test_a_statement_listed_twice_in_history_is_reported_not_taken_again(node: Node) -> None:
    receipt = node.submit_one(signed(node, MEMBER_TYPE, member("erin")))
    node.store.commit(lambda snapshot: {"notes/x.json": b"{}"}, f"Again\n\n{replay.trailer([receipt.path])}\n", node.commit_signer())

    problems = [p.message for p in audit.verify_repository(node.store, node.registry).problems]

    assert problems == [f"{receipt.path}: listed in the commit message, but its parent holds it already"]


def test_a_statement_the_merge_leaves_out_is_refused_by_a_node_with_the_same_error(node: Node) -> None:
    repo = node.store.repo
    base = repo.references[BRANCH].target
    node.add_member("erin", ["learner"], [], author="bob")
    one = repo.references[BRANCH].target
    repo.references[BRANCH].set_target(base)  # as if another node had written from the same head
    node.add_member("erin", ["learner"], ["go"], author="carol")
    plan = merge.plan(node.store, node.registry, str(one), str(repo.references[BRANCH].target))
    theirs = Snapshot(repo, plan.other).read(member_path("erin"))
    assert theirs is not None
    repo.references[BRANCH].set_target(plan.kept.id)

    verdict = arrival_verdict(node, theirs)

    assert verdict.startswith("Conflict: ")
    assert plan.left_out == [(member_path("erin"), verdict.split(": ", 1)[1])]
