"""What a ledger entry must satisfy to be logged: each rule once, for acceptance and for the whole-log audit.

A new entry passes `make_kind_check`'s check when it is accepted (or replayed
on its commit's parent by coop.audit). The rules that depend on the entries
before it (its id unused, the revenue a split names, the balances, what its
proposal still allows) take those entries as `Earlier`, so the whole-log audit
(ledger.audit) re-checks them by calling the very same functions. The rules
that depend on the moment (who may move whose money under the charter then,
the split policy in force, the projects' revenue and split rules) are checked
where each commit is replayed on its parent, not again on today's view.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coop import authors, statements
from coop.charter import rules
from coop.errors import BadInput, Conflict, Forbidden, Invalid, NotFound
from coop.ids import check_id
from coop.statements import Statement
from coop.view import View
from ledger import entries as E
from ledger import log
from ledger.balances import Earlier, Staged
from ledger.keepers import LOG_PATH
from ledger.note import Verifier
from ledger.records import leaf_hash_hex, log_record, policy_in_force, policy_sha256

# Called with the entry and how much earlier entries already spent under the same proposal.
Authorise = Callable[[View, E.Authorisation, Mapping[str, Any], int], None]
SplitCheck = Callable[[View, Mapping[str, Any], Mapping[str, Any]], None]


def refuse_spending(view: View, authorisation: E.Authorisation, body: Mapping[str, Any], spent: int) -> None:
    """Refuse all spending from common money: the default until governance can authorise it."""
    raise Forbidden("no proposal process is configured to authorise spending from the treasury")


@dataclass(frozen=True)
class Hooks:
    """What the ledger needs from the node and from the areas above it."""

    signer: Callable[[View], log.LogSigner]
    authorise: Authorise = refuse_spending
    check_split: SplitCheck | None = None
    check_revenue: Callable[[View, Mapping[str, Any]], None] | None = None


def check_unused(body: Mapping[str, Any], earlier: Earlier) -> None:
    """Refuse an entry id an earlier entry already has."""
    if earlier.used(body.get("id", "")):
        raise Conflict(f"entry id {body['id']!r} is already used")


def check_split_reference(body: Mapping[str, Any], earlier: Earlier, view: View) -> Mapping[str, Any]:
    """Check a split names an earlier revenue entry exactly and uses the policy it names; return the revenue body."""
    ref = body.get("revenue")
    if not isinstance(ref, Mapping) or set(ref) != {"index", "leaf_hash", "id"}:
        raise BadInput("a split names its revenue as {index, leaf_hash, id}")
    revenue_raw = earlier.entry(ref["index"])
    if body["id"] != f"split-{ref['index']}":
        raise Invalid(f"the split of revenue {ref['index']} must have id split-{ref['index']}")
    if leaf_hash_hex(revenue_raw) != ref["leaf_hash"]:
        raise Invalid(f"entry {ref['index']} does not have leaf hash {ref['leaf_hash']}")
    revenue = statements.stored_body(revenue_raw)
    if revenue["type"] != E.REVENUE or revenue["id"] != ref["id"]:
        raise Invalid(f"entry {ref['index']} is not the revenue {ref['id']}")
    for field in ("client", "project", "amount", "currency"):
        if revenue.get(field) != body.get(field):
            raise Invalid(f"the split's {field} differs from the revenue's")
    if policy_sha256(body["policy"]) != body.get("policy_sha256"):
        raise Invalid("the split's policy does not match its policy_sha256")
    return revenue


def check_in_order(view: View, body: Mapping[str, Any], postings: Sequence[E.Posting], earlier: Earlier,
                   authorise: Authorise | None) -> None:
    """Check what the entries before this one decide: no account overdrawn, and spending its proposal allows."""
    if body["type"] == E.ASSERT or E.takes_money_out(postings):  # only these can overdraw or assert
        E.check_within_means(earlier.balances(), body, postings)
    if E.money_leaving_common(postings):
        authorisation = E.Authorisation.from_dict(body["authorised_by"])
        if authorise is not None:
            authorise(view, authorisation, body, earlier.spent(authorisation.proposal, body["currency"]))


def make_kind_check(hooks: Hooks) -> Callable[[Statement, View], dict[str, bytes | None]]:
    """Return the check every ledger entry passes when it is accepted (or replayed)."""

    def check(statement: Statement, view: View) -> dict[str, bytes | None]:
        body = statement.body
        if "member" not in view.roles(statement.author):
            raise Forbidden(f"{statement.author!r} is not a member: only members record money")
        if log_record(view) is None:
            raise Forbidden("this co-op has no ledger yet")
        earlier = Staged(view)
        check_unused(body, earlier)
        postings = E.check_entry(body)
        for handle in E.members_named(body, postings):
            if not view.roles(handle):
                raise NotFound(f"no such member {handle!r}")
        E.check_owner_moves(body, rules(view)["treasurers"])
        if body["type"] == E.REVENUE and hooks.check_revenue is not None:
            hooks.check_revenue(view, body)
        if body["type"] == E.SPLIT:
            revenue = check_split_reference(body, earlier, view)
            policy, sha = policy_in_force(view)
            if body["policy_sha256"] != sha:
                raise Invalid(f"the split uses policy {body['policy_sha256'][:12]}, but the policy in force is {sha[:12]}")
            if hooks.check_split is not None:
                hooks.check_split(view, revenue, body)
        check_in_order(view, body, postings, earlier, hooks.authorise)
        return {}

    return check


def check_log_record(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Let the founder publish the log key once; the keeper changes later only by proposal."""
    if "founder" not in view.roles(statement.author):
        raise Forbidden("only the founder publishes the log key")
    if view.read(LOG_PATH) is not None:
        raise Forbidden("the log keeper changes only through a passed proposal")
    key = Verifier.from_vkey(statement.body.get("vkey"))
    if key.name != view.origin:
        raise Invalid(f"the log key must be named after the origin {view.origin!r}")
    if authors.node(view, check_id(statement.body.get('keeper'), 'keeper')) is None:
        raise NotFound(f"no node {statement.body.get('keeper')!r} to keep the log")
    return {}
