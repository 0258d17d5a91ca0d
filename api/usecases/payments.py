"""Paying a milestone: from the node's own key, or as a batch a member or an app signed elsewhere."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from coop import statements
from coop.ids import check_id
from coop.node import Node, Receipt
from coop.view import View
from projects import payments
from projects.payments import PaymentTerms


@dataclass(frozen=True)
class Paid:
    """A milestone paid: the receipts of its revenue, split and milestone, and the split's postings."""

    project: str
    milestone: str
    receipts: tuple[Receipt, ...]
    postings: tuple[Mapping[str, Any], ...]


def pay_milestone(node: Node, author: str | None, project_id: str, milestone_id: str, amount: int, currency: str,
                  account: str) -> Paid:
    """Record as `author` that a milestone's `amount` arrived in `account`, split it, and mark the milestone paid, in one commit."""
    receipts = payments.pay(node, check_id(project_id, "project id"), check_id(milestone_id, "milestone id"), amount, currency,
                            account, author)
    split = cast(Mapping[str, Any], node.view().body(receipts[1].path))  # the split was just committed
    return Paid(project_id, milestone_id, tuple(receipts), tuple(split["postings"]))


def payment_terms(view: View, project_id: str, milestone_id: str, now: str) -> PaymentTerms:
    """Return what a payment of the milestone received now must carry, for a payer who signs it with their own key."""
    return payments.payment_terms(view, check_id(project_id, "project id"), check_id(milestone_id, "milestone id"), now)


def submit_payment(submit: Callable[[Sequence[bytes]], list[Receipt]], raws: Sequence[bytes], project_id: str,
                   milestone_id: str) -> list[Receipt]:
    """Submit signed statements in one commit if they are exactly a payment of this milestone, else refuse them all."""
    payments.check_payment([statements.parse(raw)[0] for raw in raws], check_id(project_id, "project id"),
                           check_id(milestone_id, "milestone id"))
    return submit(raws)
