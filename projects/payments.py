"""Paying a milestone: one commit holds the revenue entry, its split and the milestone marked paid.

The ledger asks projects, through hooks, whether a project's revenue and split
are right: the revenue matches an accepted milestone, and the split uses the
project's team, the client's referrer (while the referral lasts) and liaison.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from coop import statements
from coop.errors import BadInput, Conflict, Invalid, NotFound
from coop.node import Node, Receipt, Sign
from coop.view import View
from ledger import entries as E
from ledger import log, records
from ledger.splits import SplitPolicy
from projects import clients
from projects.work import MILESTONE_TYPE, liaison, milestone_path, project, revenue_id, state, team


def check_revenue(view: View, body: Mapping[str, Any]) -> None:
    """A project's revenue pays exactly one accepted milestone, in full, dated when it is recorded.

    The referral period is judged at the revenue's date, so that date may not be
    set back: not before the milestone was accepted, and not in the past at all
    when the node accepts it.
    """
    project_id = body.get("project")
    if project_id is None:
        return
    request = project(view, project_id)
    if body["client"] != request["client"]:
        raise Invalid(f"project {project_id} is for client {request['client']}, not {body['client']}")
    milestone_id = body.get("milestone")
    stone = view.body(milestone_path(project_id, milestone_id)) if isinstance(milestone_id, str) else None
    if stone is None or not isinstance(milestone_id, str):
        raise NotFound(f"project {project_id} has no milestone {milestone_id!r}")
    if body["id"] != revenue_id(project_id, milestone_id):
        raise Invalid(f"the revenue of milestone {milestone_id} has id {revenue_id(project_id, milestone_id)}")
    if stone["status"] != "accepted":
        raise Conflict(f"milestone {milestone_id} is {stone['status']}: only an accepted milestone is paid, once")
    if statements.parse_time(body["created"]) < statements.parse_time(stone["created"]):
        raise Invalid(f"a payment cannot be dated before milestone {milestone_id} was accepted ({stone['created']})")
    if view.now is not None and statements.parse_time(body["created"]) < statements.parse_time(view.now) - statements.MAX_SKEW:
        raise Invalid("a milestone's payment is recorded when it is received, not backdated")
    if (body["amount"], body["currency"]) != (stone["amount"], stone["currency"]):
        raise Invalid(f"milestone {milestone_id} is worth {stone['amount']} {stone['currency']} (minor units)")
    if state(view, project_id) not in ("in_progress", "delivered"):
        raise Invalid(f"project {project_id} is {state(view, project_id)}")


def expected_split_inputs(view: View, revenue: Mapping[str, Any], policy: SplitPolicy) -> dict[str, Any]:
    """Return the team, referrer, referral status and liaison a project's revenue must be split with."""
    client = clients.client(view, revenue["client"])
    referrer = clients.referrer(view, revenue["client"])
    return {
        "team": team(view, revenue["project"]),
        "referrer": referrer,
        "referral_active": referrer is not None and clients.referral_active(client["registered"], revenue["created"], policy.referral_months),
        "liaison": liaison(view, revenue["project"]),
    }


def check_split(view: View, revenue: Mapping[str, Any], split: Mapping[str, Any]) -> None:
    """A project's split uses its team, the client's referrer while the referral lasts, and its liaison.

    Revenue from a registered client without a project still pays the client's
    referrer (while it lasts) and liaison, never someone else; the team is free.
    """
    if revenue.get("project") is None:
        if view.read(clients.client_path(revenue["client"])) is not None:
            _check_client_shares(view, revenue, split)
        return
    expected = expected_split_inputs(view, revenue, SplitPolicy.from_dict(split["policy"]))
    for field, value in expected.items():
        if split.get(field) != value:
            raise Invalid(f"the split of {revenue['id']} must have {field} {value!r}, not {split.get(field)!r}")


def _check_client_shares(view: View, revenue: Mapping[str, Any], split: Mapping[str, Any]) -> None:
    client = clients.client(view, revenue["client"])
    referrer = clients.referrer(view, revenue["client"])
    months = SplitPolicy.from_dict(split["policy"]).referral_months
    expected = {"referrer": referrer, "referral_active": referrer is not None and clients.referral_active(client["registered"], revenue["created"], months),
                "liaison": client.get("liaison")}
    for field, value in expected.items():
        if split.get(field) != value:
            raise Invalid(f"the split of {revenue['id']} must have {field} {value!r} (from client {revenue['client']}), not {split.get(field)!r}")


@dataclass(frozen=True)
class PaymentTerms:
    """What the payment of a milestone must carry, as of one head: who shares it, the log index, the milestone paid.

    The node builds them from its view; an app or a member's SDK reads them from the
    API and signs the same three statements with its own key.
    """

    project: str
    milestone: str
    client: str
    created: str
    index: int
    policy: Mapping[str, Any]
    policy_sha256: str
    team: Mapping[str, int]
    referrer: str | None
    referral_active: bool
    liaison: str | None
    paid: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the terms as the API serves them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaymentTerms:
        """Read terms as the API serves them."""
        try:
            return cls(**{f.name: data[f.name] for f in fields(cls)})
        except (KeyError, TypeError) as e:
            raise BadInput(f"payment terms lack {e}") from None

    def statements(self, sign: Sign, amount: int, currency: str, account: str) -> list[bytes]:
        """Sign the payment's three statements in order: the revenue, its split and the milestone marked paid."""
        revenue = E.with_postings(E.REVENUE, {"id": revenue_id(self.project, self.milestone), "client": self.client, "project": self.project,
                                              "milestone": self.milestone, "amount": amount, "currency": currency, "account": account})
        revenue_raw = sign(E.REVENUE, revenue)
        split = E.split_fields(self.index, records.leaf_hash_hex(revenue_raw), revenue, SplitPolicy.from_dict(self.policy), self.policy_sha256,
                               self.team, self.referrer, self.referral_active, self.liaison)
        return [revenue_raw, sign(E.SPLIT, split), sign(MILESTONE_TYPE, self.paid)]


def payment_terms(view: View, project_id: str, milestone_id: str, created: str) -> PaymentTerms:
    """Return what the payment of a milestone received at `created` must carry, as of the view."""
    stone = view.body(milestone_path(project_id, milestone_id))
    if stone is None:
        raise NotFound(f"project {project_id} has no milestone {milestone_id!r}")
    client = project(view, project_id)["client"]
    policy, sha = records.policy_in_force(view)
    inputs = expected_split_inputs(view, {"client": client, "project": project_id, "created": created}, policy)
    paid = {**{k: v for k, v in stone.items() if k not in statements.COMMON_FIELDS}, "status": "paid"}
    return PaymentTerms(project_id, milestone_id, client, created, log.size(view), policy.to_dict(), sha, inputs["team"],
                        inputs["referrer"], inputs["referral_active"], inputs["liaison"], paid)


def check_payment(bodies: Sequence[Mapping[str, Any]], project_id: str, milestone_id: str) -> None:
    """Refuse a batch that is not exactly a payment of this milestone: its revenue, that revenue's split, the milestone paid.

    Whether each statement is right (amounts, shares, the milestone accepted) the
    kinds check when the batch is submitted; this checks the batch is what it claims.
    """
    kinds = [b.get("type") for b in bodies]
    if kinds != [E.REVENUE, E.SPLIT, MILESTONE_TYPE]:
        raise BadInput(f"a payment is three statements: {E.REVENUE}, {E.SPLIT} and {MILESTONE_TYPE}, in that order, not {kinds}")
    revenue, split, paid = bodies
    wanted = revenue_id(project_id, milestone_id)
    if (revenue.get("project"), revenue.get("milestone"), revenue.get("id")) != (project_id, milestone_id, wanted):
        raise BadInput(f"the revenue is not the payment of milestone {milestone_id} of project {project_id}")
    if not isinstance(split.get("revenue"), Mapping) or split["revenue"].get("id") != wanted:
        raise BadInput(f"the split is not the split of revenue {wanted}")
    if (paid.get("project"), paid.get("milestone"), paid.get("status")) != (project_id, milestone_id, "paid"):
        raise BadInput(f"the third statement must mark milestone {milestone_id} of project {project_id} paid")


def pay(node: Node, project_id: str, milestone_id: str, amount: int, currency: str, account: str, author: str | None = None) -> list[Receipt]:
    """Record a milestone's payment, its split and the milestone paid, in one commit."""
    created = node.clock()
    return node.write_batch(lambda view, sign: payment_terms(view, project_id, milestone_id, created).statements(sign, amount, currency, account),
                            author, created, f"Pay milestone {milestone_id} of {project_id}")
