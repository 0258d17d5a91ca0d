"""Proposals, votes and closing on a real node: the rules of DESIGN section 6."""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api.wiring import open_node
from coop import audit, canonical, statements
from coop.errors import BadInput, BadSignature, Conflict, CoopError, Forbidden, Invalid
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields, record_sha
from coop.node import Node
from coop.statements import KeyRecord
from governance import proposals as P
from ledger import entries as E

if TYPE_CHECKING:
    from tests.conftest import Clock


def head(node: Node) -> str:
    return str(node.store.head_id())


def refused(node: Node, action: Callable[[], Any], error: type[CoopError], match: str | None = None) -> None:
    """Run an action that must be refused, and check the repository did not change."""
    before = head(node)
    with pytest.raises(error, match=match):
        action()
    assert head(node) == before


# -- proposals ---------------------------------------------------------------------------

def test_open_proposal_fixes_its_eligible_voters_and_rules(node: Node, propose: Callable[..., str]) -> None:
    pid = propose()
    body = node.view().body(P.proposal_path(pid))
    assert body is not None
    assert body["eligible"] == ["alice", "bob", "carol"]
    assert body["rules"] == {"quorum_bp": 5000, "majority_bp": 5000, "supermajority_bp": 6667}


def test_proposal_text_is_stored_as_markdown_bound_by_its_hash(node: Node, propose: Callable[..., str]) -> None:
    pid = propose(text="# Title\n\nBody text.\n")
    view = node.view()
    text = view.read(f"{P.proposal_dir(pid)}/proposal.md")
    assert text is not None and hashlib.sha256(text).hexdigest() == (view.body(P.proposal_path(pid)) or {})["body_sha256"]


def test_draft_can_be_amended_by_its_author(node: Node, propose: Callable[..., str]) -> None:
    pid = propose(closes_in=None)
    amended = P.proposal_fields(pid, "Better title", "# Better\n\nClearer.\n", "majority", {"kind": "general"}, node.view(), None)
    node.write(P.PROPOSAL_TYPE, amended, "alice")
    assert (node.view().body(P.proposal_path(pid)) or {})["title"] == "Better title"


def test_open_proposal_text_is_frozen(node: Node, propose: Callable[..., str]) -> None:
    pid = propose()
    amended = P.proposal_fields(pid, "Sneaky", "# Changed\n", "majority", {"kind": "general"}, node.view(), 3600)
    refused(node, lambda: node.write(P.PROPOSAL_TYPE, amended, "alice"), Conflict, "frozen")


def test_another_member_cannot_amend_a_draft(node: Node, propose: Callable[..., str]) -> None:
    pid = propose(closes_in=None)
    amended = P.proposal_fields(pid, "Mine now", "# Mine\n", "majority", {"kind": "general"}, node.view(), None)
    refused(node, lambda: node.write(P.PROPOSAL_TYPE, amended, "bob"), Forbidden, "only 'alice'")


def test_learner_cannot_make_a_proposal(node: Node, propose: Callable[..., str]) -> None:
    refused(node, lambda: propose(author="dan"), Forbidden, "not a member")


def test_proposal_whose_text_hash_does_not_match_is_refused(node: Node) -> None:
    fields = P.proposal_fields("p-x", "T", "# Text\n", "majority", {"kind": "general"}, node.view(), 3600)
    fields["body_sha256"] = "0" * 64
    refused(node, lambda: node.write(P.PROPOSAL_TYPE, fields, "alice"), BadInput, "body_sha256 does not match the proposal's text")


def test_proposal_with_a_forged_eligible_list_is_refused(node: Node) -> None:
    fields = P.proposal_fields("p-x", "T", "# Text\n", "majority", {"kind": "general"}, node.view(), 3600)
    fields["eligible"] = ["alice"]
    refused(node, lambda: node.write(P.PROPOSAL_TYPE, fields, "alice"), Invalid, "eligible")


@pytest.mark.parametrize("field", ["opens", "closes"])
@pytest.mark.parametrize("change", [str.lower, lambda t: t.replace("-", "\u2011", 1)], ids=["lower-case-t-and-z", "non-ascii-dash"])
def test_a_proposal_time_not_exactly_in_the_documented_format_is_refused(node: Node, field: str,
                                                                        change: Callable[[str], str]) -> None:
    fields = P.proposal_fields("p-x", "T", "# Text\n", "majority", {"kind": "general"}, node.view(), 3600)
    fields[field] = change(fields[field])
    refused(node, lambda: node.write(P.PROPOSAL_TYPE, fields, "alice"), BadInput, "time")


# -- votes: every refusal, and nothing stored ----------------------------------------------

def test_member_may_change_their_vote_and_only_the_latest_counts(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose()
    vote(pid, "bob", "no")
    vote(pid, "bob", "yes")
    assert [v["choice"] for v in P.votes(node.view(), pid)] == ["yes"]
    assert P.count(node.view(), pid).counts == {"yes": 1, "no": 0, "abstain": 0}


def test_vote_before_opening_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose(closes_in=None)
    refused(node, lambda: vote(pid, "bob", "yes"), Invalid, "draft")


def test_vote_after_close_is_refused(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose(closes_in=1)
    clock.advance(1)
    refused(node, lambda: vote(pid, "bob", "yes"), Invalid, "closed")


def test_vote_from_a_member_admitted_after_opening_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose()
    node.add_member("erin", ["member"], [])
    refused(node, lambda: vote(pid, "erin", "yes"), Forbidden, "not an eligible voter")


def test_vote_from_a_learner_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose()
    refused(node, lambda: vote(pid, "dan", "yes"), Forbidden, "not an eligible voter")


def test_vote_for_another_version_is_refused(node: Node, propose: Callable[..., str]) -> None:
    pid = propose()
    fields = P.vote_fields(node.view(), pid, "yes")
    fields["proposal_sha256"] = hashlib.sha256(b"another version").hexdigest()
    refused(node, lambda: node.write(P.VOTE_TYPE, fields, "bob"), Conflict, "another version")


def test_vote_replayed_onto_another_proposal_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    first, second = propose(), propose()
    raw = node.sign(P.VOTE_TYPE, P.vote_fields(node.view(), first, "yes"), "bob")
    node.submit_one(raw)
    envelope = statements.parse(raw)
    body = dict(envelope[0], proposal=second)
    forged = canonical.encode({"body": body, "sigs": envelope[1]})
    refused(node, lambda: node.submit_one(forged), BadSignature)


def test_vote_envelope_submitted_again_after_a_newer_vote_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose()
    old = node.sign(P.VOTE_TYPE, P.vote_fields(node.view(), pid, "no"), "bob")
    node.submit_one(old)
    vote(pid, "bob", "yes")
    refused(node, lambda: node.submit_one(old), Conflict, "already used sequence number")


def test_vote_signed_by_a_revoked_key_is_refused(node: Node, propose: Callable[..., str]) -> None:
    pid = propose()
    old, new = node.keys.unlock("bob"), KeyPair.generate("bob")
    view = node.view()
    record = view.require_member("bob")
    last = view.last_seq("bob")
    keys = [KeyRecord(old.public, revoked_after=last + 1), KeyRecord(new.public)]
    node.write(MEMBER_TYPE, member_fields("bob", record["roles"], record["skills"], keys, previous=record_sha(view, "bob")), "bob")
    raw = node.sign(P.VOTE_TYPE, P.vote_fields(node.view(), pid, "yes"), "bob")
    refused(node, lambda: node.submit_one(raw), Forbidden, "revoked")


def test_objection_without_a_reason_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose(method="consent")
    refused(node, lambda: vote(pid, "bob", "block"), BadInput, "to block, bob must give a reason")


def test_choice_of_another_method_is_refused(node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose(method="majority")
    refused(node, lambda: vote(pid, "bob", "agree"), Invalid, "takes")


# -- closing -------------------------------------------------------------------------------

def test_closing_before_the_window_ends_is_refused(node: Node, propose: Callable[..., str], close: Callable[..., Any]) -> None:
    pid = propose()
    refused(node, lambda: close(pid), Invalid, "open until")


def test_closing_twice_is_refused(clock: Clock, node: Node, propose: Callable[..., str], close: Callable[..., Any]) -> None:
    pid = propose(closes_in=1)
    clock.advance(1)
    close(pid)
    refused(node, lambda: close(pid, "bob"), Conflict, "already closed")


def test_outcome_that_misstates_the_tally_is_refused(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any]) -> None:
    pid = propose(closes_in=1)
    vote(pid, "bob", "no")
    clock.advance(1)
    fields = node.registry.area("governance").service.outcome_fields(node.view(), pid)
    fields["tally"]["outcome"] = "passed"
    refused(node, lambda: node.write(P.OUTCOME_TYPE, fields, "carol"), Invalid, "does not match the tally of its votes")


def test_tampered_outcome_file_is_found_by_coop_verify(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                        close: Callable[..., Any]) -> None:
    pid = propose(closes_in=1)
    vote(pid, "alice", "no")
    vote(pid, "bob", "no")
    clock.advance(1)
    outcome = close(pid)
    forged = dict(outcome, tally=dict(outcome["tally"], outcome="passed"))
    path = P.outcome_path(pid)
    node.store.commit(lambda s: {path: canonical.encode({"body": forged, "sigs": []})}, "tamper", node.commit_signer())
    report = audit.verify_repository(node.store, node.registry)
    assert any(pid in str(p) for p in report.problems)


@pytest.mark.parametrize(("choices", "result"), [
    ({"alice": "yes", "bob": "yes"}, "passed"),
    ({"alice": "yes", "bob": "no"}, "rejected"),
    ({"alice": "yes"}, "no_quorum"),
], ids=["passes", "tie-fails", "no-quorum"])
def test_majority_outcome_is_recorded_in_the_signed_outcome(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                             close: Callable[..., Any], choices: dict[str, str], result: str) -> None:
    pid = propose(closes_in=1)
    for voter, choice in choices.items():
        vote(pid, voter, choice)
    clock.advance(1)
    assert close(pid)["tally"]["outcome"] == result


# -- effects -------------------------------------------------------------------------------

def test_admit_effect_makes_the_learner_a_member_when_it_passes(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                                 close: Callable[..., Any]) -> None:
    pid = propose({"kind": "admit", "handle": "dan"}, closes_in=1)
    vote(pid, "alice", "yes")
    vote(pid, "bob", "yes")
    clock.advance(1)
    assert close(pid)["applied"] is True
    assert node.view().roles("dan") == {"member"}


def test_admit_effect_is_not_applied_when_the_proposal_fails(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                              close: Callable[..., Any]) -> None:
    pid = propose({"kind": "admit", "handle": "dan"}, closes_in=1)
    vote(pid, "alice", "no")
    vote(pid, "bob", "no")
    clock.advance(1)
    assert close(pid)["applied"] is False
    assert node.view().roles("dan") == {"learner"}


def test_effect_that_can_no_longer_be_applied_closes_as_passed_but_not_applied(clock: Clock,
        node: Node, propose: Callable[..., str], vote: Callable[..., Any], close: Callable[..., Any]) -> None:
    first = propose({"kind": "admit", "handle": "dan"}, closes_in=4)
    second = propose({"kind": "admit", "handle": "dan"}, closes_in=4)
    for pid in (first, second):
        vote(pid, "alice", "yes")
        vote(pid, "bob", "yes")
    clock.advance(4)
    close(first)
    outcome = close(second)
    assert outcome["tally"]["outcome"] == "passed"
    assert outcome["applied"] is False
    assert "no longer a learner" in outcome["not_applied_because"]


def test_charter_effect_changes_the_rule_in_force(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                  close: Callable[..., Any]) -> None:
    pid = propose({"kind": "charter", "rules": {"quorum_bp": 7500}}, closes_in=1)
    vote(pid, "alice", "yes")
    vote(pid, "bob", "yes")
    clock.advance(1)
    close(pid)
    assert node.view().charter()["rules"]["quorum_bp"] == 7500
    later = propose()
    assert (node.view().body(P.proposal_path(later)) or {})["rules"]["quorum_bp"] == 7500


def test_spend_effect_authorises_a_ledger_expense_up_to_its_amount(node: Node, decide_spend: Callable[..., dict[str, str]]) -> None:
    authorised = decide_spend(5000)
    expense = {"id": "exp-1", "amount": 5000, "currency": "EUR", "account": "bank", "category": "hosting",
               "description": "server", "authorised_by": authorised}
    too_much = dict(expense, id="exp-2", amount=5001)
    refused(node, lambda: node.write(E.EXPENSE, E.with_postings(E.EXPENSE, too_much)), Forbidden, "authorises 5000 minor units of EUR in all")
    node.write(E.EXPENSE, E.with_postings(E.EXPENSE, expense))


def test_expense_naming_a_rejected_proposal_is_refused(node: Node, decide_spend: Callable[..., dict[str, str]]) -> None:
    authorised = decide_spend(5000, passes=False)
    expense = {"id": "exp-1", "amount": 100, "currency": "EUR", "account": "bank", "category": "hosting", "description": "server",
               "authorised_by": authorised}
    refused(node, lambda: node.write(E.EXPENSE, E.with_postings(E.EXPENSE, expense)), Forbidden, "did not pass")


def test_repository_with_proposals_votes_and_effects_verifies(clock: Clock, node: Node, propose: Callable[..., str], vote: Callable[..., Any],
                                                              close: Callable[..., Any]) -> None:
    pid = propose({"kind": "admit", "handle": "dan"}, closes_in=1)
    vote(pid, "alice", "yes")
    vote(pid, "bob", "no")
    vote(pid, "bob", "yes")
    clock.advance(1)
    close(pid)
    report = audit.verify_repository(node.store, node.registry)
    assert report.problems == []


def test_spending_under_one_proposal_is_limited_to_its_amount_in_total(node: Node, decide_spend: Callable[..., dict[str, str]]) -> None:
    expense = {"amount": 3000, "currency": "EUR", "account": "bank", "category": "hosting", "description": "server",
               "authorised_by": decide_spend(5000)}
    node.write(E.EXPENSE, E.with_postings(E.EXPENSE, {"id": "exp-1", **expense}))
    refused(node, lambda: node.write(E.EXPENSE, E.with_postings(E.EXPENSE, {"id": "exp-2", **expense})), Forbidden, "already spent")


def test_treasury_cannot_be_spent_below_zero(node: Node, decide_spend: Callable[..., dict[str, str]]) -> None:
    expense = {"id": "exp-1", "amount": 10001, "currency": "EUR", "account": "bank", "category": "tools", "description": "laptop",
               "authorised_by": decide_spend(50000)}
    refused(node, lambda: node.write(E.EXPENSE, E.with_postings(E.EXPENSE, expense)), Invalid, "treasury would owe")


# -- two nodes -----------------------------------------------------------------------------

def test_two_nodes_receiving_the_same_votes_in_different_orders_close_with_the_same_outcome(clock: Clock,
        node: Node, home: Path, tmp_path: Path, propose: Callable[..., str]) -> None:
    pid = propose(method="ranked_choice", options=["x", "y", "z"], closes_in=2)
    twin_home = tmp_path / "twin"
    shutil.copytree(home, twin_home)
    twin = open_node({"home": str(twin_home)})
    ballots = {"alice": ["x", "y"], "bob": ["y", "x"], "carol": ["z", "y"]}
    raws = [node.sign(P.VOTE_TYPE, P.vote_fields(node.view(), pid, "rank", ranking=ranking), voter) for voter, ranking in ballots.items()]
    for raw in raws:
        node.submit_one(raw)
    for raw in reversed(raws):
        twin.submit_one(raw)
    clock.advance(2)
    outcomes = []
    for each in (node, twin):
        governance = each.registry.area("governance").service
        outcomes.append(governance.outcome_fields(each.view(), pid)["tally"])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["winner"] == "y"
