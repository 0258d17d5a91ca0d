"""Paying a milestone: one commit holds the revenue entry, its split and the milestone marked paid.

The ledger asks projects, through hooks, whether a project's revenue and split
are right: the revenue matches an accepted milestone, and the split uses the
project's team, the client's referrer (while the referral lasts) and liaison.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coop import statements
from coop.errors import Conflict, Invalid, NotFound
from coop.node import Node, Receipt
from coop.view import View
from ledger import entries as E
from ledger import log, records
from ledger.splits import SplitPolicy
from projects import clients
from projects.work import MILESTONE_TYPE, liaison, milestone_path, project, revenue_id, state, team

MAX_ATTEMPTS = 10


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


def pay(node: Node, project_id: str, milestone_id: str, amount: int, currency: str, account: str, author: str | None = None) -> list[Receipt]:
    """Record a milestone's payment, its split and the milestone paid, in one commit."""
    for _ in range(MAX_ATTEMPTS):
        view = node.view()
        stone = view.body(milestone_path(project_id, milestone_id))
        if stone is None:
            raise NotFound(f"project {project_id} has no milestone {milestone_id!r}")
        request = project(view, project_id)
        pair = node.identity(author)
        seq = view.last_seq(pair.handle)
        created = statements.now()
        revenue = E.with_postings(E.REVENUE, {"id": revenue_id(project_id, milestone_id), "client": request["client"], "project": project_id,
                                              "milestone": milestone_id, "amount": amount, "currency": currency, "account": account})
        revenue_raw = node.sign(E.REVENUE, revenue, pair.handle, view, created, seq + 1)
        policy, sha = records.policy_in_force(view)
        inputs = expected_split_inputs(view, {**revenue, "created": created}, policy)
        split = E.split_fields(log.size(view), records.leaf_hash_hex(revenue_raw), revenue, policy, sha, inputs["team"],
                               inputs["referrer"], inputs["referral_active"], inputs["liaison"])
        paid = {**{k: v for k, v in stone.items() if k not in statements.COMMON_FIELDS}, "status": "paid"}
        raws = [revenue_raw, node.sign(E.SPLIT, split, pair.handle, view, created, seq + 2),
                node.sign(MILESTONE_TYPE, paid, pair.handle, view, created, seq + 3)]
        try:
            return node.submit(raws, f"Pay milestone {milestone_id} of {project_id}")
        except (Conflict, Invalid, NotFound):
            if log.size(node.view()) == log.size(view) and node.view().last_seq(pair.handle) == seq:
                raise
    raise Conflict(f"could not record the payment of {milestone_id}: the log kept moving")
